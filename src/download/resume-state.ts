// The resume state of one download, beside its part file: which chunks are on disk. Written (to a
// temporary name, then renamed) after each chunk, so a killed download resumes where it stopped.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface ResumeState {
  version: 1;
  objectId: string;
  /** The byte range of the object being downloaded. */
  offset: number;
  length: number;
  /** The object's MD5 (or null) when the download started: another value means another object. */
  md5: string | null;
  chunkSize: number;
  /** Indexes of the chunks written (and synced) to the part file. */
  done: number[];
}

export class ResumeFile {
  /** `<out>/.<objectId>.part`: the bytes, written in place at their offsets. */
  readonly partPath: string;
  readonly statePath: string;
  private chain: Promise<void> = Promise.resolve();

  constructor(outDir: string, objectId: string) {
    this.partPath = path.join(outDir, `.${objectId}.part`);
    this.statePath = `${this.partPath}.json`;
  }

  /** The saved state, or undefined when there is none or it cannot be read. */
  async load(): Promise<ResumeState | undefined> {
    try {
      const s = JSON.parse(await readFile(this.statePath, 'utf8')) as ResumeState;
      return s.version === 1 && Array.isArray(s.done) ? s : undefined;
    } catch {
      return undefined;
    }
  }

  /** Saves states in call order; each save replaces the file atomically. */
  save(state: ResumeState): Promise<void> {
    const text = JSON.stringify({ ...state, done: [...state.done].sort((a, b) => a - b) });
    const tmp = `${this.statePath}.tmp`;
    const run = this.chain.then(async () => {
      await writeFile(tmp, text);
      await rename(tmp, this.statePath);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  async removeState(): Promise<void> {
    await this.chain;
    await rm(this.statePath, { force: true });
    await rm(`${this.statePath}.tmp`, { force: true });
  }

  async removeAll(): Promise<void> {
    await this.removeState();
    await rm(this.partPath, { force: true });
  }
}
