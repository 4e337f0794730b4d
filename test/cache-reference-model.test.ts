// The block cache returns exactly the source's bytes for any read — across block and object ends,
// zero-length and past-EOF reads — through eviction, restarts and damaged block files.
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { fileBackend, httpBackend } from './helpers/cache-backend.js';
import { checkAgainstModel, MODEL_PART_SIZE, MODEL_SIZES } from './helpers/cache-model.js';
import { tempDir } from './helpers/tmp.js';

test('random reads over local files match the files through evictions, restarts and damaged blocks', async (t) => {
  const root = await tempDir(t);
  const backend = await fileBackend(path.join(root, 'data'), MODEL_SIZES, MODEL_PART_SIZE);
  const totals = await checkAgainstModel(t, backend, () => mkdtemp(path.join(root, 'cache-')), 60);
  t.log(totals);
  t.true(totals.damaged > 0, 'some block files were damaged');
  t.true(totals.checksumFailures > 0, 'damaged blocks were caught by their checksums');
  t.is(totals.md5Failures, 0, 'true bytes never fail an MD5 check');
});

test('random reads over HTTP from scorefs serve match the files through evictions, restarts and damaged blocks', async (t) => {
  const root = await tempDir(t);
  const backend = await httpBackend(t, path.join(root, 'data'), MODEL_SIZES, { partSize: MODEL_PART_SIZE });
  t.true(backend.objects.some((o) => (o.obj.parts?.length ?? 0) > 1), 'the catalog carries part MD5s');
  const totals = await checkAgainstModel(t, backend, () => mkdtemp(path.join(root, 'cache-')), 40);
  t.log(totals, backend.client.source.stats());
  t.true(totals.damaged > 0 && totals.checksumFailures > 0);
  t.is(totals.md5Failures, 0);
});
