// FUSE requests of 1 MiB. libfuse 2.9 (under fuse-native) leaves the kernel at 128 KiB per request;
// fuse-max-pages.so, preloaded into the process that mounts, raises that to 1 MiB (the C file says how).
// A sequential read then costs an eighth of the requests, each with its trip through libfuse, a thread
// switch and a JS callback. The kernel's readahead still decides how much it asks at once: requests
// grow past 128 KiB only with `--read-ahead` of 1M or more.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The preload library, built beside this module by scripts/build-native.sh. */
export const MAX_PAGES_LIBRARY = fileURLToPath(new URL('./fuse-max-pages.so', import.meta.url));

/** The request size libfuse 2.9 leaves the kernel at: 32 pages. */
const DEFAULT_MAX_READ = 128 * 1024;
/** With the library loaded: 256 pages. */
const LARGE_MAX_READ = 1024 * 1024;

/** Whether this process has the library loaded (so that its mounts may ask for 1 MiB requests). */
function maxPagesLibraryLoaded(): boolean {
  try {
    return readFileSync('/proc/self/maps', 'utf8').includes(`/${path.basename(MAX_PAGES_LIBRARY)}\n`); // by name: maps has the real path
  } catch {
    return false;
  }
}

/** The max_read a mount made by this process asks for. */
export function mountMaxRead(): number {
  return maxPagesLibraryLoaded() ? LARGE_MAX_READ : DEFAULT_MAX_READ;
}
