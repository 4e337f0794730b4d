// The vfs without a mount: layouts, index aliases, pins on open, stats.json, catalog swaps and
// manifests, over a ByteReader that reads the local sample files.
import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Catalog, CatalogFile } from '../src/model.js';
import { CatalogRefresher } from '../src/vfs/catalog-refresher.js';
import { selectManifest } from '../src/catalog-rules.js';
import { parseManifest } from '../src/score/manifest.js';
import { MountTree } from '../src/vfs/mount-tree.js';
import type { DirNode, FileNode, VfsNode } from '../src/vfs/node.js';
import { resolvePath } from '../src/vfs/resolve.js';
import { NotFound } from '../src/errors.js';
import { LocalByteReader, localCatalog } from './helpers/local-catalog.js';
import { md5 } from './helpers/md5.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import type { Layout } from '../src/vfs/layout.js';

async function setup(layout: Layout, stats: () => Record<string, unknown> = () => ({})) {
  const data = sampleData();
  const { catalog, pathOf } = await localCatalog(data);
  const reader = new LocalByteReader(pathOf);
  const tree = new MountTree(catalog, { layout, reader, stats });
  return { data, catalog, reader, tree };
}

async function readAll(node: VfsNode): Promise<Buffer> {
  if (node.kind !== 'file') throw new Error('not a file');
  const handle = await node.open();
  const chunks: Buffer[] = [];
  for (let off = 0; ; ) {
    const b = await handle.read(off, 65536);
    if (b.length === 0) break;
    chunks.push(b);
    off += b.length;
  }
  handle.release();
  return Buffer.concat(chunks);
}

const file = (c: Catalog, analysisId: string, fileName: string): CatalogFile =>
  c.files.find((f) => f.analysisId === analysisId && f.fileName === fileName)!;

test('bundle layout: /<analysisId>/<fileName> with the bytes and sizes of the objects', async (t) => {
  const { data, catalog, tree } = await setup('bundle');
  const root = tree.root;
  const analyses = [...new Set(catalog.files.map((f) => f.analysisId))].sort();
  t.deepEqual(await root.list(), ['.scorefs', ...analyses].sort());
  for (const f of catalog.files) {
    const node = await resolvePath(root, `/${f.analysisId}/${f.fileName}`);
    const local = await readFile(path.join(data, f.studyId, f.analysisId, f.fileName));
    t.is((await node.stat()).size, local.length);
    t.is(md5(await readAll(node)), md5(local), f.fileName);
  }
  t.deepEqual(await ((await resolvePath(root, `/${SAMPLE.bamAnalysis}`)) as DirNode).list(), ['ex1.bam', 'ex1.bam.bai', 'ex1.bam.slices']);
  await t.throwsAsync(resolvePath(root, '/nope'), { instanceOf: NotFound });
  await t.throwsAsync(resolvePath(root, `/${SAMPLE.bamAnalysis}/ex1.bam/x`), { instanceOf: NotFound });
});

test('study layout: /<studyId>/<analysisId>/<fileName>', async (t) => {
  const { tree } = await setup('study');
  t.deepEqual(await tree.root.list(), ['.scorefs', SAMPLE.study]);
  const bam = await resolvePath(tree.root, `/${SAMPLE.study}/${SAMPLE.bamAnalysis}/ex1.bam`);
  t.is(bam.kind, 'file');
});

test('object-id layout: /<objectId> plus unlisted aliases of the paired index', async (t) => {
  const { catalog, tree } = await setup('object-id');
  const names = await tree.root.list();
  const sliced = ['AN-EX1-BAM/ex1.bam', 'AN-EX1-CSI/ex1.bam', 'AN-EX1-CRAM/ex1.cram', 'AN-EX1-CRAM31/ex1.cram'].map((p) => {
    const [analysis, name] = p.split('/') as [string, string];
    return `${file(catalog, analysis, name).id}.slices`;
  });
  t.deepEqual(names, ['.scorefs', ...catalog.files.map((f) => f.id), ...sliced].sort());
  const bam = file(catalog, SAMPLE.bamAnalysis, 'ex1.bam');
  const bai = file(catalog, SAMPLE.bamAnalysis, 'ex1.bam.bai');
  const csiBam = file(catalog, SAMPLE.csiAnalysis, 'ex1.bam');
  const csi = file(catalog, SAMPLE.csiAnalysis, 'ex1.bam.csi');
  const cram = file(catalog, SAMPLE.cramAnalysis, 'ex1.cram');
  const crai = file(catalog, SAMPLE.cramAnalysis, 'ex1.cram.crai');
  t.is(md5(await readAll(await resolvePath(tree.root, `/${bam.id}.bai`))), md5(await readAll(await resolvePath(tree.root, `/${bai.id}`))));
  t.is((await (await resolvePath(tree.root, `/${csiBam.id}.csi`)).stat()).size, csi.size);
  t.is((await (await resolvePath(tree.root, `/${cram.id}.crai`)).stat()).size, crai.size);
  const fa = file(catalog, SAMPLE.refAnalysis, 'ex1.fa');
  const fai = file(catalog, SAMPLE.refAnalysis, 'ex1.fa.fai');
  t.is((await (await resolvePath(tree.root, `/${fa.id}.fai`)).stat()).size, fai.size);
  await t.throwsAsync(resolvePath(tree.root, `/${bam.id}.csi`), { instanceOf: NotFound });
  await t.throwsAsync(resolvePath(tree.root, `/${csiBam.id}.bai`), { instanceOf: NotFound });
});

test('opening an indexed BAM pins its whole index and reads its header start and EOF marker ahead; other files pin and read nothing', async (t) => {
  const { catalog, reader, tree } = await setup('bundle');
  const bam = file(catalog, SAMPLE.bamAnalysis, 'ex1.bam');
  const bai = file(catalog, SAMPLE.bamAnalysis, 'ex1.bam.bai');
  const fa = (await resolvePath(tree.root, `/${SAMPLE.refAnalysis}/ex1.fa`)) as FileNode;
  (await fa.open()).release();
  t.deepEqual(reader.pins, []);
  t.deepEqual(reader.reads, []);
  const node = (await resolvePath(tree.root, `/${SAMPLE.bamAnalysis}/ex1.bam`)) as FileNode;
  const handle = await node.open();
  t.is(reader.openStreams, 1);
  await new Promise((r) => setImmediate(r));
  t.deepEqual(
    reader.pins,
    [{ id: bai.id, offset: 0, length: bai.size }],
  );
  t.deepEqual(
    reader.reads.sort((a, b) => a.offset - b.offset),
    [
      { id: bam.id, offset: 0, length: 4096 },
      { id: bam.id, offset: bam.size - 38, length: 38 },
    ],
  );
  handle.release();
  t.is(reader.openStreams, 0);
});

test('stats.json: valid JSON, its stat size is the length read, and stays the same as counters grow', async (t) => {
  let n = 7;
  const { tree } = await setup('bundle', () => ({ bytesRead: n, mode: 'online', nested: { requests: n * 3 } }));
  const node = await resolvePath(tree.root, '/.scorefs/stats.json');
  const first = await readAll(node);
  t.is((await node.stat()).size, first.length);
  t.deepEqual(JSON.parse(first.toString()), { bytesRead: 7, mode: 'online', nested: { requests: 21 } });
  n = 123_456_789_012;
  const second = await readAll(node);
  t.is(second.length, first.length);
  t.is(JSON.parse(second.toString()).bytesRead, 123_456_789_012);
  t.true((await node.stat()).mtimeMs > 0);
});

test('a new catalog replaces the tree; open handles keep reading the old objects', async (t) => {
  const { data, catalog, tree } = await setup('bundle');
  const old = (await resolvePath(tree.root, `/${SAMPLE.bamAnalysis}/ex1.bam`)) as FileNode;
  const handle = await old.open();
  const extra: CatalogFile = { ...file(catalog, SAMPLE.refAnalysis, 'ex1.fa'), analysisId: 'AN-NEW', fileName: 'ex1.fa' };
  tree.replace({ files: [...catalog.files.filter((f) => f.analysisId !== SAMPLE.bamAnalysis), extra], fetchedAt: Date.now() });
  t.true((await tree.root.list()).includes('AN-NEW'));
  await t.throwsAsync(resolvePath(tree.root, `/${SAMPLE.bamAnalysis}/ex1.bam`), { instanceOf: NotFound });
  const local = await readFile(path.join(data, SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam'));
  t.deepEqual(await handle.read(0, 100), local.subarray(0, 100));
  handle.release();
});

test('a refresh that lists the same objects keeps the tree it has (nothing rebuilt) and says when it was fetched', async (t) => {
  const { catalog, tree } = await setup('bundle');
  const root = tree.root;
  const again = { files: catalog.files.map((f) => ({ ...f, md5: null })), fetchedAt: catalog.fetchedAt + 1000 };
  t.false(tree.replace(again));
  t.is(tree.root, root);
  t.is(tree.catalog.files, catalog.files, 'the entries the tree shows, with what was learned about them');
  t.is(tree.catalog.fetchedAt, again.fetchedAt);
  const resized = { files: again.files.map((f, i) => (i === 0 ? { ...f, size: f.size + 1 } : f)), fetchedAt: again.fetchedAt + 1000 };
  t.true(tree.replace(resized));
  t.not(tree.root, root);
  t.is(tree.catalog, resized);
});

test('the refresher swaps in fetched catalogs and keeps the current one when fetching fails', async (t) => {
  const { catalog, tree } = await setup('bundle');
  let fail = true;
  const refresher = new CatalogRefresher({
    fetch: async () => {
      if (fail) throw new Error('server down');
      return { files: catalog.files.filter((f) => f.analysisId === SAMPLE.refAnalysis), fetchedAt: Date.now() };
    },
    onCatalog: (c) => void tree.replace(c),
    intervalMs: 3_600_000,
  });
  await refresher.refreshNow();
  t.is(tree.catalog, catalog);
  fail = false;
  await refresher.refreshNow();
  t.deepEqual(await tree.root.list(), ['.scorefs', SAMPLE.refAnalysis]);
  refresher.stop();
});

test('a score-client manifest selects its objects and their index files from a snapshot', async (t) => {
  const { catalog } = await setup('bundle');
  const bam = file(catalog, SAMPLE.bamAnalysis, 'ex1.bam');
  const fa = file(catalog, SAMPLE.refAnalysis, 'ex1.fa');
  const header = 'repo_code\tfile_id\tobject_id\tfile_format\tfile_name\tfile_size\tmd5_sum\tindex_object_id\tdonor_id\tproject_id\tstudy';
  const row = (id: string) => `collab\tFI1\t${id}\tBAM\tx\t1\t\t\tDO1\tTEST-CA\tTEST-CA`;
  const ids = parseManifest([header, row(bam.id), row(fa.id), ''].join('\n'), 'test.tsv');
  const selected = selectManifest(catalog.files, ids).map((f) => `${f.analysisId}/${f.fileName}`).sort();
  t.deepEqual(selected, [`${SAMPLE.bamAnalysis}/ex1.bam`, `${SAMPLE.bamAnalysis}/ex1.bam.bai`, `${SAMPLE.refAnalysis}/ex1.fa`]);
});
