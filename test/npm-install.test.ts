// scorefs installed as Node users install a CLI (`npm pack` of a checkout without build/, then
// `npm install -g` of the tarball) runs: its own `serve` and `mount` give samtools and cmp the same
// answers on the mount as on the source files. The tarball holds the build but not the tests.
import test from 'ava';
import path from 'node:path';
import { exec, output } from './helpers/exec.js';
import { isMounted, mapsMaxPagesLibrary, mountScorefs, runScorefs } from './helpers/mount.js';
import { packAndInstall } from './helpers/npm-package.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';

test('scorefs installed from the npm tarball serves and mounts the sample data', async (t) => {
  const pkg = await packAndInstall(t);
  const files = (await output('tar', ['-tzf', pkg.tarball])).split('\n');
  t.true(files.includes('package/build/src/cli/main.js'), 'the tarball holds the compiled CLI');
  t.true(files.includes('package/build/src/fuse/fuse-max-pages.so'), 'and the library for FUSE requests of 1 MiB');
  t.true(files.includes('package/build/src/cache/md5-lanes.node'), 'and the addon that hashes parts side by side');
  t.deepEqual(
    files.filter((f) => /^package\/(test|build\/test|src)\//.test(f)),
    [],
    'the tarball holds neither the tests nor the TypeScript sources',
  );

  const version = await exec(pkg.scorefs, ['--version']);
  t.is(version.code, 0, version.stderr);
  t.is(version.stdout.trim(), pkg.version);

  const installed = [pkg.scorefs];
  const data = sampleData();
  const server = await startServer(t, { data, scorefs: installed });
  const mount = await mountScorefs(t, { serverUrl: server.url, scorefs: installed });
  t.true(await mapsMaxPagesLibrary(mount.pid), 'its daemon runs with that library preloaded');

  const local = (analysis: string, file: string): string => path.join(data, SAMPLE.study, analysis, file);
  const mounted = (analysis: string, file: string): string => path.join(mount.mnt, analysis, file);
  for (const args of [['view', '-c'], ['idxstats']]) {
    const want = await output('samtools', [...args, local(SAMPLE.bamAnalysis, 'ex1.bam')]);
    t.true(want.length > 0);
    t.is(await output('samtools', [...args, mounted(SAMPLE.bamAnalysis, 'ex1.bam')]), want, `samtools ${args.join(' ')}`);
  }
  const cmp = await exec('cmp', [local(SAMPLE.cramAnalysis, 'ex1.cram'), mounted(SAMPLE.cramAnalysis, 'ex1.cram')]);
  t.is(cmp.code, 0, `the mounted CRAM has the bytes of the source: ${cmp.stdout}${cmp.stderr}`);

  const unmount = await runScorefs(['unmount', mount.mnt], {}, { scorefs: installed });
  t.is(unmount.code, 0, unmount.stderr);
  t.false(await isMounted(mount.mnt), 'the installed `scorefs unmount` unmounted');
  await server.stop();
});
