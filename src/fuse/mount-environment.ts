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

/** The variables to set, given the environment as it is (for LD_PRELOAD's other entries). */
export function mountEnvironment(env: NodeJS.ProcessEnv = {}): Record<string, string> {
  const vars: Record<string, string> = {};
  if (existsSync(MAX_PAGES_LIBRARY)) {
    const others = (env.LD_PRELOAD ?? '').split(/[:\s]+/).filter((p) => p && p !== MAX_PAGES_LIBRARY);
    vars.LD_PRELOAD = [MAX_PAGES_LIBRARY, ...others].join(':');
  }
  if (!env.MALLOC_ARENA_MAX) vars.MALLOC_ARENA_MAX = ARENAS;
  return vars;
}

/** `env` with mountEnvironment's variables set. */
export function withMountEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, ...mountEnvironment(env) };
}
