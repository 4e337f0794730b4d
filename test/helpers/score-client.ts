// A ScoreClient against a test server, closed when the test ends.
import type { ExecutionContext } from 'ava';
import { ScoreClient } from '../../src/score/client.js';
import { CLIENT_DEFAULTS, type ClientConfig } from '../../src/score/config.js';

export function scoreClient(t: ExecutionContext, url: string, overrides: Partial<ClientConfig> = {}): ScoreClient {
  const client = new ScoreClient({ ...CLIENT_DEFAULTS, storageUrl: url, metadataUrl: url, ...overrides });
  t.teardown(() => client.close());
  return client;
}
