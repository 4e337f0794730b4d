// Client settings from the options (their precedence is test/options-precedence.test.ts's): score-client's
// keys, the order the token is looked for in, and token files that others can read are refused without
// the token ever showing in a message.
import test from 'ava';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInput } from '../src/errors.js';
import type { ClientConfig } from '../src/score/config.js';
import { clientConfig } from '../src/cli/options/client.js';
import { readConfigFile } from '../src/cli/options/config-file.js';
import { resolveOptions } from '../src/cli/options/resolve.js';
import { tempDir } from './helpers/tmp.js';

/** The client settings of `scorefs download` given these (already parsed) flags and this environment. */
async function resolveClientConfig(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<ClientConfig> {
  return clientConfig(await resolveOptions('download', flags, env));
}

const TOKEN = 'f3c1a9e2-secret-token-7d41';

async function file(dir: string, name: string, text: string, mode = 0o600): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, text);
  await chmod(p, mode);
  return p;
}

test('the metadata URL defaults to the storage URL; the client defaults are the table\'s', async (t) => {
  const c = await resolveClientConfig({ 'storage-url': 'https://score.example.org' }, {});
  t.is(c.metadataUrl, 'https://score.example.org');
  t.deepEqual([c.readDeadlineMs, c.stallTimeoutMs, c.connections], [60_000, 30_000, 16]);
  const d = await resolveClientConfig({ 'storage-url': 'https://score.example.org', 'read-deadline': 2, 'stall-timeout': 0.5, connections: 3 }, {});
  t.deepEqual([d.readDeadlineMs, d.stallTimeoutMs, d.connections], [2000, 500, 3]);
});

test("score-client's application.properties keys and its ACCESSTOKEN / CLIENT_ACCESSTOKEN", async (t) => {
  const dir = await tempDir(t);
  const props = await file(
    dir,
    'application.properties',
    `# score-client config\n! also a comment\nstorage.url=http://score.local:8087\nmetadata.url=http://song.local:8080\naccessToken=  ${TOKEN}  \ntransport.parallel=6\n`,
  );
  const fromFile = await resolveClientConfig({ config: props }, {});
  t.is(fromFile.storageUrl, 'http://score.local:8087');
  t.is(fromFile.metadataUrl, 'http://song.local:8080');
  t.is(fromFile.token, TOKEN);

  t.is((await resolveClientConfig({ config: props }, { ACCESSTOKEN: ' env-token\n' })).token, 'env-token');
  t.is((await resolveClientConfig({ config: props }, { CLIENT_ACCESSTOKEN: 'client-token' })).token, 'client-token');
  const tokenFile = await file(dir, 'token', `${TOKEN}-from-file\n`);
  t.is((await resolveClientConfig({ config: props, 'token-file': tokenFile }, { ACCESSTOKEN: 'env-token' })).token, `${TOKEN}-from-file`);

  const map = await readConfigFile(props);
  t.is(map.get('transport.parallel'), '6');
});

test('the token: --token-file, then SCOREFS_TOKEN_FILE, then ACCESSTOKEN, then token-file in the config file, then its accessToken', async (t) => {
  const dir = await tempDir(t);
  const tokenFile = (name: string): Promise<string> => file(dir, name, `${name}-token\n`);
  const [flagFile, envFile, keyFile] = await Promise.all([tokenFile('flag'), tokenFile('env'), tokenFile('key')]);
  const both = await file(dir, 'both.conf', `storage-url = http://x.example\ntoken-file = ${keyFile}\naccessToken = in-config\n`);
  const tokenOnly = await file(dir, 'token-only.conf', 'storage-url = http://x.example\naccessToken = in-config\n');
  const env = { SCOREFS_TOKEN_FILE: envFile, ACCESSTOKEN: 'env-variable' };
  const token = async (flags: Record<string, unknown>, e: NodeJS.ProcessEnv): Promise<string | undefined> => (await resolveClientConfig(flags, e)).token;
  t.is(await token({ config: both, 'token-file': flagFile }, env), 'flag-token');
  t.is(await token({ config: both }, env), 'env-token');
  t.is(await token({ config: both }, { ACCESSTOKEN: 'env-variable' }), 'env-variable');
  t.is(await token({ config: both }, {}), 'key-token');
  t.is(await token({ config: tokenOnly }, {}), 'in-config');
});

test('a token file readable by group or others is refused, naming the file and chmod 600', async (t) => {
  const dir = await tempDir(t);
  const tokenFile = await file(dir, 'token', TOKEN, 0o644);
  const err = await t.throwsAsync(resolveClientConfig({ 'storage-url': 'http://x.example', 'token-file': tokenFile }, {}), { instanceOf: InvalidInput });
  t.true(err!.message.includes(tokenFile));
  t.true(err!.message.includes('chmod 600'));
  t.false(err!.message.includes(TOKEN));

  await chmod(tokenFile, 0o640);
  await t.throwsAsync(resolveClientConfig({ 'storage-url': 'http://x.example', 'token-file': tokenFile }, {}), { instanceOf: InvalidInput });
  await chmod(tokenFile, 0o400);
  t.is((await resolveClientConfig({ 'storage-url': 'http://x.example', 'token-file': tokenFile }, {})).token, TOKEN);
});

test('a config file holding a token must be private; one without a token need not be', async (t) => {
  const dir = await tempDir(t);
  const withToken = await file(dir, 'with-token.conf', `storage-url = http://x.example\naccessToken = ${TOKEN}\n`, 0o644);
  const err = await t.throwsAsync(resolveClientConfig({ config: withToken }, {}), { instanceOf: InvalidInput });
  t.true(err!.message.includes(withToken) && err!.message.includes('chmod 600'));
  t.false(err!.message.includes(TOKEN));
  // The environment's token wins, so the file's is never read and its mode does not matter.
  t.is((await resolveClientConfig({ config: withToken }, { ACCESSTOKEN: 'env' })).token, 'env');

  const noToken = await file(dir, 'public.conf', 'storage-url = http://x.example\n', 0o644);
  t.is((await resolveClientConfig({ config: noToken }, {})).storageUrl, 'http://x.example');
});

test('a malformed config line is named by its line number, without quoting it', async (t) => {
  const dir = await tempDir(t);
  const bad = await file(dir, 'bad.conf', `# ok\nstorage-url = http://x.example\n${TOKEN}\n`);
  const err = await t.throwsAsync(readConfigFile(bad), { instanceOf: InvalidInput });
  t.true(err!.message.includes(`${bad} line 3`));
  t.false(err!.message.includes(TOKEN));
  await t.throwsAsync(readConfigFile(path.join(dir, 'missing.conf')), { instanceOf: InvalidInput, message: /missing\.conf.*ENOENT/ });
});

test('a token is never taken from argv, and bad URLs and numbers (here from the environment) are InvalidInput', async (t) => {
  await t.throwsAsync(resolveClientConfig({ 'storage-url': 'http://x.example', token: TOKEN }, {}), { instanceOf: InvalidInput, message: /never accepted on the command line/ });
  await t.throwsAsync(resolveClientConfig({}, {}), { instanceOf: InvalidInput, message: /--storage-url.*STORAGE_URL/ });
  await t.throwsAsync(resolveClientConfig({}, { STORAGE_URL: 'score.example.org' }), { instanceOf: InvalidInput, message: /invalid storage URL/ });
  await t.throwsAsync(resolveClientConfig({}, { STORAGE_URL: 'ftp://score.example.org' }), { instanceOf: InvalidInput, message: /only http/ });
  await t.throwsAsync(resolveClientConfig({ 'storage-url': 'http://x.example' }, { METADATA_URL: 'http://u:p@song' }), { instanceOf: InvalidInput, message: /credentials/ });
  await t.throwsAsync(resolveClientConfig({ 'storage-url': 'http://x.example' }, { SCOREFS_CONNECTIONS: 'many' }), { instanceOf: InvalidInput, message: /SCOREFS_CONNECTIONS must be a positive integer, not "many"/ });
});
