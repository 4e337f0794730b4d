// docs/configuration.md is the reference of every option: its options table says exactly what
// scorefs' table (src/cli/options/table.ts) says — each option, its environment variables, config keys,
// default and commands — and each command's section, with the options the table gives that command,
// lists exactly the options `scorefs COMMAND --help` shows. (That each variable and key really sets its
// option is test/options-precedence.test.ts's.)
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { OPTION_NAMES, OPTIONS, optionsOf, type Command } from '../src/cli/options/table.js';
import { exec } from './helpers/exec.js';
import { repoRoot, scorefsBin } from './helpers/paths.js';

const DOC = path.join(repoRoot, 'docs', 'configuration.md');
const NOT_OPTIONS = new Set(['--help', '--version']);
const OPTIONS_HEADING = '## The options';
/** The table's commands, as the commands the doc's headings name. */
const COMMANDS: Record<Command, string[]> = {
  mount: ['mount'],
  cache: ['cache stats', 'cache verify', 'cache clear'],
  warm: ['cache warm'],
  download: ['download'],
};

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
      current.rows.push(cells(line));
    }
  }
  return out;
}

const cells = (line: string): string[] => line.split('|').slice(1, -1).map((c) => c.trim());

/** The rows of the options table (under "## The options"), by the option each names. */
function optionsTable(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  const lines = markdown.split('\n');
  const start = lines.indexOf(OPTIONS_HEADING);
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (!/^\|\s*`/.test(line)) continue;
    const row = cells(line);
    rows.set(/^`(?:--)?([a-z][a-z-]*)/.exec(row[0]!)![1]!, row);
  }
  return rows;
}

const optionsIn = (text: string): string[] => [...text.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]);
/** Backticked names in a cell: `A`, `B` gives A, B. */
const namesIn = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

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

/** The flags the table gives a command (as the doc's heading names it). */
function tableFlags(command: string): string[] {
  const of = (Object.keys(COMMANDS) as Command[]).filter((c) => COMMANDS[c].includes(command));
  return of.flatMap((c) => optionsOf(c)).filter((n) => !('noFlag' in OPTIONS[n])).map((n) => `--${n}`);
}

test("the options table of docs/configuration.md says what scorefs' table says: every option, its environment variables, config keys, default and commands", async (t) => {
  const doc = optionsTable(await readFile(DOC, 'utf8'));
  t.true(doc.size > 0, `a table under "${OPTIONS_HEADING}"`);
  for (const name of OPTION_NAMES) {
    const row = OPTIONS[name];
    const cellsOf = doc.get(name);
    if (!cellsOf) {
      t.fail(`docs/configuration.md's options table has no row for ${name}`);
      continue;
    }
    const [first, env, keys, defaultText, commands] = cellsOf;
    t.is(first!.startsWith('`--'), !('noFlag' in row), `${name}: written as a flag exactly when it is one`);
    t.deepEqual(namesIn(env!), [...row.env], `${name}: its environment variables`);
    t.deepEqual(namesIn(keys!), [...row.keys], `${name}: its config keys`);
    t.is(defaultText!.replace(/`/g, ''), row.defaultText, `${name}: its default`);
    t.deepEqual(namesIn(commands!), [...row.commands], `${name}: its commands`);
  }
  for (const name of doc.keys()) t.true(name in OPTIONS, `${name} in docs/configuration.md's options table is not an option of scorefs' table`);
});

test('docs/configuration.md has a section for every command, listing, with the options table, exactly the options of its --help', async (t) => {
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
    const inSection = new Set(s.rows.flatMap((r) => optionsIn(r[0]!)));
    const inHelp = new Set<string>();
    for (const words of s.commands) {
      const command = words.join(' ');
      const opts = helpOptions(await help(words));
      t.true(opts.size > 0, `no options found in scorefs ${command} --help`);
      for (const o of tableFlags(command)) t.true(opts.has(o), `${o}, which the options table gives scorefs ${command}, is not in its --help`);
      for (const o of opts) {
        inHelp.add(o);
        t.true(inSection.has(o) || tableFlags(command).includes(o), `${o} of scorefs ${command} --help is in neither the table under ${s.heading} nor the options table for ${command}`);
      }
    }
    for (const o of inSection) t.true(inHelp.has(o), `${o} under ${s.heading} is not an option of ${s.commands.map((w) => `scorefs ${w.join(' ')}`).join(' or ')}`);
  }
});
