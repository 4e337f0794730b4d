// Runs a command (samtools, md5sum, stat, …) and returns its exit code and output; never throws on a
// non-zero exit, and kills the command after `timeoutMs`.
import { execFile } from 'node:child_process';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  timeoutMs?: number;
  /** Added to `baseEnv`. */
  env?: Record<string, string>;
  /** The environment `env` is added to; default this process's. */
  baseEnv?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function exec(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 1 << 30, env: { ...(opts.baseEnv ?? process.env), ...opts.env }, cwd: opts.cwd },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** stdout of a command that must succeed. */
export async function output(cmd: string, args: string[], opts: ExecOptions = {}): Promise<string> {
  const r = await exec(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
