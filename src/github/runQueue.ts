/**
 * A bounded in-process queue of validation runs with per-pull-request de-duplication.
 * - at most `concurrency` runs at a time, at most `maxPending` waiting;
 * - one entry per key (a pull request): a job for a new head SHA supersedes the older
 *   one, which is aborted (running) or dropped (waiting), and told through `onSuperseded`;
 *   a job for the same SHA as one waiting or running is a duplicate and is dropped;
 * - deliveries can arrive out of order: a job whose `pushedAt` is older than the current
 *   job's for the same key is stale and dropped, so a late old head never cancels a newer one.
 */
export interface QueueJob {
  /** De-duplication key, e.g. "owner/repo#12". */
  key: string;
  sha: string;
  /** When the head was pushed (ms since epoch), where the event says; orders out-of-order deliveries. */
  pushedAt?: number;
  run(signal: AbortSignal): Promise<void>;
  /** A newer SHA took this job's place (before or while it ran). */
  onSuperseded?(bySha: string): Promise<void> | void;
}

/** The `bySha` given to onSuperseded when the queue is shut down. */
export const SHUTDOWN = "shutdown";

export type EnqueueResult = "queued" | "duplicate" | "stale" | "full";

interface Entry {
  job: QueueJob;
  controller: AbortController;
  running: boolean;
}

export class QueueFullError extends Error {
  constructor(readonly maxPending: number) {
    super(`skillgate's queue is full (${maxPending} runs waiting); re-run the check later`);
    this.name = "QueueFullError";
  }
}

export class RunQueue {
  private readonly waiting: Entry[] = [];
  private readonly running = new Set<Entry>();
  private readonly byKey = new Map<string, Entry>();
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly opts: {
      concurrency: number;
      maxPending: number;
      onError: (job: QueueJob, err: unknown) => void;
      /** After a job ran to its end (not when it was dropped while waiting). */
      onFinished?: (job: QueueJob) => void;
    },
  ) {}

  enqueue(job: QueueJob): EnqueueResult {
    const current = this.byKey.get(job.key);
    if (current) {
      if (current.job.sha === job.sha) return "duplicate";
      if (job.pushedAt !== undefined && current.job.pushedAt !== undefined && job.pushedAt < current.job.pushedAt) return "stale";
      this.supersede(current, job.sha);
    }
    if (this.waiting.length >= this.opts.maxPending) return "full";
    const entry: Entry = { job, controller: new AbortController(), running: false };
    this.waiting.push(entry);
    this.byKey.set(job.key, entry);
    this.pump();
    return "queued";
  }

  get size(): { running: number; waiting: number } {
    return { running: this.running.size, waiting: this.waiting.length };
  }

  /** Resolves when nothing runs or waits (tests, shutdown). */
  idle(): Promise<void> {
    if (this.running.size === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Aborts everything (shutdown). */
  abortAll(): void {
    for (const e of [...this.waiting]) this.supersede(e, SHUTDOWN);
    for (const e of this.running) e.controller.abort(new Error("skillgate is shutting down"));
  }

  private supersede(entry: Entry, bySha: string): void {
    if (this.byKey.get(entry.job.key) === entry) this.byKey.delete(entry.job.key);
    const i = this.waiting.indexOf(entry);
    if (i >= 0) this.waiting.splice(i, 1);
    entry.controller.abort(new Error(`superseded by ${bySha}`));
    Promise.resolve()
      .then(() => entry.job.onSuperseded?.(bySha))
      .catch((err: unknown) => this.opts.onError(entry.job, err));
    this.settle();
  }

  private pump(): void {
    while (this.running.size < this.opts.concurrency && this.waiting.length) {
      const entry = this.waiting.shift()!;
      entry.running = true;
      this.running.add(entry);
      Promise.resolve()
        .then(() => entry.job.run(entry.controller.signal))
        .catch((err: unknown) => this.opts.onError(entry.job, err))
        .finally(() => {
          this.running.delete(entry);
          if (!entry.controller.signal.aborted) this.opts.onFinished?.(entry.job);
          if (this.byKey.get(entry.job.key) === entry) this.byKey.delete(entry.job.key);
          this.pump();
          this.settle();
        });
    }
  }

  private settle(): void {
    if (this.running.size === 0 && this.waiting.length === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}
