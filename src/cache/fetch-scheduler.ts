// Range GETs in flight: at most `concurrency`, demand before prefetch, prefetch never holding every
// slot (so a demand read always finds one soon); `paused(priority)` holds jobs back (disk backlog).

export type Priority = 'demand' | 'prefetch';

export interface FetchJob {
  priority: Priority;
  /** Latest deadline (epoch millis) of any reader waiting for this job. */
  deadline: number;
  started: boolean;
  run(): Promise<void>;
}

export class FetchScheduler {
  private readonly demand: FetchJob[] = [];
  private readonly prefetch: FetchJob[] = [];
  private running = 0;
  private runningPrefetch = 0;
  private retry: NodeJS.Timeout | undefined;
  private readonly prefetchSlots: number;

  constructor(
    private readonly concurrency: number,
    private readonly paused: (p: Priority) => boolean = () => false,
  ) {
    this.prefetchSlots = Math.max(1, concurrency - Math.max(1, Math.floor(concurrency / 4)));
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

  /** Starts what may start now (also called when a pause condition has cleared). */
  pump(): void {
    while (this.running < this.concurrency) {
      let job = this.paused('demand') ? undefined : this.demand.shift();
      if (!job && this.runningPrefetch < this.prefetchSlots && !this.paused('prefetch')) job = this.prefetch.shift();
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

  private start(job: FetchJob): void {
    const isPrefetch = job.priority === 'prefetch';
    job.started = true;
    this.running++;
    if (isPrefetch) this.runningPrefetch++;
    void job.run().finally(() => {
      this.running--;
      if (isPrefetch) this.runningPrefetch--;
      this.pump();
    });
  }
}
