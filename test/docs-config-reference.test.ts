// docs/configuration.md is the reference of every option: its tables list exactly the options
// `scorefs COMMAND --help` shows, every command has a table, and each environment variable and config
// key the `scorefs mount` table names really sets that option, with flags > environment > file.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import yargs from 'yargs';
import { mountCommand, resolveMountSettings, type MountSettings } from '../src/cli/mount.js';
import { exec } from './helpers/exec.js';
import { repoRoot, scorefsBin } from './helpers/paths.js';
import { tempDir } from './helpers/tmp.js';

const DOC = path.join(repoRoot, 'docs', 'configuration.md');
const NOT_OPTIONS = new Set(['--help', '--version']);

interface Section {
  heading: string;
  /** Each command the heading names, as argv words: ['cache', 'warm']. */
  commands: string[][];
  /** Table rows whose first cell names options: the cells, trimmed. */
  rows: string[][];
}

function sections(markdown: string): Section[] {
  const out: Section[] = [];
  let current: Section | undefined;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('#')) {
      current = undefined;
      const commands = [...line.matchAll(/`scorefs ([^`]*)`/g)].map((m) => m[1]!.split(' ').filter((w) => /^[a-z][a-z-]*$/.test(w)));
      if (commands.length > 0) out.push((current = { heading: line, commands, rows: [] }));
    } else if (current && /^\|\s*`--/.test(line)) {
      current.rows.push(line.split('|').slice(1, -1).map((c) => c.trim()));
    }
  }
  return out;
}

const optionsIn = (text: string): string[] => [...text.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]);

async function help(words: string[]): Promise<string> {
  const r = await exec(process.execPath, [scorefsBin, ...words, '--help']);
  if (r.code !== 0) throw new Error(`scorefs ${words.join(' ')} --help exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** The options a help text lists (the option column only, aliases included). */
function helpOptions(text: string): Set<string> {
  const opts = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s+((?:-\w, )?--[a-z][a-z-]*(?:, --[a-z][a-z-]*)*)/.exec(line);
    if (m) for (const o of optionsIn(m[1]!)) if (!NOT_OPTIONS.has(o)) opts.add(o);
  }
  return opts;
}

/** Subcommand names a help text lists under "Commands:" (`scorefs mount <mountpoint>` → mount). */
function helpCommands(text: string, parent: string[]): string[] {
  const prefix = ['scorefs', ...parent].join(' ');
  return [...text.matchAll(new RegExp(`^\\s+${prefix} ([a-z][a-z-]*)`, 'gm'))].map((m) => m[1]!);
}

test('docs/configuration.md has a table for every command, listing exactly the options of its --help', async (t) => {
  const docSections = sections(await readFile(DOC, 'utf8'));
  const documented = docSections.flatMap((s) => s.commands.map((c) => c.join(' ')));
  const top = helpCommands(await help([]), []);
  t.true(top.includes('mount') && top.includes('cache'), `commands of scorefs --help: ${top.join(', ')}`);
  const commands = top.flatMap((c) => (c === 'cache' ? [] : [c]));
  const cacheHelp = await help(['cache']);
  commands.push(...helpCommands(cacheHelp, ['cache']).map((c) => `cache ${c}`));
  t.true(commands.includes('cache warm'), `subcommands of scorefs cache --help: ${cacheHelp}`);
  for (const c of commands) t.true(documented.includes(c), `docs/configuration.md has no "## \`scorefs ${c}\`" section`);

  for (const s of docSections) {
    const inTable = new Set(s.rows.flatMap((r) => optionsIn(r[0]!)));
    const inHelp = new Set<string>();
    for (const words of s.commands) {
      const opts = helpOptions(await help(words));
      t.true(opts.size > 0, `no options found in scorefs ${words.join(' ')} --help`);
      for (const o of opts) {
        inHelp.add(o);
        t.true(inTable.has(o), `${o} of scorefs ${words.join(' ')} --help is missing from the table under ${s.heading}`);
      }
    }
    for (const o of inTable) t.true(inHelp.has(o), `${o} under ${s.heading} is not an option of ${s.commands.map((w) => `scorefs ${w.join(' ')}`).join(' or ')}`);
  }
});

/** A value for each mount option that the mount table says has an environment variable or config key. */
async function exampleValues(dir: string): Promise<Record<string, string>> {
  const tokenFile = path.join(dir, 'token');
  await writeFile(tokenFile, 'token-for-the-reference-test\n');
  await chmod(tokenFile, 0o600);
  const config = path.join(dir, 'other.conf');
  await writeFile(config, 'cache-size = 3G\n');
  return {
    'storage-url': 'http://score.test:1',
    'metadata-url': 'http://song.test:2',
    'token-file': tokenFile,
    config,
    'cache-dir': path.join(dir, 'cache'),
    'cache-size': '5G',
    'memory-size': '96M',
    layout: 'study',
    manifest: path.join(dir, 'manifest.tsv'),
    'allow-other': 'true',
    'log-file': path.join(dir, 'x.log'),
    'log-level': 'debug',
    'read-deadline': '7',
    'refresh-interval': '42',
    'access-lease': '12h',
    'metrics-port': '9187',
    connections: '12',
  };
}

/** What `scorefs mount /mnt/x ARGV` resolves to, parsed by the real command definition. */
async function settingsFor(argv: string[], env: NodeJS.ProcessEnv): Promise<MountSettings> {
  let parsed: Parameters<typeof resolveMountSettings>[0] | undefined;
  await yargs(['mount', '/mnt/x', ...argv])
    .command({ ...mountCommand, handler: (a) => void (parsed = a) })
    .strict()
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseAsync();
  return resolveMountSettings(parsed!, env);
}

/** Backticked names in a cell, before any "(…)" remark; `KEY=value` and `key = value` give KEY / key. */
const namesIn = (cell: string): string[] => [...cell.split('(')[0]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.split('=')[0]!.trim());

test('each environment variable and config key of the scorefs mount table sets its option', async (t) => {
  const dir = await tempDir(t);
  const examples = await exampleValues(dir);
  const mount = sections(await readFile(DOC, 'utf8')).find((s) => s.commands.some((c) => c.join(' ') === 'mount'));
  t.truthy(mount, 'a scorefs mount section');
  const base = ['--storage-url', 'http://base.test'];
  const baseline = await settingsFor(base, {});
  let configFiles = 0;

  for (const [optionCell, envCell, keyCell] of mount!.rows) {
    const option = optionsIn(optionCell!)[0]!.slice(2);
    const envNames = namesIn(envCell!).filter((n) => /^[A-Z][A-Z_]*$/.test(n));
    const keys = namesIn(keyCell!).filter((n) => /^[a-z][a-zA-Z.-]*$/.test(n));
    const value = examples[option];
    if (value === undefined) {
      t.deepEqual([envNames, keys], [[], []], `--${option} has no example value in this test, so its table row must say "—" for environment and key`);
      continue;
    }
    const flagArgs = option === 'allow-other' ? ['--allow-other'] : [`--${option}`, value];
    const others = option === 'storage-url' ? [] : base;
    const comparable = (s: MountSettings): MountSettings => {
      const copy = { ...s };
      if (option !== 'config') delete copy.configFile; // the file variant names its own file
      return copy;
    };
    const byFlag = comparable(await settingsFor([...others, ...flagArgs], {}));
    t.notDeepEqual(byFlag, comparable(baseline), `--${option} ${value} changes nothing`);
    t.true(envNames.length > 0 || keys.length > 0 || option === 'config', `--${option}: no environment variable or config key in the table`);
    for (const name of envNames) {
      t.deepEqual(comparable(await settingsFor(others, { [name]: value })), byFlag, `${name}=${value} does not act as --${option} ${value}`);
    }
    for (const key of keys) {
      const file = path.join(dir, `c${configFiles++}.conf`);
      await writeFile(file, `${key} = ${value}\n`);
      t.deepEqual(comparable(await settingsFor([...others, '--config', file], {})), byFlag, `"${key} = ${value}" in a config file does not act as --${option} ${value}`);
    }
  }
});

test('flags win over the environment, which wins over the config file', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'scorefs.conf');
  await writeFile(file, 'storage-url = http://file.test\ncache-size = 3G\n');
  const GiB = 1024 ** 3;
  t.is((await settingsFor(['--config', file, '--cache-size', '1G'], { SCOREFS_CACHE_SIZE: '2G' })).cacheSizeBytes, GiB);
  t.is((await settingsFor(['--config', file], { SCOREFS_CACHE_SIZE: '2G' })).cacheSizeBytes, 2 * GiB);
  t.is((await settingsFor(['--config', file], {})).cacheSizeBytes, 3 * GiB);
  t.is((await settingsFor(['--config', file], { STORAGE_URL: 'http://env.test' })).client.storageUrl, 'http://env.test');
  t.is((await settingsFor(['--config', file, '--storage-url', 'http://flag.test'], { STORAGE_URL: 'http://env.test' })).client.storageUrl, 'http://flag.test');
});
