// Every command reads the environment variables (and the config file) of every option it takes,
// through the one resolver: a bad value is refused by the real CLI before the command does anything
// (exit 2, naming the variable, or the key and its file), and nothing is created. Which source wins
// is test/options-precedence.test.ts's; this proves each command consults them.
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { OPTION_NAMES, OPTIONS, optionsOf, type Command } from '../src/cli/options/table.js';
import { runScorefs } from './helpers/mount.js';
import { EXAMPLES } from './helpers/option-examples.js';
import { tempDir } from './helpers/tmp.js';

/** Whatever the test runner's environment holds, the table's variables start unset (empty counts as unset). */
const CLEAN_ENV = Object.fromEntries(OPTION_NAMES.flatMap((n) => OPTIONS[n].env.map((v) => [v, ''])));

/** Each command's argv with none of the table's options: they come from the environment or the file. */
const ARGV: Record<Command, (work: string) => string[]> = {
  mount: (work) => ['mount', path.join(work, 'mnt')],
  cache: () => ['cache', 'stats'],
  warm: () => ['cache', 'warm', 'some-object'],
  download: (work) => ['download', '--object-id', 'some-object', '--output-dir', path.join(work, 'out')],
};

for (const command of Object.keys(ARGV) as Command[]) {
  const checked = optionsOf(command).filter((n): n is keyof typeof EXAMPLES => n in EXAMPLES && EXAMPLES[n as keyof typeof EXAMPLES].bad !== undefined);
  if (checked.length === 0) continue; // cache: below
  test(`${command}: a bad value of any of its options in SCOREFS_<OPTION>, or one in the config file, is refused naming it`, async (t) => {
    const work = await tempDir(t);
    const home = await tempDir(t); // the default cache directory, were it made
    const argv = ARGV[command](work);
    for (const name of checked) {
      const [variable] = OPTIONS[name].env; // score-client's names too: test/options-precedence.test.ts
      const bad = EXAMPLES[name].bad!;
      const r = await runScorefs(argv, { ...CLEAN_ENV, HOME: home, [variable!]: bad });
      t.is(r.code, 2, `${variable}=${bad}: ${r.stderr}`);
      t.true(r.stderr.includes(variable!), `${variable}=${bad}: ${r.stderr}`);
    }
    const [name] = checked;
    const config = path.join(home, 'bad.conf');
    await writeFile(config, `${name} = ${EXAMPLES[name!].bad}\n`);
    const r = await runScorefs(argv, { ...CLEAN_ENV, HOME: home, SCOREFS_CONFIG: config });
    t.is(r.code, 2, r.stderr);
    t.true(r.stderr.includes(`${name} in ${config}`), r.stderr);
    t.deepEqual(await readdir(work), [], 'no mountpoint, cache or output directory was made');
  });
}

test('cache stats, verify and clear look for the cache where SCOREFS_CACHE_DIR, or cache-dir in the config file, says', async (t) => {
  const home = await tempDir(t);
  const fromEnv = path.join(home, 'env-cache');
  const fromFile = path.join(home, 'file-cache');
  const config = path.join(home, 'scorefs.conf');
  await writeFile(config, `cache-dir = ${fromFile}\n`);
  for (const sub of ['stats', 'verify', 'clear']) {
    const byEnv = await runScorefs(['cache', sub], { ...CLEAN_ENV, HOME: home, SCOREFS_CACHE_DIR: fromEnv });
    t.is(byEnv.code, 1, byEnv.stderr);
    t.regex(byEnv.stderr, new RegExp(`no scorefs cache at ${fromEnv}`), `cache ${sub} with SCOREFS_CACHE_DIR`);
    const byFile = await runScorefs(['cache', sub], { ...CLEAN_ENV, HOME: home, SCOREFS_CONFIG: config });
    t.regex(byFile.stderr, new RegExp(`no scorefs cache at ${fromFile}`), `cache ${sub} with SCOREFS_CONFIG`);
  }
  t.deepEqual((await readdir(home)).sort(), ['scorefs.conf'], 'no cache was made');
});
