// Prometheus metrics of the server: requests by route and status, body bytes written to sockets by
// route, per request its latency and body size, the most requests of a route open at once, and object
// bodies being sent at once (now and at most: how many range GETs a client keeps in flight).
import { Counter, exponentialBuckets, Gauge, Histogram, Registry } from 'prom-client';

export type MetricRoute = 'object' | 'api';

const ROUTES: readonly MetricRoute[] = ['object', 'api'];

export class Metrics {
  private readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'scorefs_server_requests_total',
    help: 'HTTP requests answered, by route (object bytes or api) and status.',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly bytesSent = new Counter({
    name: 'scorefs_server_bytes_sent_total',
    help: 'Response body bytes written to sockets, by route.',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'scorefs_server_request_duration_seconds',
    help: 'Time from a request to its response closing, by route.',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly responseBytes = new Histogram({
    name: 'scorefs_server_response_bytes',
    help: 'Response body bytes written to the socket per request, by route.',
    labelNames: ['route'] as const,
    buckets: exponentialBuckets(256, 4, 11), // 256 B … 256 MiB
    registers: [this.registry],
  });

  private readonly bodiesInFlight = new Gauge({
    name: 'scorefs_server_object_bodies_in_flight',
    help: 'Object response bodies being sent now.',
    registers: [this.registry],
  });
  private readonly bodiesInFlightMax = new Gauge({
    name: 'scorefs_server_object_bodies_in_flight_max',
    help: 'The most object response bodies sent at once since the start.',
    registers: [this.registry],
  });
  private readonly openPeak = new Gauge({
    name: 'scorefs_server_requests_open_peak',
    help: 'The most requests of a route open at once since the server started.',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  private objectBodies = 0;
  private objectBodiesPeak = 0;
  private readonly open: Record<MetricRoute, number> = { object: 0, api: 0 };
  private readonly peak: Record<MetricRoute, number> = { object: 0, api: 0 };

  constructor() {
    for (const route of ROUTES) {
      this.bytesSent.inc({ route }, 0);
      this.openPeak.set({ route }, 0);
    }
  }

  /** Starts the accounting of one request on `route`; its RequestMetrics.done ends it. */
  request(route: MetricRoute): RequestMetrics {
    this.peak[route] = Math.max(this.peak[route], ++this.open[route]);
    this.openPeak.set({ route }, this.peak[route]);
    return new RequestMetrics(this, route);
  }

  countBytes(route: MetricRoute, n: number): void {
    this.bytesSent.inc({ route }, n);
  }

  countRequest(route: MetricRoute, status: number, seconds: number, bodyBytes: number): void {
    this.open[route]--;
    this.requests.inc({ route, status: String(status) });
    this.duration.observe({ route }, seconds);
    this.responseBytes.observe({ route }, bodyBytes);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** An object body starts going out; call the returned function once when it has ended (or failed). */
  objectBodyStarted(): () => void {
    this.objectBodiesPeak = Math.max(this.objectBodiesPeak, ++this.objectBodies);
    this.bodiesInFlight.set(this.objectBodies);
    this.bodiesInFlightMax.set(this.objectBodiesPeak);
    let ended = false;
    return () => {
      if (!ended) this.bodiesInFlight.set(--this.objectBodies);
      ended = true;
    };
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/** One request's share: the body bytes it got onto the socket, and its end. */
export class RequestMetrics {
  private readonly startedAt = performance.now();
  private bytes = 0;

  constructor(
    private readonly metrics: Metrics,
    private readonly route: MetricRoute,
  ) {}

  /** Counts body bytes the socket accepted; `bodyRoute` is 'object' for object data only (error bodies are 'api'). */
  countBytes(bodyRoute: MetricRoute, n: number): void {
    this.bytes += n;
    this.metrics.countBytes(bodyRoute, n);
  }

  /** The response closed with `status`. */
  done(status: number): void {
    this.metrics.countRequest(this.route, status, (performance.now() - this.startedAt) / 1000, this.bytes);
  }
}
