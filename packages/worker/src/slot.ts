import type { Attachment, TestResult, Timestamp } from '@baton/subunit';
import type { AdapterContext, AdapterFactory, TestAdapter } from './adapter.js';
import type { Clock } from './clock.js';
import { workerFailure } from './packets.js';

/**
 * Failed adapter starts (or deaths before any test started) in a row after which a slot
 * gives up on the tests it holds, failing them with the reason instead of restarting
 * forever. A test starting resets the count.
 */
export const MAX_FAILED_STARTS = 3;

/** Where a slot reports what happens on it. */
export interface SlotSink {
  /** A test started; `timestamp` is the adapter's own stamp of that moment, when it gave one. */
  started(slot: number, id: string, timestamp: Timestamp | undefined): void;
  finished(slot: number, result: TestResult): void;
  output(slot: number, attachment: Attachment): void;
  /** Every test of the Run with this nonce has a result or was cancelled. */
  done(nonce: string): void;
}

export interface SlotOptions {
  readonly index: number;
  readonly factory: AdapterFactory;
  readonly sink: SlotSink;
  readonly clock: Clock;
  /** The worker's name, for the reasons attached to failures. */
  readonly workerName: string;
  /** @default MAX_FAILED_STARTS */
  readonly maxFailedStarts?: number;
  readonly log: (line: string) => void;
}

/** One Run from the coordinator, queued on a slot. */
interface Job {
  readonly nonce: string;
  /** Tests without a result and not cancelled, in the order given (a Set keeps insertion order). */
  readonly remaining: Set<string>;
  readonly timeout: number | undefined;
}

interface Running {
  readonly start: number;
  readonly disarm: () => void;
}

/** One batch handed to the adapter: the remaining tests of the job at the front. */
interface Attempt {
  readonly job: Job;
  readonly handed: ReadonlySet<string>;
  readonly running: Map<string, Running>;
  timedOut: { readonly id: string; readonly seconds: number } | undefined;
  abandoned: boolean;
}

/**
 * One slot of a worker: a FIFO of Runs executed one after another by one adapter (a
 * long-lived test server, or a command per batch). It enforces per-test timeouts by
 * killing the adapter, turns an adapter's death into failures of the tests it was
 * running, and starts a fresh adapter for the tests that remain. See AGENTS.md.
 */
export class Slot {
  readonly index: number;
  private readonly options: SlotOptions;
  private readonly maxFailedStarts: number;
  private readonly jobs: Job[] = [];
  private adapter: TestAdapter | undefined;
  private attempt: Attempt | undefined;
  private cancelling: Promise<unknown> = Promise.resolve();
  private looping = false;
  private closed = false;
  private failedStarts = 0;

  constructor(options: SlotOptions, adapter?: TestAdapter) {
    this.options = options;
    this.index = options.index;
    this.maxFailedStarts = options.maxFailedStarts ?? MAX_FAILED_STARTS;
    this.adapter = adapter;
  }

  /** The context an adapter of this slot is created with. */
  static context(index: number, sink: SlotSink, log: (line: string) => void): AdapterContext {
    return { slot: index, output: (attachment) => sink.output(index, attachment), log };
  }

  /** Tests queued on this slot and not finished: what "least loaded" compares. */
  get load(): number {
    let load = 0;
    for (const job of this.jobs) load += job.remaining.size;
    return load;
  }

  /** Queues a Run's tests behind what the slot already holds. */
  enqueue(nonce: string, tests: readonly string[], timeout: number | undefined): void {
    const job: Job = { nonce, remaining: new Set(tests), timeout };
    if (job.remaining.size === 0) {
      this.options.sink.done(nonce);
      return;
    }
    this.jobs.push(job);
    void this.loop();
  }

  /** Takes back the tests of `ids` that have not started; resolves with exactly those that never will. */
  cancel(ids: ReadonlySet<string>): Promise<string[]> {
    const work = this.takeBack(ids);
    // The next batch waits for this, so that a test being cancelled is never handed out meanwhile.
    this.cancelling = work.catch(() => undefined);
    return work;
  }

  /** Drops every queued test and kills a running batch: the coordinator is gone. */
  abandon(): void {
    for (const job of this.jobs) job.remaining.clear();
    this.jobs.length = 0;
    if (this.attempt) {
      this.attempt.abandoned = true;
      this.killAdapter();
    }
  }

  /** Abandons everything and stops the adapter cleanly. */
  async close(): Promise<void> {
    this.closed = true;
    this.abandon();
    const adapter = this.adapter;
    this.adapter = undefined;
    await adapter?.close();
  }

  private async takeBack(ids: ReadonlySet<string>): Promise<string[]> {
    const taken: string[] = [];
    const attempt = this.attempt;
    const ask: string[] = [];
    for (const job of this.jobs) {
      for (const id of job.remaining) {
        if (!ids.has(id)) continue;
        if (attempt?.job === job && attempt.handed.has(id)) {
          if (!attempt.running.has(id)) ask.push(id);
        } else {
          job.remaining.delete(id);
          taken.push(id);
        }
      }
    }
    const adapter = this.adapter;
    if (attempt !== undefined && adapter !== undefined && ask.length > 0) {
      // A dead adapter cancels nothing; its tests stay queued and run on the next one.
      const confirmed = await adapter.cancel(ask).catch(() => []);
      for (const id of confirmed) if (attempt.job.remaining.delete(id)) taken.push(id);
    }
    for (const job of [...this.jobs]) {
      if (job.remaining.size === 0 && job !== this.attempt?.job) {
        this.jobs.splice(this.jobs.indexOf(job), 1);
        this.options.sink.done(job.nonce);
      }
    }
    return taken;
  }

  private async loop(): Promise<void> {
    if (this.looping) return;
    this.looping = true;
    try {
      for (;;) {
        const job = this.jobs[0];
        if (job === undefined || this.closed) return;
        if (job.remaining.size === 0) {
          this.jobs.shift();
          this.options.sink.done(job.nonce);
          continue;
        }
        await this.runBatch(job);
      }
    } catch (error) {
      this.options.log(`slot ${this.index}: ${(error as Error).stack ?? String(error)}`);
    } finally {
      this.looping = false;
    }
  }

  private async runBatch(job: Job): Promise<void> {
    await this.cancelling;
    if (job.remaining.size === 0) return;
    const adapter = await this.ensureAdapter();
    if (adapter === undefined) return;
    const attempt: Attempt = { job, handed: new Set(job.remaining), running: new Map(), timedOut: undefined, abandoned: false };
    this.attempt = attempt;
    let failure: unknown;
    try {
      const events = adapter.run([...attempt.handed], job.timeout === undefined ? {} : { timeout: job.timeout });
      for await (const event of events) {
        if (attempt.timedOut || attempt.abandoned) continue;
        if (event.type === 'start') this.onStart(attempt, event.id, event.timestamp);
        else this.onResult(attempt, event.result);
      }
    } catch (error) {
      failure = error;
    } finally {
      this.attempt = undefined;
      for (const running of attempt.running.values()) running.disarm();
    }
    if (attempt.abandoned) return;
    if (attempt.timedOut !== undefined || failure !== undefined) {
      this.afterDeath(attempt, adapter, failure);
      return;
    }
    await this.cancelling;
    for (const id of attempt.handed) {
      if (!job.remaining.delete(id)) continue;
      this.fail(id, 'baton-error', `${this.where()} finished its batch without a result for ${id}; the test was not run`, undefined);
    }
  }

  private afterDeath(attempt: Attempt, adapter: TestAdapter, failure: unknown): void {
    if (this.adapter === adapter) this.killAdapter();
    const reason = failure instanceof Error ? failure.message : String(failure);
    for (const [id, running] of attempt.running) {
      if (!attempt.job.remaining.delete(id)) continue;
      const timedOut = attempt.timedOut;
      if (timedOut?.id === id) {
        this.fail(id, 'baton-timeout', `${id} timed out after ${timedOut.seconds} s on ${this.where()}; its test process was killed and replaced`, running.start);
      } else {
        this.fail(id, 'baton-error', `${this.where()} lost its test process while running ${id}: ${reason}`, running.start);
      }
    }
    if (attempt.running.size === 0 && attempt.timedOut === undefined) this.startFailed(`the adapter died before any test started: ${reason}`);
  }

  private onStart(attempt: Attempt, id: string, timestamp: Timestamp | undefined): void {
    this.failedStarts = 0;
    const timeout = attempt.job.timeout;
    const disarm =
      timeout === undefined ? () => undefined : this.options.clock.setTimeout(() => this.timeOut(attempt, id, timeout), timeout * 1000);
    attempt.running.set(id, { start: this.options.clock.now(), disarm });
    this.options.sink.started(this.index, id, timestamp);
  }

  private onResult(attempt: Attempt, result: TestResult): void {
    attempt.running.get(result.id)?.disarm();
    attempt.running.delete(result.id);
    // Ids outside the batch (a class fixture's error holder) are reported as they come.
    if (attempt.job.remaining.delete(result.id) || !attempt.handed.has(result.id)) this.options.sink.finished(this.index, result);
  }

  private timeOut(attempt: Attempt, id: string, seconds: number): void {
    if (this.attempt !== attempt || attempt.timedOut !== undefined || !attempt.running.has(id)) return;
    attempt.timedOut = { id, seconds };
    this.options.log(`slot ${this.index}: ${id} ran past its timeout of ${seconds} s; killing its test server`);
    this.killAdapter();
  }

  private async ensureAdapter(): Promise<TestAdapter | undefined> {
    if (this.adapter !== undefined) return this.adapter;
    let adapter: TestAdapter;
    try {
      adapter = await this.options.factory(Slot.context(this.index, this.options.sink, this.options.log));
    } catch (error) {
      this.startFailed((error as Error).message);
      return undefined;
    }
    if (this.closed) {
      await adapter.close();
      return undefined;
    }
    this.adapter = adapter;
    return adapter;
  }

  private startFailed(reason: string): void {
    this.failedStarts++;
    this.options.log(`slot ${this.index}: ${reason}`);
    if (this.failedStarts < this.maxFailedStarts) return;
    this.failedStarts = 0;
    const text = `${this.where()} gave up after ${this.maxFailedStarts} failed starts of its adapter in a row: ${reason}`;
    for (const job of this.jobs) {
      for (const id of job.remaining) this.fail(id, 'baton-error', text, undefined);
      job.remaining.clear();
    }
  }

  private fail(id: string, name: string, text: string, start: number | undefined): void {
    this.options.sink.finished(this.index, workerFailure(id, name, text, start, this.options.clock.now()));
  }

  private killAdapter(): void {
    const adapter = this.adapter;
    this.adapter = undefined;
    adapter?.kill();
  }

  private where(): string {
    return `worker ${this.options.workerName} slot ${this.index}`;
  }
}
