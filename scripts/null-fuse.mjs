#!/usr/bin/env node
// A do-nothing read-only FUSE filesystem on scorefs's binding (fuse-native) and mount options: files
// whose reads are answered by copying from one preallocated buffer. What a scorefs mount could reach
// on this machine if fetching, caching and checking cost nothing (scripts/bench-ceiling.sh).
// Usage: npm run build && node scripts/null-fuse.mjs MNT [--layer raw|scorefs] [--size BYTES] [--files N]
//   [--read-ahead-kb KB] (default 128: scorefs's default --read-ahead) [--file PATH]
//   MNT holds f00.bin … f<N-1>.bin, each BYTES long (default 1 GiB, 1 file).
//   --file PATH (raw layer only): MNT holds one file named as PATH, whose reads are answered from PATH
//     (a pread each), so real readers such as samtools work on it: what the binding and the local
//     disk allow together, for random reads (region queries).
//   --layer raw (default): fuse-native alone, its options mirrored from src/fuse/fuse-mount.ts (below).
//   --layer scorefs: scorefs's own FuseMount and VfsFuseOps from build/ over a tree of null files, so
//     the options are scorefs's exactly and the path/handle layer is counted too.
// Prints "null-fuse: mounted MNT … pid N" once mounted; SIGTERM/SIGINT unmount and exit.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const layer = option('--layer', 'raw');
const size = Number(option('--size', String(1024 ** 3)));
const files = Number(option('--files', '1'));
const readAheadKb = Number(option('--read-ahead-kb', '128'));
const passthrough = option('--file', undefined);
const mnt = args[0] && path.resolve(args[0]);
if (!mnt || args.length !== 1 || !['raw', 'scorefs'].includes(layer) || !(size >= 0) || !(files >= 1) || !(readAheadKb >= 0) || (passthrough && layer !== 'raw')) {
  process.stderr.write('usage: node scripts/null-fuse.mjs MNT [--layer raw|scorefs] [--size BYTES] [--files N] [--read-ahead-kb KB] [--file PATH]\n');
  process.exit(2);
}

const MiB = 1024 * 1024;
// Every read copies from here: offset pos % 1 MiB, and FUSE reads are at most 1 MiB.
const source = Buffer.alloc(2 * MiB, 0x5a);
const passFd = passthrough ? fs.openSync(passthrough, 'r') : undefined;
const fileSize = passthrough ? fs.fstatSync(passFd).size : size;
const names = passthrough ? [path.basename(passthrough)] : Array.from({ length: files }, (_, i) => `f${String(i).padStart(2, '0')}.bin`);
const mtime = new Date();

/** Copies bytes [pos, pos+target.length) of a file into target; returns the count (short at EOF). */
function fill(target, pos) {
  const n = Math.max(0, Math.min(target.length, fileSize - pos));
  if (passFd !== undefined) return fs.readSync(passFd, target, 0, n, pos);
  source.copy(target, 0, pos % MiB, (pos % MiB) + n);
  return n;
}

const { raiseReadahead } = await import(path.join(repo, 'build/src/fuse/readahead.js'));
const { mountMaxRead } = await import(path.join(repo, 'build/src/fuse/max-pages.js'));
const unmount = layer === 'raw' ? await mountRaw() : await mountScorefs();
process.stdout.write(`null-fuse: mounted ${mnt} (layer ${layer}, ${files} file(s) of ${size} bytes), pid ${process.pid}\n`);
const stop = () => void unmount().then(() => process.exit(0), (err) => (process.stderr.write(`${err}\n`), process.exit(1)));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

async function mountRaw() {
  const Fuse = require('fuse-native');
  // src/fuse/fuse-mount.ts does not export its options (they are built inside FuseMount.mount), so
  // they are mirrored here: keep these two lists and the readahead in step with FuseMount.mount.
  // fsname/subtype differ only so that the mount is told apart in /proc/mounts.
  const fuseOpts = {
    timeout: false,
    fsname: 'null-fuse',
    subtype: 'null-fuse',
    autoUnmount: true,
    allowOther: false,
    defaultPermissions: true,
    autoCache: true,
    entryTimeout: 3600,
    attrTimeout: 3600,
  };
  const extra = ['ro', 'negative_timeout=5', 'ac_attr_timeout=0', `max_read=${mountMaxRead()}`, 'max_background=64', 'congestion_threshold=48'];
  class NullFuse extends Fuse {
    _fuseOptions() {
      const base = super._fuseOptions();
      return base ? `${base},${extra.join(',')}` : `-o${extra.join(',')}`;
    }
  }
  const uid = process.getuid(), gid = process.getgid();
  const stat = (mode, bytes) => ({ mtime, atime: mtime, ctime: mtime, nlink: 1, size: bytes, mode, uid, gid });
  const ops = {
    getattr: (p, cb) => {
      if (p === '/') return cb(0, stat(0o040555, 4096));
      if (names.includes(p.slice(1))) return cb(0, stat(0o100444, fileSize));
      cb(Fuse.ENOENT);
    },
    readdir: (p, cb) => (p === '/' ? cb(0, names) : cb(Fuse.ENOENT)),
    open: (p, flags, cb) => cb(0, 1),
    release: (p, fd, cb) => cb(0),
    read: (p, fd, buf, len, pos, cb) => cb(fill(buf.length > len ? buf.subarray(0, len) : buf, pos)),
  };
  const fuse = new NullFuse(mnt, ops, fuseOpts);
  await new Promise((resolve, reject) => fuse.mount((err) => (err ? reject(err) : resolve())));
  await fs.promises.statfs(mnt); // the kernel has taken the INIT reply, which would undo the readahead
  await raiseReadahead(mnt, readAheadKb);
  return () => new Promise((resolve, reject) => fuse.unmount((err) => (err ? reject(err) : resolve())));
}

async function mountScorefs() {
  const { FuseMount } = await import(path.join(repo, 'build/src/fuse/fuse-mount.js'));
  const fileStat = { kind: 'file', size, mtimeMs: mtime.getTime() };
  const nullFile = {
    kind: 'file',
    stat: async () => fileStat,
    open: async () => ({
      read: async (offset, length) => {
        const out = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - offset)));
        fill(out, offset);
        return out;
      },
      readInto: async (offset, target) => fill(target, offset),
      release: () => {},
    }),
  };
  const root = {
    kind: 'dir',
    stat: async () => ({ kind: 'dir', size: 4096, mtimeMs: mtime.getTime() }),
    list: async () => names,
    lookup: async (name) => (names.includes(name) ? nullFile : undefined),
  };
  const mounted = await FuseMount.mount({ root }, { mountpoint: mnt, readaheadKb: readAheadKb });
  return () => mounted.unmount();
}
