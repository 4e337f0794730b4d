// Every shell example in README.md and docs/*.md (benchmarks.md excepted: scripts/bench-* run its
// commands) runs here, so the docs cannot rot. Each document runs top to bottom in one bash session
// (set -euo pipefail), as a reader would type it, in a sandbox:
//
// - HOME and XDG_RUNTIME_DIR are new temporary directories, the working directory is the checkout,
//   bin/ is on PATH;
// - the Score server the docs name, https://score.example.org (SONG: https://song.example.org), is a
//   real `scorefs serve` on 127.0.0.1 over a copy of the sample data, every file controlled-access;
//   $MY_API_KEY holds a token with the study's read scope, $DOCS_OTHER_API_KEY one for another study,
//   and $DOCS_SERVER_PID is that server (for a hidden setup step that takes it down);
// - ports 8080 (a server the docs start themselves) and 9187 (metrics) are free ports.
//
// A block fails the test when it exits non-zero or a console block's output is not what it shows (a
// line it does not show, or one it shows that is not printed).
// A block that cannot run here carries `<!-- docs-test: skip — REASON -->`; anything else is run.
// At the end every mount under the sandbox is unmounted, background jobs are killed, and the
// sandbox, the server and the temporary files are removed, pass or fail.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { outputMismatch, parseDoc, type DocStep } from './helpers/doc-blocks.js';
import { mountpointsUnder, mountWorkDir, runScorefs } from './helpers/mount.js';
import { freePort } from './helpers/ports.js';
import { repoRoot } from './helpers/paths.js';
import { sampleData } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';

const DOC_TIMEOUT_MS = 120_000;
const API_KEY = 'docs-api-key-0f3c';
const OTHER_API_KEY = 'docs-other-study-key-77a1';
/** Variables a reader may have set that would change what the docs do. */
const CLEARED_ENV = /^(STORAGE_URL|METADATA_URL|ACCESSTOKEN|CLIENT_ACCESSTOKEN|TRANSPORT_PARALLEL|XDG_CACHE_HOME|SCOREFS_.*)$/;

async function documents(): Promise<string[]> {
  const docs = (await readdir(path.join(repoRoot, 'docs'))).filter((f) => f.endsWith('.md') && f !== 'benchmarks.md').sort();
  return ['README.md', ...docs.map((f) => `docs/${f}`)];
}

const docs = await documents();
const docExamples = await Promise.all(docs.map(examples));

test('README.md and docs/ are all covered', (t) => {
  t.true(docs.includes('README.md'));
  for (const d of ['docs/configuration.md', 'docs/cache.md', 'docs/troubleshooting.md', 'docs/comparison.md', 'docs/systemd-and-fstab.md']) {
    t.true(docs.includes(d), d);
  }
});

test('a console block shows all that its commands print, in order', (t) => {
  const printed = 'seq1\t1575\t1482\t19\nseq2\t1584\t1789\t17\n*\t0\t0\t0\n';
  t.is(outputMismatch(['seq1 1575 1482 19', 'seq2 1584 1789 17', '* 0 0 0'], printed), undefined);
  t.is(outputMismatch(['seq1 1575 1482 19', 'seq2 1584 1789 17'], printed), 'output has "* 0 0 0", which the block does not show');
  t.is(outputMismatch(['seq1 1575 1482 19', '…'], printed), undefined);
  t.is(outputMismatch(['…', '* 0 0 0'], printed), undefined);
  t.is(outputMismatch(['seq1 …', 'seq… 17', '…'], printed), undefined);
  t.is(outputMismatch(['seq2 1584 1789 17', 'seq1 1575 1482 19', '* 0 0 0'], printed), 'output has "seq1 1575 1482 19", which the block does not show');
  t.is(outputMismatch(['seq1 1575 1482 19', 'seq3 1 1 1'], printed), 'output lacks "seq3 1 1 1"');
  t.is(outputMismatch([], ''), undefined);
  t.is(outputMismatch([], 'a warning\n'), 'output has "a warning", which the block does not show');
});

/** A document's examples, or the format error its test reports. */
async function examples(doc: string): Promise<DocStep[] | Error> {
  try {
    return parseDoc(doc, await readFile(path.join(repoRoot, doc), 'utf8'));
  } catch (err) {
    return err as Error;
  }
}

for (const [i, doc] of docs.entries()) {
  const steps = docExamples[i]!;
  if (!(steps instanceof Error) && steps.every((s) => s.kind === 'skip')) {
    test.skip(`every command in ${doc} runs (skipped: it has no command to run)`, () => undefined);
    continue;
  }
  test.serial(`every command in ${doc} runs`, async (t) => {
    if (steps instanceof Error) throw steps;
    for (const s of steps.filter((x) => x.kind === 'skip')) t.log(`skipped ${doc}:${s.line} (${s.reason}): ${s.script.split('\n')[0]}`);
    const runnable = steps.filter((s) => s.kind !== 'skip');
    const sandbox = await makeSandbox(t);
    const result = await runSteps(sandbox, runnable);
    if (result.failedStep !== undefined) {
      const s = runnable[result.failedStep]!;
      t.fail(`${doc}:${s.line}: exited ${result.code}\n--- script\n${sandbox.substitute(s.script)}\n--- output\n${result.outputs[result.failedStep]}\n--- stderr\n${result.stderr}`);
      return;
    }
    t.is(result.code, 0);
    runnable.forEach((s, i) => {
      if (s.lang !== 'console') return; // sh blocks show no output
      const wrong = outputMismatch(s.expected.map(sandbox.substitute), result.outputs[i] ?? '');
      t.is(wrong, undefined, `${doc}:${s.line}: ${wrong}\n--- output\n${result.outputs[i]}`);
    });
    t.log(`${doc}: ran ${runnable.filter((s) => s.kind === 'run').length} block(s)`);
  });
}

interface Sandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
  substitute(text: string): string;
}

async function makeSandbox(t: ExecutionContext): Promise<Sandbox> {
  const dir = await mountWorkDir(t); // unmounts what is left under it and removes it at teardown
  t.teardown(() => unmountUnder(dir)); // stops the daemons cleanly first
  const data = path.join(dir, 'data');
  await cp(sampleData(), data, { recursive: true });
  for (const analysis of await readdir(path.join(data, 'TEST-CA'))) {
    const files = (await readdir(path.join(data, 'TEST-CA', analysis))).filter((f) => !f.startsWith('.'));
    const access = Object.fromEntries(files.map((f) => [f, { fileAccess: 'controlled' }]));
    await writeFile(path.join(data, 'TEST-CA', analysis, '.analysis.json'), JSON.stringify({ files: access }));
  }
  const tokens = path.join(dir, 'tokens.json');
  await writeFile(tokens, JSON.stringify({ [API_KEY]: ['PROGRAMDATA-TEST-CA.READ'], [OTHER_API_KEY]: ['PROGRAMDATA-OTHER.READ'] }));
  const server = await startServer(t, { data, tokens, testControls: false });
  const ports = { '8080': await freePort(), '9187': await freePort() };

  const runtimeDir = path.join(dir, 'run'); // a login session's XDG_RUNTIME_DIR (systemd-analyze --user needs one)
  await mkdir(runtimeDir, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !CLEARED_ENV.test(k)));
  Object.assign(env, {
    HOME: path.join(dir, 'home'),
    XDG_RUNTIME_DIR: runtimeDir,
    PATH: `${path.join(repoRoot, 'bin')}:${process.env.PATH}`,
    MY_API_KEY: API_KEY,
    DOCS_OTHER_API_KEY: OTHER_API_KEY,
    DOCS_SERVER_PID: String(server.child.pid),
  });
  const substitute = (text: string): string =>
    text
      .replaceAll('https://score.example.org', server.url)
      .replaceAll('https://song.example.org', server.url)
      .replace(/\b(8080|9187)\b/g, (p: string) => String(ports[p as keyof typeof ports]));
  return { dir, env, substitute };
}

interface RunResult {
  code: number | null;
  /** Index of the step that failed, when one did. */
  failedStep?: number;
  /** Output (stdout and stderr) of each step that ran. */
  outputs: string[];
  stderr: string;
}

/** Runs the steps in one bash session; stops at the first failing one. */
async function runSteps(sandbox: Sandbox, steps: DocStep[]): Promise<RunResult> {
  const { dir } = sandbox;
  const driver: string[] = ['set -euo pipefail', `mkdir -p "$HOME"`];
  for (const [i, s] of steps.entries()) {
    const file = path.join(dir, `step-${i}.sh`);
    await writeFile(file, `${sandbox.substitute(s.script)}\n`);
    driver.push(`echo ${i} > ${dir}/current-step`, `source ${file} > ${dir}/step-${i}.out 2>&1`);
  }
  driver.push(`echo done > ${dir}/current-step`);
  await writeFile(path.join(dir, 'driver.sh'), driver.join('\n') + '\n');

  // its own process group, so that background jobs the docs start are stopped with it
  const bash = spawn('bash', [path.join(dir, 'driver.sh')], { cwd: repoRoot, env: sandbox.env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  bash.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => killGroup(bash.pid!), DOC_TIMEOUT_MS);
  const [code] = (await once(bash, 'exit')) as [number | null];
  clearTimeout(timer);
  killGroup(bash.pid!);

  const reached = (await readFile(path.join(dir, 'current-step'), 'utf8').catch(() => '0')).trim();
  const last = reached === 'done' ? steps.length - 1 : Number(reached);
  const outputs: string[] = [];
  for (let i = 0; i <= last; i++) outputs.push(await readFile(path.join(dir, `step-${i}.out`), 'utf8').catch(() => ''));
  return { code, outputs, stderr, ...(code !== 0 || reached !== 'done' ? { failedStep: last } : {}) };
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    // the group is gone already
  }
}

async function unmountUnder(dir: string): Promise<void> {
  for (const m of (await mountpointsUnder(dir)).reverse()) await runScorefs(['unmount', m]).catch(() => undefined);
}
