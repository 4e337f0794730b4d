// Where `scorefs download` writes an object, for names a server could send that no real file system
// holds (so `scorefs serve` cannot send them, and download.test.ts cannot try them): whatever the name,
// the file lands inside the output directory, or the object is refused with an error naming it.
import test from 'ava';
import fc from 'fast-check';
import path from 'node:path';
import { InvalidInput } from '../src/errors.js';
import { OUTPUT_LAYOUTS, outputPath } from '../src/download/output-layout.js';
import type { DownloadTarget } from '../src/download/targets.js';

const OUT = '/srv/downloads';
const target = (fields: Partial<DownloadTarget>): DownloadTarget => ({
  id: '2b60475d-dbde-5c5b-8fe5-3c103091056f',
  size: 1,
  md5: null,
  lastModified: 0,
  studyId: 'TEST-CA',
  analysisId: 'AN-1',
  fileName: 'reads.bam',
  ...fields,
});

/** The path components of `p` below OUT, or undefined when `p` is not below it. */
function below(p: string): string[] | undefined {
  const rel = path.relative(OUT, p);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel.split(path.sep);
}

test('a name that would leave the output directory, or name it, is refused with the object named', (t) => {
  for (const bad of ['..', '.', '', '../../etc/passwd', 'a/b', '/etc/passwd', 'x\0y']) {
    for (const layout of OUTPUT_LAYOUTS) {
      const fields = layout === 'id' ? { id: bad } : layout === 'bundle' ? { analysisId: bad } : { fileName: bad };
      const err = t.throws(() => outputPath(OUT, layout, target(fields)), { instanceOf: InvalidInput }, `${layout}: ${JSON.stringify(bad)}`);
      t.true(err?.message.includes(`"${bad}" cannot be a file name`), err?.message);
    }
    t.throws(() => outputPath(OUT, 'bundle', target({ fileName: bad })), { instanceOf: InvalidInput }, `bundle file name ${JSON.stringify(bad)}`);
  }
});

/** Whether `n` can stand as one path component: path.join keeps it as just that, and it holds no NUL (no system call takes one). */
const oneComponent = (n: string): boolean => !n.includes('\0') && below(path.join(OUT, n))?.join('\n') === n;

test('any other name lands inside the output directory, one level down (two for bundle), under that very name', (t) => {
  const name = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: fc.constantFrom('a', '.', '/', '\0', ' ', '\\'), maxLength: 6 }));
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.constantFrom(...OUTPUT_LAYOUTS), name, name, (layout, analysisId, fileName) => {
        const used = layout === 'bundle' ? [analysisId, fileName] : [fileName];
        const ok = used.every(oneComponent);
        let where: string;
        try {
          where = outputPath(OUT, layout, target({ analysisId, fileName, id: fileName }));
        } catch (err) {
          return !ok && err instanceof InvalidInput;
        }
        return ok && below(where)?.join('\n') === used.join('\n');
      }),
      { seed: 20261206, numRuns: 500 },
    ),
  );
});
