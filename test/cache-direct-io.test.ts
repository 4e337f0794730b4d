// Block files go past the page cache with direct I/O where the filesystem allows it, and through it
// where it does not: ramfs refuses O_DIRECT (as tmpfs did before Linux 6.6), and a cache there still
// writes and reads its blocks exactly.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isAligned } from '../src/cache/aligned-slabs.js';
import { BlockFiles } from '../src/cache/block-files.js';
import { BlockBufferPool } from '../src/cache/buffer-pool.js';
import { exec } from './helpers/exec.js';
import { tempDir } from './helpers/tmp.js';

const MiB = 1024 * 1024;

test('whole blocks come from page-aligned memory', (t) => {
  const pool = new BlockBufferPool(MiB, 4);
  const blocks = Array.from({ length: 300 }, () => pool.acquire(MiB)); // more than one slab
  t.true(blocks.every(isAligned));
  const slabs = [...new Set(blocks.map((b) => b.buffer))];
  t.true(slabs.length > 1, 'slabs are added as they are needed');
  t.is(new Set(blocks.map((b) => `${slabs.indexOf(b.buffer)}:${b.byteOffset}`)).size, 300, 'no two share memory');
  t.false(isAligned(pool.acquire(MiB - 100)), 'a short block is a plain buffer');
});

test('on a filesystem that refuses direct I/O, block files are written and read through the page cache', async (t) => {
  const root = path.join(await tempDir(t), 'ramfs');
  await mkdir(root);
  const mounted = await exec('mount', ['-t', 'ramfs', 'ramfs', root]);
  t.is(mounted.code, 0, mounted.stderr);
  t.teardown(() => exec('umount', [root]).then(() => undefined));
  const refused = await exec('dd', ['if=/dev/zero', `of=${path.join(root, 'probe')}`, 'bs=1M', 'count=1', 'oflag=direct']);
  t.regex(refused.stderr, /Invalid argument/, 'ramfs refuses O_DIRECT here');

  const pool = new BlockBufferPool(MiB, 4);
  const files = new BlockFiles(root, MiB, 16 * MiB);
  const want = randomBytes(MiB);
  const block = pool.acquire(MiB);
  want.copy(block);
  t.true(isAligned(block));
  await files.write('object', 3, block);
  const back = await files.read('object', 3, MiB, (size) => pool.acquire(size));
  t.true(back?.equals(want), 'the block read back is the block written');
  await files.close();
});
