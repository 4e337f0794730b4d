// Hostile and broken requests: path tricks, symlinks out of DIR, malformed ids and numbers, aborted
// downloads; the server answers 4xx, never serves a file outside DIR, never crashes; SIGTERM exits 0.
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { tempDir } from './helpers/tmp.js';
import { startServer } from './helpers/server.js';
import { getJson, rawRequest } from './helpers/raw-http.js';
import { objectIdFor } from '../src/server/object-id.js';

const SECRET = 'secret outside the data directory\n';

async function layout(t: ExecutionContext) {
  const root = await tempDir(t);
  const data = path.join(root, 'data');
  const outside = path.join(root, 'outside');
  await mkdir(path.join(data, 'S', 'A'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(outside, 'secret.txt'), SECRET);
  await writeFile(path.join(data, 'S', 'A', 'real.txt'), 'inside\n');
  await symlink(path.join(outside, 'secret.txt'), path.join(data, 'S', 'A', 'escape.txt'));
  await symlink(outside, path.join(data, 'S', 'A-LINKED'));
  await symlink(path.join(data, 'S', 'A', 'real.txt'), path.join(data, 'S', 'A', 'alias.txt')); // inside: fine
  return { data, outside };
}

test('symlinks out of DIR are neither listed nor served; symlinks inside are', async (t) => {
  const { data } = await layout(t);
  const server = await startServer(t, { data });
  const names = (await getJson(`${server.url}/entities?size=100`)).json.content.map((e: { gnosId: string; fileName: string }) => `${e.gnosId}/${e.fileName}`);
  t.deepEqual(names.sort(), ['A/alias.txt', 'A/real.txt']);
  for (const id of [objectIdFor('A', 'escape.txt'), objectIdFor('A-LINKED', 'secret.txt')]) {
    t.is((await rawRequest(`${server.url}/download/${id}?offset=0&length=-1`)).status, 404);
  }
});

test('a file swapped for a symlink out of DIR after the scan is not served', async (t) => {
  const { data, outside } = await layout(t);
  const server = await startServer(t, { data });
  const id = objectIdFor('A', 'real.txt');
  const url = (await getJson(`${server.url}/download/${id}?offset=0&length=-1&external=true`)).json.parts[0].url as string;
  t.is((await rawRequest(url)).body.toString(), 'inside\n');
  const file = path.join(data, 'S', 'A', 'real.txt');
  await rename(file, file + '.moved');
  await symlink(path.join(outside, 'secret.txt'), file);
  const r = await rawRequest(url);
  t.is(r.status, 404);
  t.false(r.body.toString().includes(SECRET.trim()));
});

test('path tricks, bad ids and bad numbers get 4xx and never a file', async (t) => {
  const { data } = await layout(t);
  const server = await startServer(t, { data });
  const paths = [
    '/-/object/..%2F..%2Foutside%2Fsecret.txt',
    '/-/object/../../outside/secret.txt',
    '/-/object/%2e%2e/%2e%2e/etc/passwd',
    '/download/..%2F..%2Foutside%2Fsecret.txt?offset=0&length=-1',
    '/S/A/escape.txt',
    '/studies/S/analysis/..%2F..%2Foutside',
    '/studies/..%2Foutside/analysis/A',
    '/entities/%E0%A4%A',
    '/entities/..%00',
    '//etc/passwd',
    '/download/' + 'a'.repeat(5000) + '?offset=0&length=-1',
  ];
  for (const p of paths) {
    const r = await rawRequest(server.url + p);
    t.true(r.status >= 400 && r.status < 500, `${p.slice(0, 60)} → ${r.status}`);
    t.false(r.body.toString().includes(SECRET.trim()), p.slice(0, 60));
  }
  const id = objectIdFor('A', 'real.txt');
  for (const q of ['offset=99999999999999999999&length=-1', 'offset=-5&length=-1', 'offset=0x10&length=-1', 'offset=0&length=1e3']) {
    t.is((await rawRequest(`${server.url}/download/${id}?${q}`)).status, 400, q);
  }
  t.is((await rawRequest(`${server.url}/entities`, { method: 'POST', body: '{}' })).status, 405);
  t.is((await rawRequest(`${server.url}/actuator/health`)).status, 200, 'still alive');
});

test('clients that abort mid-body do not hurt the server', async (t) => {
  const root = await tempDir(t);
  await mkdir(path.join(root, 'S', 'A'), { recursive: true });
  await writeFile(path.join(root, 'S', 'A', 'big.bin'), Buffer.alloc(32 * 1024 * 1024, 1));
  const server = await startServer(t, { data: root });
  const id = objectIdFor('A', 'big.bin');
  const url = (await getJson(`${server.url}/download/${id}?offset=0&length=-1&external=true`)).json.parts[0].url as string;
  for (let i = 0; i < 5; i++) {
    await new Promise<void>((resolve) => {
      const req = http.get(url, { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => resolve());
    });
  }
  t.is((await rawRequest(`${server.url}/actuator/health`)).status, 200);
  t.is((await rawRequest(url, { headers: { range: 'bytes=0-9' } })).body.length, 10);
  t.is(server.child.exitCode, null, 'still running');
});

test('SIGTERM closes the server and exits 0', async (t) => {
  const { data } = await layout(t);
  const server = await startServer(t, { data });
  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  const [code, signal] = await exited;
  t.is(code, 0);
  t.is(signal, null);
});
