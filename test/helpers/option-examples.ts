// Values of each option of scorefs' table (src/cli/options/table.ts), for the tests that go through
// all of them: a new option needs its examples here.
import type { OptionName } from '../../src/cli/options/table.js';

/** Two different valid texts of each option, and one it refuses (when it refuses any). */
export const EXAMPLES: Record<Exclude<OptionName, 'access-token' | 'config'>, { good: [string, string]; bad?: string }> = {
  'storage-url': { good: ['http://a.test:1', 'https://b.test/score'], bad: 'ftp://score.test' },
  'metadata-url': { good: ['http://a.test:2', 'https://b.test/song'], bad: 'song.test' },
  'token-file': { good: ['/a/token', '/b/token'] },
  'cache-dir': { good: ['/a/cache', '/b/cache'] },
  'cache-size': { good: ['5G', '512M'], bad: 'lots' },
  'memory-size': { good: ['96M', '0'], bad: '-1M' },
  'read-ahead': { good: ['1M', '512K'], bad: '-4K' },
  layout: { good: ['study', 'object-id'], bad: 'flat' },
  manifest: { good: ['/a/manifest.tsv', '/b/manifest.tsv'] },
  'allow-other': { good: ['true', 'false'], bad: 'yes' },
  'log-file': { good: ['/a/x.log', '/b/x.log'] },
  'log-level': { good: ['debug', 'warn'], bad: 'loud' },
  'read-deadline': { good: ['7', '2.5'], bad: 'soon' },
  'stall-timeout': { good: ['5', '0.5'], bad: '0' },
  connections: { good: ['3', '16'], bad: '2.5' },
  'refresh-interval': { good: ['42', '600'], bad: '-1' },
  'access-lease': { good: ['12h', '90s'], bad: 'a while' },
  'metrics-port': { good: ['9187', '9999'], bad: '99999' },
  'ready-timeout': { good: ['5', '120'], bad: 'never' },
  parallel: { good: ['2', '12'], bad: '0' },
};
