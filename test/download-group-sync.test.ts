// The part file's shared flushes: callers that wait together share one, a flush waits out its pause
// after the last, and once the download says no more writes are coming the queued flush starts at once.
import test from 'ava';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { GroupSync } from '../src/download/group-sync.js';
import { tempDir } from './helpers/tmp.js';

test('a flush queued behind a long pause starts once no more writes are coming', async (t) => {
  const file = await open(path.join(await tempDir(t), 'part'), 'w');
  try {
    const durable = new GroupSync(file, 10 * 60_000);
    await file.write(Buffer.from('first'), 0, 5, 0);
    await durable.sync(); // the first flush has no pause before it
    await file.write(Buffer.from('second'), 0, 6, 5);
    const a = durable.sync();
    const b = durable.sync();
    t.is(a, b, 'callers waiting together share one flush');
    let settled = false;
    void a.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    t.false(settled, 'the second flush waits out its pause');
    durable.hurry();
    await a;
    t.pass();
  } finally {
    await file.close();
  }
});
