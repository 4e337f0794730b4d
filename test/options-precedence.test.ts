// Every option of the table (src/cli/options/table.ts), for every command alike: the flag wins over the
// environment, which wins over the config file, which wins over the default; among its environment
// variables (and its config keys) the first set wins; an empty value counts as unset; and a bad value
// is refused naming where it came from. Flags are parsed by the real yargs declaration.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import yargs from 'yargs';
import { InvalidInput } from '../src/errors.js';
import { declareOptions } from '../src/cli/options/declare.js';
import { resolveOptions } from '../src/cli/options/resolve.js';
import { OPTION_NAMES, OPTIONS, type OptionName } from '../src/cli/options/table.js';
import { EXAMPLES } from './helpers/option-examples.js';
import { tempDir } from './helpers/tmp.js';

interface Sources {
  flag?: string;
  env?: Record<string, string>;
  /** Config-file lines. */
  file?: string;
}

let files = 0;

/** What `name` resolves to for its first command, given these sources. */
async function resolve(dir: string, name: OptionName, s: Sources): Promise<unknown> {
  const command = OPTIONS[name].commands[0]!;
  let flags: Record<string, unknown> = {};
  await declareOptions(yargs(s.flag === undefined ? [] : [`--${name}`, s.flag]), command)
    .strict()
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseAsync()
    .then((a) => void (flags = a));
  if (s.file !== undefined) {
    const config = path.join(dir, `c${files++}.conf`);
    await writeFile(config, `${s.file}\n`);
    flags.config = config;
  }
  return (await resolveOptions(command, flags, s.env ?? {})).get(name);
}

for (const name of OPTION_NAMES) {
  if (name === 'access-token' || name === 'config') continue; // test/score-config.test.ts: the token's rules; below: config
  test(`${name}: flag > environment > config file > default, checked naming the source`, async (t) => {
    const dir = await tempDir(t);
    const row = OPTIONS[name];
    const example = EXAMPLES[name];
    t.truthy(example, `give the new option ${name} example values in EXAMPLES`);
    const [a, b] = example.good;
    const [env0] = row.env;
    const [key0] = row.keys;
    t.is(env0, `SCOREFS_${name.toUpperCase().replace(/-/g, '_')}`, 'its first environment variable is SCOREFS_<NAME>');
    t.is(key0, name, 'its first config key is its name');

    const none = await resolve(dir, name, {});
    t.deepEqual(none, 'default' in row ? row.default({}) : undefined, 'nothing set: the default');
    const byFlag = await resolve(dir, name, { flag: a });
    t.notDeepEqual(byFlag, await resolve(dir, name, { flag: b }), `--${name} ${a} and ${b} differ`);
    t.deepEqual(await resolve(dir, name, { flag: a, env: { [env0!]: b }, file: `${key0} = ${b}` }), byFlag, 'the flag wins');

    for (const variable of row.env) {
      const byEnv = await resolve(dir, name, { env: { [variable]: a } });
      t.deepEqual(byEnv, byFlag, `${variable}=${a} acts as --${name} ${a}`);
      t.deepEqual(await resolve(dir, name, { flag: b, env: { [variable]: a } }), await resolve(dir, name, { flag: b }), `--${name} wins over ${variable}`);
      t.deepEqual(await resolve(dir, name, { env: { [variable]: a }, file: `${key0} = ${b}` }), byEnv, `${variable} wins over the config file`);
      t.deepEqual(await resolve(dir, name, { env: { [variable]: ' ' }, file: `${key0} = ${a}` }), byFlag, `an empty ${variable} is unset`);
    }
    for (const [later, earlier] of row.env.slice(1).map((v, i) => [v, row.env[i]!] as const)) {
      t.deepEqual(await resolve(dir, name, { env: { [earlier]: a, [later]: b } }), byFlag, `${earlier} wins over ${later}`);
    }
    for (const key of row.keys) {
      t.deepEqual(await resolve(dir, name, { file: `${key} = ${a}` }), byFlag, `"${key} = ${a}" in the config file acts as --${name} ${a}`);
    }
    for (const [later, earlier] of row.keys.slice(1).map((k, i) => [k, row.keys[i]!] as const)) {
      t.deepEqual(await resolve(dir, name, { file: `${later} = ${b}\n${earlier} = ${a}` }), byFlag, `${earlier} wins over ${later}`);
    }

    if (example.bad === undefined) return;
    const bad = example.bad;
    if (!row.kind.boolean) await t.throwsAsync(resolve(dir, name, { flag: bad }), { message: new RegExp(`--${name}`) });
    await t.throwsAsync(resolve(dir, name, { env: { [env0!]: bad } }), { instanceOf: InvalidInput, message: new RegExp(env0!) });
    await t.throwsAsync(resolve(dir, name, { file: `${key0} = ${bad}` }), { instanceOf: InvalidInput, message: new RegExp(`${key0} in .*\\.conf`) });
  });
}

test('config: --config wins over SCOREFS_CONFIG; an unknown key in it is refused, naming the key', async (t) => {
  const dir = await tempDir(t);
  const flagFile = path.join(dir, 'flag.conf');
  const envFile = path.join(dir, 'env.conf');
  await writeFile(flagFile, 'layout = study\n');
  await writeFile(envFile, 'layout = object-id\n');
  const layout = async (flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<unknown> => (await resolveOptions('mount', flags, env)).get('layout');
  t.is(await layout({ config: flagFile }, { SCOREFS_CONFIG: envFile }), 'study');
  t.is(await layout({}, { SCOREFS_CONFIG: envFile }), 'object-id');
  t.is(await layout({}, {}), 'bundle');

  const typo = path.join(dir, 'typo.conf');
  await writeFile(typo, 'cache_size = 5G\n');
  await t.throwsAsync(resolveOptions('cache', { config: typo }, {}), { instanceOf: InvalidInput, message: /unknown key "cache_size" \(did you mean cache-size\?\)/ });
});
