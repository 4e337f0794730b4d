// Access leases kept with the cache: "this token was allowed to read object X until T", so an offline
// mount can serve a controlled object's cached bytes to the token Score last allowed, and to no other.
// Tokens are named by a fingerprint only: HMAC-SHA256 under a random key kept in the cache directory
// (mode 0600). Neither the token nor a plain hash of it (which a guessed token could be checked against)
// is ever written.
import { createHmac, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { CacheIndex } from './cache-index.js';

const KEY_BYTES = 32;

/** The leases of one token. */
export class AccessLeases {
  constructor(
    private readonly index: CacheIndex,
    private readonly fingerprint: string,
  ) {}

  /** Until when (epoch millis) this token may read the object's cached bytes offline; undefined if never or expired. */
  async validUntil(objectId: string, now = Date.now()): Promise<number | undefined> {
    const until = await this.index.getLease(this.fingerprint, objectId);
    return until !== undefined && until > now ? until : undefined;
  }

  grant(objectId: string, until: number): Promise<void> {
    return this.index.exclusive(() => this.index.putLease(this.fingerprint, objectId, until));
  }

  revoke(objectId: string): Promise<void> {
    return this.index.exclusive(() => this.index.deleteLease(this.fingerprint, objectId));
  }
}

/** The fingerprint key of a cache directory: read, or made on first use (exclusive create, 0600). */
export async function leaseKey(file: string): Promise<Buffer> {
  try {
    await writeFile(file, randomBytes(KEY_BYTES), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = await readFile(file);
  if (key.length !== KEY_BYTES) throw new Error(`${file} is not a scorefs lease key (${key.length} bytes): remove it to make a new one (offline leases are then lost)`);
  return key;
}

/** A token's name in the cache: the HMAC of the token (empty for none) under the cache's key. */
export function tokenFingerprint(key: Buffer, token: string | undefined): string {
  return createHmac('sha256', key).update(token ?? '').digest('hex');
}
