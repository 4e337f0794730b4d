// The environment a process that mounts starts with: the daemon `scorefs mount` spawns, and the
// systemd units (which run `scorefs mount --foreground`).
// - LD_PRELOAD gains fuse-max-pages.so (max-pages.ts), for FUSE requests of up to 1 MiB.
// - MALLOC_ARENA_MAX=2. libfuse mallocs a buffer the size of each read request in the FUSE thread
//   that serves it, and glibc keeps what a thread frees in that thread's arena for its next use: with
//   1 MiB requests, a dozen FUSE threads kept 4–6 MiB each (16 readers peaked at 275–285 MiB RSS, 245
//   with two arenas). Two arenas share the buffers. A value the user set is kept.
import { existsSync } from 'node:fs';
import { MAX_PAGES_LIBRARY } from './max-pages.js';

const ARENAS = '2';

/** LD_PRELOAD splits its list on these: a library whose path holds one cannot be named in it. */
const PRELOAD_SEPARATORS = /[:\s]+/;

/**
 * The variables to set, given the environment as it is (for LD_PRELOAD's other entries). An
 * installation under a path with a space or a colon mounts without the library (128 KiB requests; the
 * `mounted` log line says which): named, it would be split, and ld.so would refuse the pieces.
 */
export function mountEnvironment(env: NodeJS.ProcessEnv = {}, library = MAX_PAGES_LIBRARY): Record<string, string> {
  const vars: Record<string, string> = {};
  if (existsSync(library) && !PRELOAD_SEPARATORS.test(library)) {
    const others = (env.LD_PRELOAD ?? '').split(PRELOAD_SEPARATORS).filter((p) => p && p !== library);
    vars.LD_PRELOAD = [library, ...others].join(':');
  }
  if (!env.MALLOC_ARENA_MAX) vars.MALLOC_ARENA_MAX = ARENAS;
  return vars;
}

/** `env` with mountEnvironment's variables set. */
export function withMountEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, ...mountEnvironment(env) };
}
