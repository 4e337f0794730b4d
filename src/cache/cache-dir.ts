// The cache directory itself: where a cache lives (v2/ under --cache-dir), whether one is there, what
// becomes of a cache in an older layout, and its modes. Cached bytes may be of controlled-access
// objects: the directory is 0700 and every file in it 0600 whatever the umask, and a cache left
// readable by others (an older scorefs) is made private.
import { chmod, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInput, NotFound } from '../errors.js';
import { logger } from '../util/log.js';

const log = logger('cache');

/** Cache layout version: a new layout gets a new directory. */
const LAYOUT = 'v2';
/** Older layouts: a cache in one is dropped when the directory is opened (see dropOldLayouts). */
const OLD_LAYOUTS = ['v1'];
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Where the layout's files live under a cache directory. */
export function layoutRoot(dir: string): string {
  return path.join(dir, LAYOUT);
}

/** Throws InvalidInput when `dir` exists and is not a directory (mkdir would fail with a bare EEXIST). */
export async function checkCacheDirPath(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (st && !st.isDirectory()) throw new InvalidInput(`--cache-dir ${dir} is a file, not a directory: pass a directory (it is created if missing)`);
}

/** For commands that only read a cache: throws NotFound when `dir` holds none (rather than making one). */
export async function assertCacheExists(dir: string): Promise<void> {
  await checkCacheDirPath(dir);
  const indexes = await Promise.all([LAYOUT, ...OLD_LAYOUTS].map((l) => stat(path.join(dir, l, 'index')).catch(() => undefined)));
  if (!indexes.some((index) => index?.isDirectory())) throw new NotFound(`no scorefs cache at ${dir}: check --cache-dir (a mount or \`scorefs cache warm\` creates one)`);
}

/**
 * Creates the cache directory private, and makes an existing one private if group or others may
 * enter it: everything in the layout (v2/, which alone protects the cached bytes), and the directory
 * itself when it holds nothing but the cache and its log (never a shared folder such as /tmp).
 */
export async function makeCacheDirPrivate(dir: string): Promise<void> {
  await checkCacheDirPath(dir);
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const root = layoutRoot(dir);
  // the directory itself only when it is the cache's alone: not a folder shared with other things
  const onlyCache = (await readdir(dir)).every((name) => name === LAYOUT || OLD_LAYOUTS.includes(name) || /^scorefs\.log(\.\d+)?$/.test(name));
  const dirWasOpen = onlyCache && (await openToOthers(dir));
  const layoutWasOpen = await openToOthers(root);
  if (dirWasOpen) await chmod(dir, PRIVATE_DIR_MODE);
  if (layoutWasOpen) await privateTree(root);
  if (dirWasOpen || layoutWasOpen) log.warn({ dir }, 'the cache directory was readable by other users: made it private (directories 0700, files 0600)');
  for (const sub of ['blocks', 'index']) await mkdir(path.join(root, sub), { recursive: true, mode: PRIVATE_DIR_MODE });
}

async function openToOthers(p: string): Promise<boolean> {
  const st = await stat(p).catch(() => undefined);
  return st !== undefined && (st.mode & 0o077) !== 0;
}

async function privateTree(dir: string): Promise<void> {
  await chmod(dir, PRIVATE_DIR_MODE);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await privateTree(p);
    else if (entry.isFile()) await chmod(p, PRIVATE_FILE_MODE).catch(() => undefined); // a block may go meanwhile
  }
}

/**
 * Removes a cache in an older layout under `dir`: its bytes are fetched again as they are read. One
 * that `inUse` says an older scorefs still has open is left, with a warning.
 */
export async function dropOldLayouts(dir: string, inUse: (indexDir: string) => Promise<boolean>): Promise<void> {
  for (const layout of OLD_LAYOUTS) {
    const root = path.join(dir, layout);
    if (!(await stat(root).catch(() => undefined))) continue;
    if (await inUse(path.join(root, 'index'))) {
      log.warn({ dir: root }, 'a cache in an older layout is in use by another scorefs: left as it is (remove it once that one stops)');
      continue;
    }
    try {
      await rm(root, { recursive: true, force: true });
      log.info({ dir: root }, 'removed a cache in an older layout: its objects are fetched again as they are read');
    } catch (err) {
      log.warn({ err, dir: root }, 'could not remove a cache in an older layout');
    }
  }
}
