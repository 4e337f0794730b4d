// Typed Score + SONG API calls (download specifications, listing, SONG entities). Every call carries the
// bearer token, is retried on transient failures until its deadline, and maps statuses to typed errors:
// 401/403 access denied, 404 not found, 400 bad request, 429/5xx and network errors transient.
import { AccessDenied, BadRequest, NotFound, ProtocolError, TransientError } from '../errors.js';
import { redact } from '../util/log.js';
import type { ClientConfig } from './config.js';
import { header, type HttpClient, type HttpResponse } from './http.js';
import { withRetry, type CallOptions } from './retry.js';
import type { Analysis, LegacyEntity, ObjectInfo, ObjectSpecification, SongPage } from './types.js';
import { parseAnalysis, parseEntity, parseEntityPage, parseJson, parseListing, parseSpec, type Interner } from './wire.js';

export type { CallOptions } from './retry.js';

export interface SpecRequest {
  offset?: number; // default 0
  length?: number; // default -1 (to the end)
  /** One unranged URL for the whole object (objectSize is then -1: ignore it). */
  external?: boolean;
  /** Metadata only: no URLs and no publish check. */
  excludeUrls?: boolean;
}

/** Context that makes an error message useful: which object of which study. */
interface Subject {
  objectId?: string;
  studyId?: string;
}

const MAX_API_BODY = 512 * 1024 * 1024;

export class ScoreApi {
  constructor(
    private readonly http: HttpClient,
    readonly config: Pick<ClientConfig, 'storageUrl' | 'metadataUrl' | 'token' | 'readDeadlineMs'>,
  ) {}

  /** Score GET /listing: every object with its size and lastModified, parsed as it is iterated (a bad entry throws then). */
  async listing(opts: CallOptions = {}): Promise<Iterable<ObjectInfo>> {
    return parseListing(await this.get('storage', '/listing', 'Score /listing', opts));
  }

  /**
   * SONG GET /entities, one page (0-based); `fields` limits the keys SONG returns, `intern` gives the names
   * entities share one copy as the page is parsed.
   */
  async entitiesPage(
    page: number,
    size: number,
    opts: CallOptions & { fields?: readonly string[]; intern?: Interner } = {},
  ): Promise<SongPage<LegacyEntity>> {
    const query = new URLSearchParams();
    for (const f of opts.fields ?? []) query.append('fields', f);
    query.set('size', String(size));
    query.set('page', String(page));
    const what = `SONG /entities page ${page}`;
    return parseEntityPage(parseJson(await this.get('metadata', `/entities?${query}`, what, opts), what), what, opts.intern);
  }

  /** SONG GET /entities/{id}. */
  async entity(id: string, opts: CallOptions = {}): Promise<LegacyEntity> {
    const what = `SONG entity ${id}`;
    return parseEntity(parseJson(await this.get('metadata', `/entities/${encodeURIComponent(id)}`, what, opts, { objectId: id }), what), what);
  }

  /** Score GET /download/{id}: the object specification (parts, MD5s, presigned URLs). */
  async spec(id: string, req: SpecRequest = {}, opts: CallOptions & { studyId?: string } = {}): Promise<ObjectSpecification> {
    const query = new URLSearchParams({ offset: String(req.offset ?? 0), length: String(req.length ?? -1) });
    if (req.external) query.set('external', 'true');
    if (req.excludeUrls) query.set('exclude-urls', 'true');
    const what = `Score download specification of ${id}`;
    const body = await this.get('storage', `/download/${encodeURIComponent(id)}?${query}`, what, opts, { objectId: id, studyId: opts.studyId });
    const spec = parseSpec(parseJson(body, what), what);
    if (spec.objectId !== id) throw new ProtocolError(`${what}: the server answered for another object`);
    return spec;
  }

  /** SONG GET /studies/{study}/analysis/{id}. */
  async analysis(studyId: string, analysisId: string, opts: CallOptions = {}): Promise<Analysis> {
    const what = `SONG analysis ${analysisId} of study ${studyId}`;
    const path = `/studies/${encodeURIComponent(studyId)}/analysis/${encodeURIComponent(analysisId)}`;
    return parseAnalysis(parseJson(await this.get('metadata', path, what, opts, { studyId }), what), what);
  }

  /** Score GET /download/ping: a presigned URL of the sentinel object. */
  async ping(opts: CallOptions = {}): Promise<string> {
    return (await this.get('storage', '/download/ping', 'Score /download/ping', opts)).toString('utf8').trim();
  }

  /** Score GET /profile ("s3" or "az"): the cheapest authenticated call. */
  async profile(opts: CallOptions = {}): Promise<string> {
    return (await this.get('storage', '/profile', 'Score /profile', opts)).toString('utf8').trim();
  }

  private async get(base: 'storage' | 'metadata', path: string, what: string, opts: CallOptions, subject: Subject = {}): Promise<Buffer> {
    const url = `${base === 'storage' ? this.config.storageUrl : this.config.metadataUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json, text/plain, */*' };
    if (this.config.token) headers.authorization = `Bearer ${this.config.token}`;
    return withRetry(
      async (signal) => {
        const res = await this.http.get(url, { headers, signal, maxBytes: MAX_API_BODY });
        if (res.status >= 200 && res.status < 300) {
          // a web page where the API was expected: a portal's URL, or SONG looked for at Score's
          if (isHtml(res)) throw new ProtocolError(`${what}: ${url.split('?')[0]} answered with an HTML page, not the API`);
          return res.body;
        }
        throw this.statusError(res, what, subject);
      },
      { deadline: opts.deadline ?? Date.now() + this.config.readDeadlineMs, signal: opts.signal, what },
    );
  }

  private statusError(res: HttpResponse, what: string, subject: Subject): Error {
    const said = this.serverMessage(res);
    const status = res.status;
    if (status === 401) {
      return new AccessDenied(
        this.config.token
          ? `${what}: Score rejected the access token (HTTP 401: invalid or expired). Get a new API key from your data portal and put it in the token file (--token-file FILE, chmod 600) or in ACCESSTOKEN`
          : `${what}: Score requires an access token (HTTP 401). Put an API key in a file, chmod 600 it, and pass --token-file FILE (or set SCOREFS_TOKEN_FILE=FILE, or ACCESSTOKEN)`,
        'token',
      );
    }
    if (status === 403) {
      const object = subject.objectId ? `object ${subject.objectId}` : 'this request';
      const study = subject.studyId ? ` of study ${subject.studyId}` : '';
      const needs = subject.studyId ? ` (needs scope score.READ or PROGRAMDATA-${subject.studyId}.READ)` : '';
      return new AccessDenied(`no access to ${object}${study}${needs}${said ? `: ${said}` : ''}`, 'scope');
    }
    if (status === 404) return new NotFound(`${what}: not found${said ? `: ${said}` : ''}`);
    if (status === 400) return new BadRequest(`${what}: the server refused the request${said ? `: ${said}` : ''}`);
    if (status === 429 || status >= 500) return new TransientError(`${what}: HTTP ${status}${said ? `: ${said}` : ''}`, status);
    return new ProtocolError(`${what}: unexpected HTTP ${status}${said ? `: ${said}` : ''}`);
  }

  /** The human part of an error body: Spring's or SONG's `message`, or a short plain-text body. */
  private serverMessage(res: HttpResponse): string {
    const text = res.body.toString('utf8').trim();
    if (!text) return '';
    let message = text;
    if ((header(res.headers, 'content-type') ?? '').includes('json') || text.startsWith('{')) {
      try {
        const m = (JSON.parse(text) as { message?: unknown }).message;
        message = typeof m === 'string' ? m : '';
      } catch {
        // not JSON after all: keep the text
      }
    }
    if (/^\s*</.test(message)) return ''; // an HTML or XML page says nothing useful on one line
    return this.scrub(message.replace(/\s+/g, ' ').slice(0, 300));
  }

  /** Never let the token through, even if a server echoes it. */
  private scrub(text: string): string {
    const clean = redact(text);
    return this.config.token ? clean.split(this.config.token).join('REDACTED') : clean;
  }
}

function isHtml(res: HttpResponse): boolean {
  return (header(res.headers, 'content-type') ?? '').includes('html') || /^\s*<(!doctype|html)/i.test(res.body.subarray(0, 64).toString('utf8'));
}
