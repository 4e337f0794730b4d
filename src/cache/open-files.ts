// Block files kept open between uses. A segment file takes a block per MiB read, and opening and
// closing it per block would cost the event loop two more trips through libuv's pool each time. Up to
// MAX_IDLE files stay open while unused, the least recently used closed first. A file that was
// unlinked is forgotten: closed now, or as soon as the uses under way end, so that no later write goes
// to the unlinked file.
import fs from 'node:fs';
import { PRIVATE_FILE_MODE } from './cache-dir.js';

const MAX_IDLE = 64;

// Plain fds with callbacks: a fs.promises FileHandle costs the event loop more per call.
export const fdOpen = (file: string, flags: number, mode?: number) =>
  new Promise<number>((resolve, reject) => fs.open(file, flags, mode, (err, fd) => (err ? reject(err) : resolve(fd))));
export const fdRead = (fd: number, buf: Uint8Array, offset: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) => fs.read(fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))));
export const fdWrite = (fd: number, buf: Uint8Array, offset: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) => fs.write(fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))));
export const fdClose = (fd: number) => new Promise<void>((resolve) => fs.close(fd, () => resolve()));

interface OpenFile {
  file: string;
  fd: Promise<number>;
  users: number;
  forgotten: boolean;
}

export interface OpenMode {
  /** O_DIRECT: a file is kept open once per mode. */
  direct: boolean;
  /** Create the file (private) if it is missing; otherwise a missing file is ENOENT. */
  create: boolean;
}

export class OpenFiles {
  /** By mode and path, least recently used first. */
  private readonly files = new Map<string, OpenFile>();

  /** Runs `io` on the file, open read-write in the given mode. */
  async use<T>(file: string, mode: OpenMode, io: (fd: number) => Promise<T>): Promise<T> {
    const key = `${mode.direct ? 'direct' : 'cached'}:${file}`;
    let entry = this.files.get(key);
    if (entry) {
      this.files.delete(key); // to the most recently used end
    } else {
      const flags = fs.constants.O_RDWR | (mode.create ? fs.constants.O_CREAT : 0) | (mode.direct ? fs.constants.O_DIRECT : 0);
      const opened: OpenFile = { file, fd: fdOpen(file, flags, PRIVATE_FILE_MODE), users: 0, forgotten: false };
      // A file that failed to open is not kept: the next use tries again.
      opened.fd.catch(() => this.files.get(key) === opened && this.files.delete(key));
      entry = opened;
    }
    this.files.set(key, entry);
    entry.users++;
    try {
      return await io(await entry.fd);
    } finally {
      entry.users--;
      if (entry.forgotten && entry.users === 0) await this.close(entry);
      this.trim();
    }
  }

  /** Closes the file in every mode (now, or once its uses end): it was unlinked. */
  async forget(file: string): Promise<void> {
    await this.forgetWhere((f) => f === file);
  }

  /** forget() for every file under a directory. */
  async forgetUnder(dir: string): Promise<void> {
    await this.forgetWhere((f) => f.startsWith(dir + '/'));
  }

  closeAll(): Promise<void> {
    return this.forgetWhere(() => true);
  }

  private async forgetWhere(matches: (file: string) => boolean): Promise<void> {
    const closing = [];
    for (const [key, entry] of this.files) {
      if (!matches(entry.file)) continue;
      this.files.delete(key);
      entry.forgotten = true;
      if (entry.users === 0) closing.push(this.close(entry));
    }
    await Promise.all(closing);
  }

  private trim(): void {
    if (this.files.size <= MAX_IDLE) return;
    for (const [key, entry] of this.files) {
      if (this.files.size <= MAX_IDLE) break;
      if (entry.users > 0) continue;
      this.files.delete(key);
      entry.forgotten = true;
      void this.close(entry);
    }
  }

  private async close(entry: OpenFile): Promise<void> {
    await entry.fd.then(fdClose, () => undefined);
  }
}
