import type { Attachment, TestResult, Timestamp } from '@baton/subunit';
import type { AdapterContext, AdapterEvent, AdapterFactory, TestAdapter } from './adapter.js';
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
  /**
   * The batch that holds it, once handed to a session's adapter: found here rather than by
   * searching the session's batches, which a pipelined slot may hold by the hundred.
   */
  handed?: { readonly session: Session; readonly attempt: Attempt };
}

interface Running {
  readonly start: number;
  readonly disarm: () => void;
}

/** One batch handed to the adapter: the remaining tests of one job, and the events of their run. */
interface Attempt {
  readonly job: Job;
  readonly handed: ReadonlySet<string>;
  readonly events: AsyncIterable<AdapterEvent>;
  /** Tests started without a result. */
  readonly running: Map<string, Running>;
}

/**
 * The batches handed to one adapter and not over, oldest first. The adapter runs them in
 * that order and the slot reads their events in that order, so the oldest is the one
 * running. It ends when none is left, or with its adapter's death: what the batches held
 * and did not finish goes to a fresh adapter, in a new session.
 */
interface Session {
  readonly adapter: TestAdapter;
  readonly attempts: Attempt[];
  /** The slot killed the adapter for this test: no later event counts. */
  timedOut: { readonly id: string; readonly seconds: number } | undefined;
  /** The coordinator is gone: no later event counts. */
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
  /** The first adapter while it starts: the worker waits only for slot 0's (WorkerServer.start). */
  private starting: Promise<TestAdapter> | undefined;
  private session: Session | undefined;
  /** Cancels in flight; `cancelling` settles once every one started so far has. */
  private cancels = 0;
  private cancelling: Promise<unknown> = Promise.resolve();
  private looping = false;
  private closed = false;
  private failedStarts = 0;

  constructor(options: SlotOptions, adapter?: TestAdapter | Promise<TestAdapter>) {
    this.options = options;
    this.index = options.index;
    this.maxFailedStarts = options.maxFailedStarts ?? MAX_FAILED_STARTS;
    if (adapter instanceof Promise) this.starting = adapter;
    else this.adapter = adapter;
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
    this.handMore();
    void this.loop();
  }

  /** Takes back the tests of `ids` that have not started; resolves with exactly those that never will. */
  cancel(ids: ReadonlySet<string>): Promise<string[]> {
    this.cancels++;
    const work = this.takeBack(ids).finally(() => {
      this.cancels--;
      this.handMore();
    });
    // Nothing is handed out while a Cancel is in flight, so that a test being cancelled
    // is never handed to a fresh adapter meanwhile, after the one asked died.
    this.cancelling = Promise.all([this.cancelling, work.catch(() => undefined)]);
    return work;
  }

  /** Drops every queued test and kills the adapter if it runs a batch: the coordinator is gone. */
  abandon(): void {
    for (const job of this.jobs) job.remaining.clear();
    this.jobs.length = 0;
    if (this.session) {
      this.session.abandoned = true;
      this.killAdapter();
    }
  }

  /** Abandons everything and stops the adapter cleanly. */
  async close(): Promise<void> {
    this.closed = true;
    this.abandon();
    const adapter = this.adapter;
    const starting = this.starting;
    this.adapter = undefined;
    this.starting = undefined;
    await adapter?.close();
    await (await starting?.catch(() => undefined))?.close();
  }

  private async takeBack(ids: ReadonlySet<string>): Promise<string[]> {
    const taken: string[] = [];
    const session = this.session;
    // Handed tests that have not started, with their jobs: only the adapter can take them back.
    const asked = new Map<string, Job>();
    for (const job of this.jobs) {
      const attempt = session !== undefined && job.handed?.session === session ? job.handed.attempt : undefined;
      for (const id of job.remaining) {
        if (!ids.has(id)) continue;
        if (attempt?.handed.has(id)) {
          if (!attempt.running.has(id)) asked.set(id, job);
        } else {
          job.remaining.delete(id);
          taken.push(id);
        }
      }
    }
    if (session !== undefined && session.adapter === this.adapter && asked.size > 0) {
      // A dead adapter cancels nothing; its tests stay queued and run on the next one.
      const confirmed = await session.adapter.cancel([...asked.keys()]).catch(() => []);
      for (const id of confirmed) if (asked.get(id)?.remaining.delete(id)) taken.push(id);
    }
    this.settle();
    return taken;
  }

  /**
   * Says Done for the jobs that have nothing left, but for the one whose batch runs: its
   * Done waits for the batch's end, which may yet bring a class fixture's error holder.
   * A job handed to a pipelined adapter and cancelled whole is done at once.
   */
  private settle(): void {
    const running = this.session?.attempts[0]?.job;
    const over: Job[] = [];
    let kept = 0;
    for (const job of this.jobs) {
      if (job.remaining.size === 0 && job !== running) over.push(job);
      else this.jobs[kept++] = job;
    }
    this.jobs.length = kept;
    for (const job of over) this.options.sink.done(job.nonce);
  }

  private async loop(): Promise<void> {
    if (this.looping) return;
    this.looping = true;
    try {
      for (;;) {
        this.settle();
        if (this.closed || this.jobs.length === 0) return;
        if (this.cancels > 0) {
          await this.cancelling;
          continue;
        }
        const adapter = await this.ensureAdapter();
        if (adapter !== undefined) await this.serve(adapter);
      }
    } catch (error) {
      this.options.log(`slot ${this.index}: ${(error as Error).stack ?? String(error)}`);
    } finally {
      this.looping = false;
    }
  }

  /** Hands `adapter` what is queued, and reads the events of its batches until none is left or it died. */
  private async serve(adapter: TestAdapter): Promise<void> {
    const session: Session = { adapter, attempts: [], timedOut: undefined, abandoned: false };
    this.session = session;
    try {
      this.handMore();
      while (session.attempts.length > 0) {
        const attempt = session.attempts[0]!;
        const failure = await this.consume(session, attempt);
        if (session.abandoned) return;
        if (failure !== undefined || session.timedOut !== undefined) {
          await this.afterDeath(session, failure);
          return;
        }
        const unreported = [...attempt.handed].filter((id) => attempt.job.remaining.has(id));
        if (unreported.length > 0) {
          // A Cancel in flight may yet confirm some of them as taken back.
          await this.cancelling;
          for (const id of unreported) {
            if (!attempt.job.remaining.delete(id)) continue;
            this.fail(id, 'baton-error', `${this.where()} finished its batch without a result for ${id}; the test was not run`, undefined);
          }
        }
        session.attempts.shift();
        this.settle();
        this.handMore();
      }
    } finally {
      this.session = undefined;
    }
  }

  /**
   * Hands the adapter of the session the queued jobs it does not hold yet, in order. A
   * pipelined adapter gets all of them at once, so that it goes from one batch to the
   * next without a round trip through this slot: the coordinator already keeps a slot
   * only about a round trip of work ahead (the scheduler's prefetch), and holding some of
   * that back here would bring the gap back wherever the batches ahead are shorter than
   * the round trip, as the last, small ones of a run are. The cost is that Cancel asks the
   * adapter for handed tests instead of taking them from the queue here. Any other adapter
   * gets one batch at a time.
   */
  private handMore(): void {
    const session = this.session;
    if (session === undefined || session.abandoned || session.adapter !== this.adapter || this.cancels > 0) return;
    for (const job of this.jobs) {
      if (session.attempts.length > 0 && session.adapter.pipelined !== true) return;
      if (job.remaining.size === 0 || job.handed?.session === session) continue;
      const handed = new Set(job.remaining);
      const events = session.adapter.run([...handed], job.timeout === undefined ? {} : { timeout: job.timeout });
      const attempt: Attempt = { job, handed, events, running: new Map() };
      session.attempts.push(attempt);
      job.handed = { session, attempt };
    }
  }

  /** Reads a batch's events until they end; resolves with the error that ended them, if any. */
  private async consume(session: Session, attempt: Attempt): Promise<unknown> {
    try {
      for await (const event of attempt.events) {
        if (session.timedOut !== undefined || session.abandoned) continue;
        if (event.type === 'start') this.onStart(session, attempt, event.id, event.timestamp);
        else this.onResult(attempt, event.result);
      }
      return undefined;
    } catch (error) {
      return error;
    } finally {
      for (const running of attempt.running.values()) running.disarm();
    }
  }

  /**
   * The adapter died, or was killed for a timeout, while the oldest batch of `session`
   * ran: the tests it was running are the casualties. The later batches end with it, and
   * what they hold stays queued for a fresh adapter, in order.
   */
  private async afterDeath(session: Session, failure: unknown): Promise<void> {
    if (this.adapter === session.adapter) this.killAdapter();
    const [oldest, ...later] = session.attempts;
    let casualties = this.bury(session, oldest!, failure);
    for (const attempt of later) {
      // Results a batch got before the death still count.
      const error = await this.consume(session, attempt);
      if (session.abandoned) return;
      casualties += this.bury(session, attempt, error ?? failure);
    }
    if (casualties === 0 && session.timedOut === undefined) this.startFailed(`the adapter died before any test started: ${reason(failure)}`);
  }

  /** Fails the tests `attempt` was running when its adapter died; returns how many it was running. */
  private bury(session: Session, attempt: Attempt, failure: unknown): number {
    const timedOut = session.timedOut;
    for (const [id, running] of attempt.running) {
      if (!attempt.job.remaining.delete(id)) continue;
      if (timedOut?.id === id) {
        this.fail(id, 'baton-timeout', `${id} timed out after ${timedOut.seconds} s on ${this.where()}; its test process was killed and replaced`, running.start);
      } else {
        this.fail(id, 'baton-error', `${this.where()} lost its test process while running ${id}: ${reason(failure)}`, running.start);
      }
    }
    return attempt.running.size;
  }

  private onStart(session: Session, attempt: Attempt, id: string, timestamp: Timestamp | undefined): void {
    this.failedStarts = 0;
    const timeout = attempt.job.timeout;
    const disarm =
      timeout === undefined ? () => undefined : this.options.clock.setTimeout(() => this.timeOut(session, attempt, id, timeout), timeout * 1000);
    attempt.running.set(id, { start: this.options.clock.now(), disarm });
    this.options.sink.started(this.index, id, timestamp);
  }

  private onResult(attempt: Attempt, result: TestResult): void {
    attempt.running.get(result.id)?.disarm();
    attempt.running.delete(result.id);
    // Ids outside the batch (a class fixture's error holder) are reported as they come.
    if (attempt.job.remaining.delete(result.id) || !attempt.handed.has(result.id)) this.options.sink.finished(this.index, result);
  }

  private timeOut(session: Session, attempt: Attempt, id: string, seconds: number): void {
    if (this.session !== session || session.timedOut !== undefined || !attempt.running.has(id)) return;
    session.timedOut = { id, seconds };
    this.options.log(`slot ${this.index}: ${id} ran past its timeout of ${seconds} s; killing its test server`);
    this.killAdapter();
  }

  private async ensureAdapter(): Promise<TestAdapter | undefined> {
    if (this.adapter !== undefined) return this.adapter;
    const starting = this.starting;
    this.starting = undefined;
    let adapter: TestAdapter;
    try {
      // A first adapter that fails to start counts as any failed start (startFailed).
      adapter = await (starting ?? this.options.factory(Slot.context(this.index, this.options.sink, this.options.log)));
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

/** What an adapter's death is told as. */
function reason(failure: unknown): string {
  return failure instanceof Error ? failure.message : String(failure);
}
