// The Score client as the rest of scorefs sees it: settings, API, catalog, URL cache and the range
// source for the block cache, over one HTTP agent.
import { AccessDenied, BadRequest, InvalidInput, NotFound, ProtocolError, Unavailable } from '../errors.js';
import type { Catalog, ObjectIdentity } from '../model.js';
import { ScoreApi } from './api.js';
import { fetchCatalog, type CatalogOptions } from './catalog.js';
import type { ClientConfig } from './config.js';
import { HttpClient } from './http.js';
import { readManifest } from './manifest.js';
import { describeObject, type ObjectChecksums } from './object-metadata.js';
import { ScoreRangeSource, type RangeSourceStats } from './range-source.js';
import type { CallOptions } from './retry.js';
import { UrlCache } from './url-cache.js';

/** How long checkConnection() tries before it says the server is unreachable. */
const CHECK_DEADLINE_MS = 15_000;

/**
 * Keep-alive connections to Score and SONG, apart from the object store's: API calls are small and
 * each open of a new object makes two, which must not queue behind range GETs when Score hands out
 * URLs on its own origin (a proxy, an S3-compatible store under Score's host, `scorefs serve`).
 */
const API_CONNECTIONS = 16;

export class ScoreClient {
  readonly api: ScoreApi;
  readonly urls: UrlCache;
  /** The RangeSource for src/cache/. */
  readonly source: ScoreRangeSource;
  private readonly apiHttp: HttpClient;
  private readonly objectHttp: HttpClient;

  constructor(readonly config: ClientConfig) {
    this.apiHttp = new HttpClient({ ...config, connections: API_CONNECTIONS });
    this.objectHttp = new HttpClient({ ...config, direct: true });
    this.api = new ScoreApi(this.apiHttp, config);
    this.urls = new UrlCache(this.api, config.readDeadlineMs);
    this.source = new ScoreRangeSource(this.objectHttp, this.urls, config.readDeadlineMs);
  }

  /** The catalog; `manifest` (a score-client download manifest file) restricts it to its objects. */
  async fetchCatalog(opts: CatalogOptions & { manifest?: string } = {}): Promise<Catalog> {
    const { manifest, ...rest } = opts;
    const only = manifest ? await readManifest(manifest) : rest.only;
    return fetchCatalog(this.api, { ...rest, ...(only ? { only } : {}) });
  }

  /**
   * Whether this token may read the object, and its MD5s (one metadata-only specification); the
   * object's URL is fetched alongside for the read that follows. Throws AccessDenied when it may not.
   */
  describe(file: Pick<ObjectIdentity, 'id' | 'size' | 'studyId'>, opts: CallOptions & { whole?: boolean } = {}): Promise<ObjectChecksums> {
    return describeObject(this.api, this.urls, file, opts);
  }

  /**
   * One cheap authenticated call to Score (GET /profile) and one to SONG (a one-entity page). Throws
   * with a one-line reason: Unavailable (unreachable), AccessDenied 'token' (bad or missing token),
   * InvalidInput (the URL answers, but not as Score/SONG would).
   */
  async checkConnection(opts: CallOptions = {}): Promise<void> {
    const call = { deadline: opts.deadline ?? Date.now() + Math.min(CHECK_DEADLINE_MS, this.config.readDeadlineMs), signal: opts.signal };
    await this.probe('Score', this.config.storageUrl, '--storage-url', async () => {
      const profile = await this.api.profile(call);
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(profile)) throw new ProtocolError('GET /profile did not answer a storage profile name');
    });
    await this.probe('SONG', this.config.metadataUrl, '--metadata-url', () => this.api.entitiesPage(0, 1, call));
  }

  private async probe(service: string, url: string, flag: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (err) {
      if (err instanceof Unavailable) throw new Unavailable(`cannot reach ${service} at ${url}: ${err.message}`, { cause: err });
      if (err instanceof NotFound || err instanceof ProtocolError || err instanceof BadRequest) {
        // SONG at the storage URL is only the default: say so, rather than blame an option never given
        const defaulted = service === 'SONG' && url === this.config.storageUrl;
        const fix = defaulted
          ? `SONG is looked for at the storage URL unless --metadata-url (METADATA_URL, or metadata-url in the config file) names it: pass your SONG server's URL`
          : `check ${flag}`;
        throw new InvalidInput(`${url} does not answer as ${service} does (${err.message}): ${fix}`, { cause: err });
      }
      if (err instanceof AccessDenied && err.reason === 'scope') return; // reachable and the token is valid
      throw err;
    }
  }

  stats(): RangeSourceStats {
    return this.source.stats();
  }

  async close(): Promise<void> {
    await Promise.all([this.apiHttp.close(), this.objectHttp.close()]);
  }
}
