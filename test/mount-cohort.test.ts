// A cohort read through the real CLI against `scorefs serve`: one region of the same BAM in sample after
// sample, read from the BAMs or from their slice files. Once two samples were read one after the other,
// the next ones ask Score nothing (their admission, URLs and their indexes' URLs were asked for ahead),
// no byte of theirs is fetched before they are read, and what is asked ahead stops a bounded distance
// past the last one read.
import test, { type ExecutionContext } from 'ava';
import { link, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { AHEAD } from '../src/vfs/cohort-ahead.js';
import { output } from './helpers/exec.js';
import { mountScorefs } from './helpers/mount.js';
import { sampleData, SAMPLE } from './helpers/sample-data.js';
import { startServer, trafficCounter } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';
import { settled } from './helpers/wait.js';

const SAMPLES = 40;
const REGION = 'seq2:100-200';
const name = (i: number): string => `AN-${String(i).padStart(2, '0')}`;

interface Cohort {
  /** Runs samtools on sample i's file at `fileOf(i)`; returns the API requests and object bytes it (and what it started) cost once settled. */
  query(i: number): Promise<{ api: number; bytes: number }>;
}

/** SAMPLES analyses AN-01.. of one BAM and its index, served and mounted; queries read `fileOf(mnt, i)`. */
async function cohort(t: ExecutionContext, fileOf: (mnt: string, i: number) => string): Promise<Cohort> {
  const source = path.join(sampleData(), SAMPLE.study, SAMPLE.bamAnalysis);
  const data = path.join(await tempDir(t), 'data');
  for (let i = 1; i <= SAMPLES; i++) {
    const dir = path.join(data, 'ST1', name(i));
    await mkdir(dir, { recursive: true });
    for (const f of ['ex1.bam', 'ex1.bam.bai']) await link(path.join(source, f), path.join(dir, f));
  }
  const server = await startServer(t, { data });
  const m = await mountScorefs(t, { serverUrl: server.url });
  const traffic = trafficCounter(server);
  const expected = await output('samtools', ['view', '-c', path.join(source, 'ex1.bam'), REGION]);
  return {
    async query(i) {
      const before = await settled('requests and bytes to settle', traffic);
      t.is(await output('samtools', ['view', '-c', fileOf(m.mnt, i), REGION]), expected, `${name(i)}: samtools counts what it counts on the local file`);
      const after = await settled('requests and bytes to settle', traffic);
      return { api: after.apiRequests - before.apiRequests, bytes: after.objectBytes - before.objectBytes };
    },
  };
}

test('a cohort: after two samples opened in a row, the next samples\' opens ask Score nothing and no byte is fetched ahead', async (t) => {
  const { query } = await cohort(t, (mnt, i) => path.join(mnt, name(i), 'ex1.bam'));
  const first = await query(1);
  t.is(first.api, 3, 'one open alone asks for its own: the BAM\'s specification and URL, the index\'s URL');
  const second = await query(2);
  t.is(second.api, 3 + 3 * AHEAD, `two in a row: their own 3, and 3 for each of the next ${AHEAD} samples`);
  t.is(second.bytes, first.bytes, 'but no byte of those samples: the second query fetched what the first did');

  const third = await query(3);
  t.is(third.api, 3, 'the third sample\'s open asks nothing: the 3 are for the sample that is now AHEAD past it');
  t.is(third.bytes, first.bytes, 'and it fetches its own bytes as the first did');

  const far = 3 + AHEAD + 10; // past what was asked ahead, and too far from the last open to continue the cohort
  t.is((await query(far)).api, 3, 'a sample far from the last opens asks for its own, and nothing ahead');
});

test('a cohort of slices: after two samples\' slices of a region, the next samples\' slices ask Score nothing', async (t) => {
  const { query } = await cohort(t, (mnt, i) => path.join(mnt, name(i), 'ex1.bam.slices', `${REGION}.bam`));
  const first = await query(1);
  t.is(first.api, 3, 'a slice of one sample asks what an open of its BAM does: the BAM\'s specification and URL, the index\'s URL');
  const second = await query(2);
  t.is(second.api, first.api + 3 * AHEAD, `two in a row: their own, and 3 for each of the next ${AHEAD} samples`);
  t.is(second.bytes, first.bytes, 'and no byte of those samples');
  const third = await query(3);
  t.is(third.api, 3, 'the third sample\'s slice asks nothing: the 3 are for the sample now AHEAD past it');
  t.is(third.bytes, first.bytes, 'and it fetches its own bytes as the first did');
});
