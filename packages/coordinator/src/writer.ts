import type { Clock } from '@baton/protocol';
import type { ProcessStartInput, ResultInput, RunEnd, RunRepository } from '@baton/store';

/** Results gathered before one write transaction. */
export const WRITE_BATCH = 500;
/** The longest a result waits in memory before it is written. */
export const WRITE_INTERVAL_MS = 200;

/** Options of `ResultWriter`. */
export interface ResultWriterOptions {
  /**
   * Told, once, of the first write that failed (a full disk: BATON_STORE_DISK_FULL; a
   * damaged or read-only repository), whether a full batch, the timer or `close` wrote it. From
   * then on the writer writes nothing: later results are dropped and the run is left
   * incomplete, with every result committed before the failure. Without it, `close`
   * throws the failure instead.
   */
  readonly onError?: (error: unknown) => void;
}

/**
 * Batches results into the repository: one transaction per few hundred results or per
 * WRITE_INTERVAL_MS, whichever comes first. That is what lets a run record thousands of
 * results a second. Each result is staged first (the repository's journal), so a
 * coordinator killed at any moment loses none it had received: the next open of the
 * repository stores them, and the run stays marked incomplete.
 */
export class ResultWriter {
  private readonly repository: RunRepository;
  private readonly clock: Clock;
  private readonly onError: ((error: unknown) => void) | undefined;
  private run = -1;
  private pending: ResultInput[] = [];
  /** Process starts wait with the results (they are few), not staged: a killed coordinator loses a batch's worth. */
  private pendingStarts: ProcessStartInput[] = [];
  private timer: { cancel(): void } | undefined;
  /** The first write that failed; nothing is written after it. */
  private failure: { readonly error: unknown } | undefined;

  constructor(repository: RunRepository, clock: Clock, options: ResultWriterOptions = {}) {
    this.repository = repository;
    this.clock = clock;
    this.onError = options.onError;
  }

  open(run: number): void {
    this.run = run;
  }

  /** Stages the result (it survives this process from now on) and queues it for the next batch. */
  add(result: ResultInput): void {
    if (this.failure !== undefined) return;
    try {
      this.repository.stage(this.run, result);
    } catch (error) {
      // What waits may still fit in the database where the journal's line did not.
      this.flush();
      this.fail(error);
      return;
    }
    this.pending.push(result);
    if (this.pending.length >= WRITE_BATCH) this.flush();
    else this.timer ??= this.clock.setTimeout(() => this.flush(), WRITE_INTERVAL_MS);
  }

  /** Queues a test server process a slot continued on for the next batch. */
  addProcessStart(start: ProcessStartInput): void {
    if (this.failure !== undefined) return;
    this.pendingStarts.push(start);
    this.timer ??= this.clock.setTimeout(() => this.flush(), WRITE_INTERVAL_MS);
  }

  /** Writes what waits. A failure goes to `onError` (never thrown: the timer calls this too). */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.failure !== undefined) return;
    const batch = this.pending;
    const starts = this.pendingStarts;
    this.pending = [];
    this.pendingStarts = [];
    if (batch.length > 0) this.attempt(() => this.repository.recordResults(this.run, batch));
    if (starts.length > 0 && this.failure === undefined) this.attempt(() => this.repository.recordProcessStarts(this.run, starts));
  }

  /**
   * Writes what is left and marks the run complete; after a failed write it leaves the
   * run incomplete instead (and throws the failure if no `onError` was given).
   */
  close(end: RunEnd): void {
    this.flush();
    if (this.failure === undefined) this.attempt(() => this.repository.finishRun(this.run, end));
    if (this.failure !== undefined && this.onError === undefined) throw this.failure.error;
  }

  private attempt(write: () => void): void {
    try {
      write();
    } catch (error) {
      this.fail(error);
    }
  }

  /** The first failure stops the writer; later ones (a flush on the way out) add nothing. */
  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = { error };
    this.onError?.(error);
  }
}
