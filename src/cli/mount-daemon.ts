// `scorefs mount` without --foreground: the parent starts a detached child running the same
// mount with --foreground, hands it the token over a pipe (never argv, never its environment),
// and returns once the child reports on fd 3 that the mount answers, or fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { close, write } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { withMountEnvironment } from '../fuse/mount-environment.js';
import { LOG_FILE_MODE } from '../util/log.js';

/** Set in the child's environment: read the secret from stdin, report readiness on fd 3. */
const CHILD_ENV = 'SCOREFS_DAEMON_CHILD';
const READY_FD = 3;
const FAILED_EXIT_WAIT_MS = 10_000;

export interface ReadyMessage {
  ok: boolean;
  /** When !ok: one line saying why. */
  error?: string;
  offline?: boolean;
  files?: number;
  catalogFetchedAt?: number;
}

export interface DaemonSecret {
  token?: string;
}

export function isDaemonChild(): boolean {
  return process.env[CHILD_ENV] === '1';
}

/** Starts the daemon and waits for its first message (or its death, or the deadline). */
export async function startDaemon(opts: {
  args: string[];
  secret: DaemonSecret;
  logFile: string;
  timeoutMs: number;
}): Promise<ReadyMessage & { pid: number }> {
  await mkdir(path.dirname(opts.logFile), { recursive: true, mode: 0o700 });
  const log = await open(opts.logFile, 'a', LOG_FILE_MODE);
  await log.chmod(LOG_FILE_MODE).catch(() => undefined); // one made by an older scorefs, or under a lax umask
  const env = withMountEnvironment({ ...process.env, [CHILD_ENV]: '1' });
  delete env.ACCESSTOKEN;
  delete env.SCOREFS_CONFIG; // read once, by the parent, which hands on every option it set
  const child = spawn(process.execPath, [process.argv[1]!, ...opts.args], {
    detached: true, // its own session: the terminal's SIGINT/SIGHUP do not reach it
    cwd: '/', // keep no directory busy
    env,
    stdio: ['pipe', log.fd, log.fd, 'pipe'],
  });
  await log.close();
  child.stdin!.on('error', () => undefined); // the child may die before reading
  child.stdin!.end(JSON.stringify(opts.secret) + '\n');
  const readyPipe = child.stdio[READY_FD] as NodeJS.ReadableStream;

  try {
    const message = await new Promise<ReadyMessage>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`the mount was not ready after ${opts.timeoutMs / 1000} s`)), opts.timeoutMs);
      readyPipe.on('data', (d: Buffer) => {
        text += d.toString();
        const nl = text.indexOf('\n');
        if (nl < 0) return;
        clearTimeout(timer);
        try {
          resolve(JSON.parse(text.slice(0, nl)) as ReadyMessage);
        } catch {
          reject(new Error('the daemon sent a malformed readiness message'));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the daemon exited (${signal ?? `code ${code}`}) before the mount was ready`));
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    // A daemon that failed cleans up (closes its cache) and exits: leave nothing running behind.
    if (!message.ok) await waitForExit(child, FAILED_EXIT_WAIT_MS);
    return { ...message, pid: child.pid! };
  } catch (err) {
    await waitForExit(child, 0);
    throw err;
  } finally {
    readyPipe.removeAllListeners('data');
    (readyPipe as unknown as { destroy(): void }).destroy();
    child.removeAllListeners('exit');
    child.unref();
  }
}

/** Waits up to `graceMs` for the child to exit, then SIGTERM, then SIGKILL. */
async function waitForExit(child: ChildProcess, graceMs: number): Promise<void> {
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const wait = async (ms: number): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([once(child, 'exit'), new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer); // a pending timer would keep this process alive
  };
  if (!exited()) await wait(graceMs);
  if (!exited()) {
    child.kill('SIGTERM');
    await wait(5000);
  }
  if (!exited()) {
    child.kill('SIGKILL');
    await wait(2000);
  }
}

/** In the daemon child: the secret the parent wrote on stdin (empty when not a daemon child). */
export async function readDaemonSecret(timeoutMs = 10_000): Promise<DaemonSecret> {
  if (!isDaemonChild()) return {};
  const text = await new Promise<string>((resolve, reject) => {
    let data = '';
    const timer = setTimeout(() => reject(new Error('no secret from the parent process')), timeoutMs);
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => (data += d));
    process.stdin.once('end', () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
  process.stdin.destroy();
  return text.trim() ? (JSON.parse(text) as DaemonSecret) : {};
}

/** In the daemon child: tells the parent how mounting went (once; later calls do nothing). */
let reported = false;
export async function reportToParent(message: ReadyMessage): Promise<void> {
  if (!isDaemonChild() || reported) return;
  reported = true;
  try {
    await promisify(write)(READY_FD, JSON.stringify(message) + '\n');
  } catch {
    // the parent is gone (timed out or killed): nothing to tell
  }
  close(READY_FD, () => undefined);
}
