// Client settings: flags > environment > config file, score-client's keys, and token files that
// others can read are refused without the token ever showing in a message.
import test from 'ava';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInput } from '../src/errors.js';
import { readConfigFile, resolveClientConfig } from '../src/score/config.js';
import { tempDir } from './helpers/tmp.js';

const TOKEN = 'f3c1a9e2-secret-token-7d41';

async function file(dir: string, name: string, text: string, mode = 0o600): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, text);
  await chmod(p, mode);
  return p;
}

test('flags win over the environment, which wins over the config file', async (t) => {
  const dir = await tempDir(t);
  const config = await file(dir, 'scorefs.conf', 'storage-url = http://file.example:1/\nmetadata-url = http://file-meta.example:2\n');
  const env = { STORAGE_URL: 'http://env.example:3', METADATA_URL: 'http://env-meta.example:4/song/' };

  const all = await resolveClientConfig({ config, 'storage-url': 'http://flag.example:5/score' }, env);
  t.is(all.storageUrl, 'http://flag.example:5/score');
  t.is(all.metadataUrl, 'http://env-meta.example:4/song');

  const envOnly = await resolveClientConfig({ config }, env);
  t.is(envOnly.storageUrl, 'http://env.example:3');

  const fileOnly = await resolveClientConfig({ config }, {});
  t.is(fileOnly.storageUrl, 'http://file.example:1');
  t.is(fileOnly.metadataUrl, 'http://file-meta.example:2');
  t.is(fileOnly.token, undefined);
  t.deepEqual([fileOnly.readDeadlineMs, fileOnly.stallTimeoutMs, fileOnly.connections], [60_000, 30_000, 8]);
});

test('camel-case flags (as yargs also produces) are read too; metadata URL defaults to the storage URL', async (t) => {
  const c = await resolveClientConfig({ storageUrl: 'https://score.example.org', readDeadline: 2, stallTimeout: 0.5, connections: 3 }, {});
  t.is(c.storageUrl, 'https://score.example.org');
  t.is(c.metadataUrl, 'https://score.example.org');
  t.deepEqual([c.readDeadlineMs, c.stallTimeoutMs, c.connections], [2000, 500, 3]);
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

test('a token is never taken from argv, and bad URLs and numbers are InvalidInput', async (t) => {
  await t.throwsAsync(resolveClientConfig({ 'storage-url': 'http://x.example', token: TOKEN }, {}), { instanceOf: InvalidInput, message: /never accepted on the command line/ });
  await t.throwsAsync(resolveClientConfig({}, {}), { instanceOf: InvalidInput, message: /--storage-url.*STORAGE_URL/ });
  await t.throwsAsync(resolveClientConfig({ 'storage-url': 'score.example.org' }, {}), { instanceOf: InvalidInput, message: /invalid storage URL/ });
  await t.throwsAsync(resolveClientConfig({ 'storage-url': 'ftp://score.example.org' }, {}), { instanceOf: InvalidInput, message: /only http/ });
  await t.throwsAsync(resolveClientConfig({ 'storage-url': 'http://x.example', 'metadata-url': 'http://u:p@song' }, {}), { instanceOf: InvalidInput, message: /credentials/ });
  await t.throwsAsync(resolveClientConfig({ 'storage-url': 'http://x.example', connections: 'many' }, {}), { instanceOf: InvalidInput, message: /connections/ });
});
