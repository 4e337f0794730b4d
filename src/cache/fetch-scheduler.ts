// Range GETs in flight: demand before prefetch, demand up to `concurrency` (the connection pool),
// prefetch never holding every slot (so a demand read always finds one soon) and no more at once than
// the adaptive limit finds the link rewards; `paused(priority, bytes in flight)` holds jobs back (disk
// backlog: what is in flight is queued for disk once it arrives). It is asked with the next job's bytes
// counted in: a job starts only if what it fetches fits beside what is under way.
import { AdaptiveLimit } from '../util/adaptive-limit.js';

export type Priority = 'demand' | 'prefetch';

export interface FetchJob {
  priority: Priority;
  /** Latest deadline (epoch millis) of any reader waiting for this job. */
  deadline: number;
  started: boolean;
  /** Bytes the job fetches (what the adaptive limit measures the link by). */
  bytes: number;
  /** Rejects when the fetch failed. */
  run(): Promise<void>;
}

/** Range GETs prefetching may have at once with `concurrency` slots: all but one, kept for demand reads. */
export function prefetchSlots(concurrency: number): number {
  return Math.max(1, concurrency - 1);
}

export class FetchScheduler {
  private readonly demand: FetchJob[] = [];
  private readonly prefetch: FetchJob[] = [];
  private running = 0;
  private runningPrefetch = 0;
  private runningBytes = 0;
  private peak = 0;
  private retry: NodeJS.Timeout | undefined;
  /** How many prefetches may run at once, at most all slots but one. */
  readonly link: AdaptiveLimit;

  constructor(
    private readonly concurrency: number,
    private readonly paused: (p: Priority, bytesInFlight: number) => boolean = () => false,
  ) {
    this.link = new AdaptiveLimit({ max: prefetchSlots(concurrency) });
  }

  submit(job: FetchJob): void {
    (job.priority === 'demand' ? this.demand : this.prefetch).push(job);
    this.pump();
  }

  /** A demand reader now waits for this job: move it ahead of the prefetches. */
  promote(job: FetchJob, deadline: number): void {
    job.deadline = Math.max(job.deadline, deadline);
    if (job.started || job.priority === 'demand') return;
    const i = this.prefetch.indexOf(job);
    if (i >= 0) this.prefetch.splice(i, 1);
    job.priority = 'demand';
    this.demand.push(job);
    this.pump();
  }

  /** Jobs running now, and the most that ever ran at once. */
  get inFlight(): { now: number; peak: number } {
    return { now: this.running, peak: this.peak };
  }

  /** A fetch is being tried again after a transient failure: the link is struggling. */
  retried(): void {
    this.link.failed();
  }

  /** Starts what may start now (also called when a pause condition has cleared). */
  pump(): void {
    while (this.running < this.concurrency) {
      let job = this.startable(this.demand, 'demand');
      if (!job && this.runningPrefetch < this.link.limit) job = this.startable(this.prefetch, 'prefetch');
      if (!job) break;
      this.start(job);
    }
    // Paused work with nothing running to wake it: look again shortly (a pause can also end by time).
    if (this.running === 0 && (this.demand.length > 0 || this.prefetch.length > 0) && !this.retry) {
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.pump();
      }, 200);
      this.retry.unref();
    }
  }

  /** The queue's next job, taken off it, unless the pause holds it back. */
  private startable(queue: FetchJob[], priority: Priority): FetchJob | undefined {
    const next = queue[0];
    return next && !this.paused(priority, this.runningBytes + next.bytes) ? queue.shift() : undefined;
  }

  private start(job: FetchJob): void {
    const isPrefetch = job.priority === 'prefetch';
    job.started = true;
    this.peak = Math.max(this.peak, ++this.running);
    this.runningBytes += job.bytes;
    if (isPrefetch) this.link.started(++this.runningPrefetch);
    job.run().then(
      () => this.link.completed(job.bytes),
      () => this.link.failed(),
    ).finally(() => {
      this.running--;
      this.runningBytes -= job.bytes;
      if (isPrefetch) this.runningPrefetch--;
      this.pump();
    });
  }
}
