// What every route handler needs: the data, checksums, URL minting, tokens, faults and metrics.
import type { TokenStore } from './auth.js';
import type { ChecksumStore } from './checksums.js';
import type { Dataset } from './dataset.js';
import type { Exchange } from './exchange.js';
import type { FaultBoard } from './faults.js';
import type { Metrics } from './metrics.js';
import type { ObjectUrls } from './object-urls.js';
import type { Params } from './router.js';
import type { UrlSigner } from './url-signer.js';

export interface ServerContext {
  dataset: Dataset;
  checksums: ChecksumStore;
  signer: UrlSigner;
  urls: ObjectUrls;
  tokens: TokenStore;
  faults: FaultBoard;
  metrics: Metrics;
  partSize: number;
  testControls: boolean;
  /** http://HOST:PORT we listen on; set once listening. */
  origin: string;
}

export type Handler = (ctx: ServerContext, ex: Exchange, params: Params) => Promise<void> | void;

/** The origin the client reached us on, for URLs we hand back (falls back to the listening address). */
export function requestOrigin(ctx: ServerContext, ex: Exchange): string {
  const host = ex.req.headers.host;
  return host && /^[A-Za-z0-9.\-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/.test(host) ? `http://${host}` : ctx.origin;
}
