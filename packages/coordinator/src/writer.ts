import type { ResultInput, RunEnd, RunRepository } from '@baton/store';
import type { Clock } from './clock.js';

/** Results gathered before one write transaction. */
export const WRITE_BATCH = 500;
/** The longest a result waits in memory before it is written. */
export const WRITE_INTERVAL_MS = 200;

/**
 * Batches results into the repository: one transaction per few hundred results or per
 * WRITE_INTERVAL_MS, whichever comes first. That is what lets a run record thousands of
 * results a second, while a coordinator killed at any moment loses at most the last
 * fraction of a second (the run stays marked incomplete, the rest is there).
 */
export class ResultWriter {
  private readonly repository: RunRepository;
  private readonly clock: Clock;
  private run = -1;
  private pending: ResultInput[] = [];
  private timer: { cancel(): void } | undefined;

  constructor(repository: RunRepository, clock: Clock) {
    this.repository = repository;
    this.clock = clock;
  }

  open(run: number): void {
    this.run = run;
  }

  add(result: ResultInput): void {
    this.pending.push(result);
    if (this.pending.length >= WRITE_BATCH) this.flush();
    else this.timer ??= this.clock.setTimeout(() => this.flush(), WRITE_INTERVAL_MS);
  }

  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.repository.recordResults(this.run, batch);
  }

  /** Writes what is left and marks the run complete. */
  close(end: RunEnd): void {
    this.flush();
    this.repository.finishRun(this.run, end);
  }
}
