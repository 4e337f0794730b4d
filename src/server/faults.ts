// The fault switchboard behind --enable-test-controls: per-route fault rates, drawn once per request.

export type FaultRoute = 'object' | 'api';

export interface RouteFaults {
  errorRate: number;
  resetRate: number;
  truncateRate: number;
  stallRate: number;
  stallMs: number;
  bytesPerSecond: number | null;
  /** Delay before every response's headers: a distant server's round trip. */
  latencyMs: number;
}

export interface FaultState {
  object: RouteFaults;
  api: RouteFaults;
  urlTtlSeconds: number | null;
}

/** What happens to one response, decided when the request arrives. */
export interface FaultPlan {
  error: boolean; // answer 503
  /** Cut the body after this share of it: 'reset' destroys the socket, 'truncate' ends it early. */
  cut: { kind: 'reset' | 'truncate'; at: number } | undefined;
  /** Stop sending for `ms` before headers ('before') or after a share of the body. */
  stall: { ms: number; at: 'before' | number } | undefined;
  bytesPerSecond: number | null;
  /** Wait this long before answering (a request that opens a connection waits twice: see server.ts). */
  latencyMs: number;
}

export const NO_FAULTS: FaultPlan = Object.freeze({ error: false, cut: undefined, stall: undefined, bytesPerSecond: null, latencyMs: 0 });

const RATE_KEYS = ['errorRate', 'resetRate', 'truncateRate', 'stallRate'] as const;
const KEYS = new Set<string>(['route', ...RATE_KEYS, 'stallMs', 'bytesPerSecond', 'latencyMs', 'urlTtlSeconds']);

export class FaultInputError extends Error {}

function cleanRoute(): RouteFaults {
  return { errorRate: 0, resetRate: 0, truncateRate: 0, stallRate: 0, stallMs: 0, bytesPerSecond: null, latencyMs: 0 };
}

export class FaultBoard {
  private state: FaultState = { object: cleanRoute(), api: cleanRoute(), urlTtlSeconds: null };

  constructor(private readonly random: () => number = Math.random) {}

  get(): FaultState {
    return structuredClone(this.state);
  }

  clear(): void {
    this.state = { object: cleanRoute(), api: cleanRoute(), urlTtlSeconds: null };
  }

  /** Applies a partial update (POST /-/faults body); throws FaultInputError and changes nothing if it is invalid. */
  update(body: unknown): FaultState {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new FaultInputError('body must be a JSON object');
    const input = body as Record<string, unknown>;
    for (const key of Object.keys(input)) if (!KEYS.has(key)) throw new FaultInputError(`unknown key: ${key}`);
    const route = input.route ?? 'all';
    if (route !== 'object' && route !== 'api' && route !== 'all') throw new FaultInputError('route must be "object", "api" or "all"');
    const patch: Partial<RouteFaults> = {};
    for (const key of RATE_KEYS) {
      const v = input[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new FaultInputError(`${key} must be a number in [0, 1]`);
      patch[key] = v;
    }
    if (input.stallMs !== undefined) {
      if (!isCount(input.stallMs)) throw new FaultInputError('stallMs must be a non-negative integer');
      patch.stallMs = input.stallMs;
    }
    if (input.latencyMs !== undefined) {
      if (!isCount(input.latencyMs)) throw new FaultInputError('latencyMs must be a non-negative integer');
      patch.latencyMs = input.latencyMs;
    }
    if (input.bytesPerSecond !== undefined) {
      const v = input.bytesPerSecond;
      if (v !== null && !(isCount(v) && v > 0)) throw new FaultInputError('bytesPerSecond must be a positive integer or null');
      patch.bytesPerSecond = v;
    }
    let ttl = this.state.urlTtlSeconds;
    if (input.urlTtlSeconds !== undefined) {
      const v = input.urlTtlSeconds;
      if (v !== null && !(isCount(v) && v > 0)) throw new FaultInputError('urlTtlSeconds must be a positive integer or null');
      ttl = v;
    }
    const targets: FaultRoute[] = route === 'all' ? ['object', 'api'] : [route];
    for (const r of targets) this.state[r] = { ...this.state[r], ...patch };
    this.state.urlTtlSeconds = ttl;
    return this.get();
  }

  /** The URL lifetime override, if set. */
  urlTtlSeconds(): number | null {
    return this.state.urlTtlSeconds;
  }

  /** Draws this request's faults. */
  draw(route: FaultRoute): FaultPlan {
    const f = this.state[route];
    if (!f.errorRate && !f.resetRate && !f.truncateRate && !f.stallRate && f.bytesPerSecond === null && !f.latencyMs) return NO_FAULTS;
    const hit = (rate: number): boolean => rate > 0 && this.random() < rate;
    const error = hit(f.errorRate);
    let cut: FaultPlan['cut'];
    if (hit(f.resetRate)) cut = { kind: 'reset', at: this.random() * 0.9 };
    else if (hit(f.truncateRate)) cut = { kind: 'truncate', at: this.random() * 0.9 };
    const stall: FaultPlan['stall'] = hit(f.stallRate) && f.stallMs > 0 ? { ms: f.stallMs, at: this.random() < 0.5 ? 'before' : this.random() * 0.9 } : undefined;
    return { error, cut, stall, bytesPerSecond: f.bytesPerSecond, latencyMs: f.latencyMs };
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
