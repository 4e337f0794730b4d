// The mount itself (the daemon, or `scorefs mount --foreground`): connect, open the cache, build the
// tree, mount, refresh the catalog in the background, and on SIGTERM/SIGINT unmount cleanly.
import { selectManifest } from '../catalog-rules.js';
import { AccessDenied, InvalidInput, Unavailable } from '../errors.js';
import type { BlockCache } from '../cache/block-cache.js';
import { checkFuseDevice, FuseMount } from '../fuse/fuse-mount.js';
import { removeMountRecord, writeMountRecord } from '../fuse/mount-registry.js';
import { findMount } from '../fuse/mountinfo.js';
import { prepareMountpoint } from '../fuse/mountpoint.js';
import type { Catalog } from '../model.js';
import { logger } from '../util/log.js';
import { CatalogRefresher } from '../vfs/catalog-refresher.js';
import { ScoreClient } from '../score/client.js';
import { readManifest } from '../score/manifest.js';
import { MountTree } from '../vfs/mount-tree.js';
import { ObjectAccess } from '../vfs/object-access.js';
import type { MountSettings } from './mount.js';
import { openCache } from './cache-open.js';
import { reportToParent } from './mount-daemon.js';
import { notifyReady, notifyStopping } from '../service/notify.js';
import { MountMetrics } from '../metrics/mount-metrics.js';
import { startMetricsServer, type MetricsServer } from '../metrics/server.js';

const log = logger('mount');

export async function runMount(s: MountSettings): Promise<void> {
  let client: ScoreClient | undefined;
  let cache: BlockCache | undefined;
  let fuse: FuseMount | undefined;
  let metricsServer: MetricsServer | undefined;
  let mountpoint = s.mountpoint;
  try {
    mountpoint = await prepareMountpoint(s.mountpoint);
    await checkFuseDevice(); // before any network work: without it nothing can be mounted
    const only = s.manifest ? await readManifest(s.manifest) : undefined;
    // The server filters what it lists; a snapshot may hold more (fetched without a manifest).
    const select = (c: Catalog): Catalog => (only ? { ...c, files: selectManifest(c.files, only) } : c);

    client = new ScoreClient(s.client);
    cache = await openCache({
      dir: s.cacheDir,
      source: client.source,
      readDeadlineMs: s.client.readDeadlineMs,
      fetchConcurrency: s.client.connections,
      ...(s.cacheSizeBytes !== undefined ? { diskBytes: s.cacheSizeBytes } : {}),
      ...(s.memorySizeBytes !== undefined ? { memoryBytes: s.memorySizeBytes } : {}),
    });
    const openedCache = cache;
    const activeClient = client;
    // Each fetch reuses the MD5s of unchanged objects from the catalog before it.
    const fetch = (known?: Catalog): Promise<Catalog> => activeClient.fetchCatalog({ ...(only ? { only } : {}), ...(known ? { known } : {}) });
    const start = await initialCatalog(activeClient, fetch, openedCache, s);
    let offline = start.offline;
    let latest = start.catalog; // what the snapshot holds, with the MD5s learned since
    const snapshot = new SnapshotWriter(() => openedCache.saveCatalog(latest));
    const access = new ObjectAccess(openedCache, {
      describe: (file, call) => activeClient.describe(file, call),
      leases: openedCache.leasesOf(s.client.token),
      leaseMs: s.accessLeaseMs,
      readDeadlineMs: s.client.readDeadlineMs,
      offline: () => offline,
      onLearned: () => snapshot.soon(),
    });

    const tree: MountTree = new MountTree(select(start.catalog), {
      layout: s.layout,
      reader: access,
      stats: () => statsDocument(openedCache, tree.catalog, offline),
    });
    const metrics = new MountMetrics(() => statsDocument(openedCache, tree.catalog, offline));
    // Before mounting: a port in use fails the mount, rather than a daemon that dies once it is up.
    if (s.metricsPort !== undefined) {
      metricsServer = await startMetricsServer(s.metricsPort, metrics.withProcessMetrics());
      log.info({ metrics: metricsServer.url }, 'serving metrics');
    }
    fuse = await FuseMount.mount(tree, { mountpoint, allowOther: s.allowOther, readaheadKb: s.readAheadKb, onRead: metrics.observeRead });
    await writeMountRecord({ pid: process.pid, mountpoint, logFile: s.logFile, startedAt: Date.now() });
    log.info({ mountpoint, files: tree.catalog.files.length, offline, layout: s.layout }, 'mount ready');
    await reportToParent({ ok: true, offline, files: tree.catalog.files.length, catalogFetchedAt: start.catalog.fetchedAt });
    // Saved once the mount answers: 100,000 entries take a while to write, and the mount needs none of it.
    if (!offline) void snapshot.now().catch(saveFailed);

    const refresher = new CatalogRefresher({
      fetch: () => fetch(tree.catalog),
      onCatalog: async (c) => {
        const changed = tree.replace(select(c));
        if (offline) log.info('the server answers again: online');
        offline = false;
        if (!changed) return; // the snapshot holds this listing already
        latest = c;
        await snapshot.now();
      },
      intervalMs: s.refreshIntervalMs,
    });
    refresher.start({ failing: offline });

    const stop = stopRequest(mountpoint); // listen first: systemd may stop us right after READY
    await notifyReady(`mounted ${tree.catalog.files.length} files at ${mountpoint}${offline ? ' (offline)' : ''}`);
    const reason = await stop;
    void notifyStopping();
    log.info({ reason }, 'stopping');
    refresher.stop();
    await metricsServer?.close();
    if (reason !== 'unmounted') await fuse.unmount();
    fuse = undefined;
    await snapshot.now().catch(saveFailed);
    await cache.close();
    cache = undefined;
    await client.close();
    await removeMountRecord(mountpoint, process.pid);
    process.exit(0);
  } catch (err) {
    const text = startupMessage(err, s);
    log.error({ err: err instanceof Error ? err.message : String(err) }, 'mount failed');
    await reportToParent({ ok: false, error: text });
    process.stderr.write(`scorefs: ${text}\n`);
    await fuse?.unmount().catch(() => undefined);
    await metricsServer?.close().catch(() => undefined);
    await cache?.close().catch(() => undefined);
    await client?.close().catch(() => undefined);
    process.exit(err instanceof InvalidInput ? 2 : 1);
  }
}

/** How long the server may take to answer at mount: less when a cached listing can stand in. */
const ONLINE_CHECK_MS = 15_000;
const OFFLINE_CHECK_MS = 5_000;

/**
 * The catalog to mount: fetched from the server when it answers; the last snapshot when it is
 * unreachable (offline mount). A rejected token or a refused request fails the mount.
 */
async function initialCatalog(
  client: ScoreClient,
  fetch: (known?: Catalog) => Promise<Catalog>,
  cache: BlockCache,
  s: MountSettings,
): Promise<{ catalog: Catalog; offline: boolean }> {
  const { learned, otherServer } = await cachedListing(cache, s.client.storageUrl);
  try {
    // With a listing to fall back on, a server that does not answer is given less time.
    await client.checkConnection({ deadline: Date.now() + Math.min(learned ? OFFLINE_CHECK_MS : ONLINE_CHECK_MS, s.client.readDeadlineMs) });
    return { catalog: await fetch(learned), offline: false };
  } catch (err) {
    if (!(err instanceof Unavailable)) throw err;
    const snapshot = learned && (await cache.loadCatalog());
    if (!snapshot) {
      const other = otherServer ? ` (the listing cached there is of ${otherServer})` : '';
      throw new Error(`${err.message}, and no listing of this server is cached in ${s.cacheDir} to mount offline from${other}`);
    }
    log.warn({ err: err instanceof Error ? err.message : String(err), fetchedAt: snapshot.fetchedAt }, 'server unreachable: mounting offline from the cached listing');
    return { catalog: snapshot, offline: true };
  }
}

/**
 * What a mount keeps of the cached listing while it fetches a new one: the objects whose MD5s were
 * learned (to keep them), not all 100,000 entries; the whole is read again only to mount offline.
 * A listing of another server (the same cache dir used with another --storage-url) is no fallback.
 */
async function cachedListing(cache: BlockCache, storageUrl: string): Promise<{ learned?: Catalog; otherServer?: string }> {
  const saved = await cache.loadCatalog((f) => f.md5 !== null);
  if (!saved) return {};
  if ((saved.server ?? storageUrl) !== storageUrl) return saved.server ? { otherServer: saved.server } : {};
  return { learned: saved };
}

function saveFailed(err: unknown): void {
  log.warn({ err: String(err) }, 'saving the listing failed');
}

/** MD5s learned on first opens reach the snapshot in batches: one write for a burst of opens. */
const SNAPSHOT_DELAY_MS = 2000;

class SnapshotWriter {
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly save: () => Promise<void>) {}

  soon(): void {
    this.timer ??= setTimeout(() => void this.now().catch(saveFailed), SNAPSHOT_DELAY_MS);
  }

  /** Saves now, after any save still under way (one write at a time, the latest last). */
  now(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.saving = this.saving.catch(() => undefined).then(this.save);
    return this.saving;
  }
}

function statsDocument(cache: BlockCache, catalog: Catalog, offline: boolean): Record<string, unknown> {
  const c = cache.stats();
  const source = (c.source ?? {}) as Record<string, unknown>;
  return {
    mode: offline ? 'offline' : 'online',
    files: catalog.files.length,
    catalogFetchedAt: new Date(catalog.fetchedAt).toISOString(),
    bytesRead: c.bytesRead,
    bytesFromMemory: c.bytesFromMemory,
    bytesFromDisk: c.bytesFromDisk,
    bytesFromNetwork: c.bytesFromNetwork,
    requests: c.networkRequests,
    retries: typeof source.retries === 'number' ? source.retries : 0,
    errors: c.readErrors,
    cacheBytes: c.diskBytes,
    cacheCapacityBytes: c.diskCapacityBytes,
    cache: c,
  };
}

function startupMessage(err: unknown, s: MountSettings): string {
  const text = err instanceof Error ? err.message : String(err);
  if (err instanceof AccessDenied && err.reason === 'token') return `token rejected by ${s.client.storageUrl}: ${text}`;
  return text;
}

const MOUNT_POLL_MS = 5000;

/**
 * Resolves with the signal that asks us to stop, or 'unmounted' when the mount went away under us
 * (a plain `umount` or `fusermount -u`), so a service never stays active with nothing mounted.
 */
function stopRequest(mountpoint: string): Promise<NodeJS.Signals | 'unmounted'> {
  return new Promise((resolve) => {
    const done = (reason: NodeJS.Signals | 'unmounted'): void => {
      process.off('SIGTERM', done);
      process.off('SIGINT', done);
      clearInterval(poll);
      resolve(reason);
    };
    const poll = setInterval(() => {
      findMount(mountpoint).then(
        (entry) => entry || done('unmounted'),
        () => undefined,
      );
    }, MOUNT_POLL_MS);
    process.on('SIGTERM', done);
    process.on('SIGINT', done);
    process.on('SIGHUP', () => undefined); // a daemon has no terminal to lose
  });
}
