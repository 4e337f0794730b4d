// Object ids are SONG's: uuid5(6ba7b812-9dad-11d1-80b4-00c04fd430c8, "<analysisId>:<fileName>"),
// checked against python3's uuid.uuid5 as the independent implementation.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { objectIdFor, uuidV5 } from '../src/server/object-id.js';
import { SONG_OBJECT_ID_NAMESPACE } from '../src/score/types.js';
import { sampleData, SAMPLE } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';
import { getJson } from './helpers/raw-http.js';

function pythonUuid5(names: string[]): string[] {
  const script = 'import sys, uuid, json\nns = uuid.UUID(sys.argv[1])\nprint(json.dumps([str(uuid.uuid5(ns, n)) for n in json.loads(sys.argv[2])]))';
  return JSON.parse(execFileSync('python3', ['-c', script, SONG_OBJECT_ID_NAMESPACE, JSON.stringify(names)]).toString()) as string[];
}

test('uuidV5 matches python3 uuid.uuid5, including non-ASCII names', (t) => {
  const names = ['AN-EX1-BAM:ex1.bam', 'a:b', ':', 'ÄNALYSIS-ß:file (1).bam', 'x'.repeat(300)];
  t.deepEqual(
    names.map((n) => uuidV5(SONG_OBJECT_ID_NAMESPACE, n)),
    pythonUuid5(names),
  );
  // The RFC 4122 appendix vector: uuid5(NAMESPACE_DNS, "www.example.com").
  t.is(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
});

test('the server lists every sample file under the id python3 computes for it', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const page = await getJson(`${server.url}/entities?size=100`);
  const entities = page.json.content as { id: string; gnosId: string; fileName: string; projectCode: string }[];
  t.is(entities.length, 10);
  t.deepEqual(
    entities.map((e) => e.id),
    pythonUuid5(entities.map((e) => `${e.gnosId}:${e.fileName}`)),
  );
  t.true(entities.every((e) => e.projectCode === SAMPLE.study));
  t.is(objectIdFor(SAMPLE.bamAnalysis, 'ex1.bam'), pythonUuid5([`${SAMPLE.bamAnalysis}:ex1.bam`])[0]);
});
