// Segment files stay open between blocks, but never past their unlink: a write after a file was
// removed makes a new file rather than going to the removed one, and idle files are closed beyond a
// bound (fds are a limited resource of the daemon's).
import test from 'ava';
import fs from 'node:fs';
import { readdir, readFile, readlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fdRead, fdWrite, OpenFiles } from '../src/cache/open-files.js';
import { tempDir } from './helpers/tmp.js';

const cached = { direct: false, create: true };
/** Descriptors this process has open on files under `dir`. */
async function openUnder(dir: string): Promise<number> {
  const targets = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((f) => f.startsWith(dir + path.sep)).length;
}

test('a file unlinked and forgotten is not written through its old descriptor: the next write makes it again', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 's0');
  const files = new OpenFiles();
  t.teardown(() => files.closeAll());
  await files.use(file, cached, (fd) => fdWrite(fd, Buffer.from('old'), 0, 3, 0));
  await unlink(file);
  await files.forget(file);
  await files.use(file, cached, (fd) => fdWrite(fd, Buffer.from('new'), 0, 3, 0));
  t.is(await readFile(file, 'utf8'), 'new');
});

test('a file forgotten while in use stays open for that use, and is closed when it ends', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 's0');
  fs.writeFileSync(file, 'bytes');
  const files = new OpenFiles();
  t.teardown(() => files.closeAll());
  const got = await files.use(file, { direct: false, create: false }, async (fd) => {
    await files.forget(file);
    t.is(await openUnder(dir), 1, 'still open while in use');
    const buf = Buffer.alloc(5);
    await fdRead(fd, buf, 0, 5, 0);
    return buf.toString();
  });
  t.is(got, 'bytes');
  t.is(await openUnder(dir), 0, 'closed once the use ended');
});

test('idle files beyond the bound are closed, least recently used first; a missing file is ENOENT without create', async (t) => {
  const dir = await tempDir(t);
  const files = new OpenFiles();
  t.teardown(() => files.closeAll());
  for (let i = 0; i < 100; i++) await files.use(path.join(dir, `s${i}`), cached, async () => undefined);
  const open = await openUnder(dir);
  t.true(open <= 64 && open > 0, `${open} files left open`);
  await t.throwsAsync(files.use(path.join(dir, 'missing'), { direct: false, create: false }, async () => undefined), { code: 'ENOENT' });
  await files.closeAll();
  t.is(await openUnder(dir), 0, 'closeAll closes them all');
});
