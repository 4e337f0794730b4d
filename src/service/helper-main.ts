// Entry point of the fstab helpers: `node helper-main.js mount|umount ARGS…`, run by
// bin/mount.fuse.scorefs, bin/umount.fuse.scorefs and the wrappers `scorefs install-systemd` puts in /sbin.
import { runMountHelper } from './mount-helper.js';
import { runUmountHelper } from './umount-helper.js';

const [which, ...args] = process.argv.slice(2);
const run = which === 'mount' ? runMountHelper : which === 'umount' ? runUmountHelper : undefined;
if (!run) {
  process.stderr.write('usage: helper-main.js mount|umount ARGS…\n');
  process.exit(1);
}
run(args).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`scorefs ${which} helper: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
