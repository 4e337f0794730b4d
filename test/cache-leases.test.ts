// Access leases kept in the cache index: a lease that has ended lets nothing be read, so opening the
// cache drops it (every token's), while leases still running stay for offline reads.
import test from 'ava';
import path from 'node:path';
import { leaseKey, tokenFingerprint } from '../src/cache/access-leases.js';
import { BlockCache } from '../src/cache/block-cache.js';
import { layoutRoot } from '../src/cache/cache-dir.js';
import { CacheIndex } from '../src/cache/cache-index.js';
import { httpBackend } from './helpers/cache-backend.js';
import { tempDir } from './helpers/tmp.js';

test('opening the cache drops the leases that have ended and keeps the running ones', async (t) => {
  const root = await tempDir(t);
  const backend = await httpBackend(t, path.join(root, 'data'), [1000]);
  const dir = path.join(root, 'cache');
  const open = (): Promise<BlockCache> => BlockCache.open({ dir, source: backend.source, minFreeBytes: 0 });
  const hour = 3600_000;

  const first = await open();
  await first.leasesOf('token-1').grant('ended', Date.now() - hour);
  await first.leasesOf('token-1').grant('running', Date.now() + hour);
  await first.leasesOf('token-2').grant('ended-too', Date.now() - 1);
  t.truthy(await first.leasesOf('token-1').validUntil('running'));
  await first.close();

  await (await open()).close(); // the drop is queued before the close's own index work

  const key = await leaseKey(path.join(layoutRoot(dir), 'lease-key'));
  const index = await CacheIndex.open(path.join(layoutRoot(dir), 'index'));
  t.teardown(() => index.close());
  t.is(await index.getLease(tokenFingerprint(key, 'token-1'), 'ended'), undefined);
  t.is(await index.getLease(tokenFingerprint(key, 'token-2'), 'ended-too'), undefined);
  t.truthy(await index.getLease(tokenFingerprint(key, 'token-1'), 'running'), 'a running lease stays');
});
