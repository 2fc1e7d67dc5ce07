import { ERROR_ATTACHMENT, TIMEOUT_ATTACHMENT, type Clock, type ClockTimer, type ProcessStart } from '@baton/protocol';
import type { Attachment, TestResult, Timestamp } from '@baton/subunit';
import type { AdapterContext, AdapterEvent, AdapterFactory, TestAdapter } from './adapter.js';
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
  /** The slot continues on a process beyond its first (one `stats` counts), from now on. */
  processStarted(start: ProcessStart): void;
  /** Every test of the Run with this nonce has a result or was cancelled. */
  done(nonce: string): void;
}

/** Test server processes a slot started beyond its first: see `ProcessCounts`. */
export interface SlotStats {
  /** Started because the next tests lay at or before, in discovery order, what the process had been given. */
  fresh: number;
  /** Started to replace one that died or was killed. */
  restarts: number;
}

/** Why a slot started the adapter it has (or will start the next one): its first, or what it counts as. */
type StartReason = 'first' | keyof SlotStats;

export interface SlotOptions {
  readonly index: number;
  readonly factory: AdapterFactory;
  /** Each listed test's position in discovery order (the adapter's `list()`). */
  readonly order: ReadonlyMap<string, number>;
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
  /**
   * Tests without a result and not cancelled, in discovery order (ids the list does not
   * know last, in the order given; a Set keeps insertion order).
   */
  readonly remaining: Set<string>;
  readonly timeout: number | undefined;
  /** It goes to a process that has run nothing before (a retry): `behind` any that has. */
  readonly fresh: boolean;
  /**
   * The batch that holds it, once handed to a session's adapter: found here rather than by
   * searching the session's batches, which a pipelined slot may hold by the hundred.
   */
  handed?: { readonly session: Session; readonly attempt: Attempt };
}

interface Running {
  readonly start: number;
  /** Its timeout's watchdog, if the job has a timeout. */
  readonly watchdog: ClockTimer | undefined;
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
 * long-lived test server, or a command per batch), each Run in discovery order. An
 * adapter's process only ever moves forward in discovery order: a Run that starts at or
 * before what the process was given waits for it to finish what it holds and close
 * (tearing its fixtures down), and goes to a fresh adapter. It enforces per-test timeouts
 * by killing the adapter, turns an adapter's death into failures of the tests it was
 * running, and starts a fresh adapter for the tests that remain. See AGENTS.md.
 */
export class Slot {
  readonly index: number;
  /** Adapters started beyond the first: what `WorkerServer.stats` adds up. */
  readonly stats: SlotStats = { fresh: 0, restarts: 0 };
  private readonly options: SlotOptions;
  private readonly maxFailedStarts: number;
  private readonly jobs: Job[] = [];
  private adapter: TestAdapter | undefined;
  /**
   * The next adapter while it starts: the first one (the worker waits only for slot 0's,
   * WorkerServer.start), or a fresh one asked for while the current one still finishes
   * what it holds, so that its start costs no time.
   */
  private starting: Promise<TestAdapter> | undefined;
  /**
   * Every adapter asked for and not taken up as `adapter` yet (`starting`, or the one the
   * loop awaits): `close` waits for each to start and closes it, so that no test server is
   * left to be killed by the end of its fork server, or orphaned, for having been slow to start.
   */
  private readonly unclaimed = new Set<Promise<TestAdapter>>();
  /** Why the next adapter starts; and why the current one did, until it is given its first batch. */
  private nextReason: StartReason = 'first';
  private uncounted: StartReason | undefined;
  /** When each adapter this slot started was asked for and became ready (`ProcessStart`). */
  private readonly startTimes = new WeakMap<TestAdapter, { readonly askedMs: number; readonly readyMs: number }>();
  /** Whether the current adapter was given any test: one that was not holds no fixture. */
  private used = false;
  /**
   * The highest discovery position handed to the current adapter and not taken back, and
   * the highest it started or finished: nothing at or before `position` goes to it again.
   */
  private position = -1;
  private reached = -1;
  /** A retired adapter closing; `close` waits for it. */
  private retiring: Promise<void> = Promise.resolve();
  /** Counts coordinators: a retired adapter's late results count only for the one it served. */
  private epoch = 0;
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
    if (adapter instanceof Promise) this.starting = this.claimLater(adapter);
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

  /**
   * Queues a Run's tests, in discovery order, behind what the slot already holds; `fresh`:
   * on a process that has run nothing before.
   */
  enqueue(nonce: string, tests: readonly string[], timeout: number | undefined, fresh = false): void {
    const job: Job = { nonce, remaining: new Set(inDiscoveryOrder(tests, this.options.order)), timeout, fresh };
    if (job.remaining.size === 0) {
      this.options.sink.done(nonce);
      return;
    }
    this.jobs.push(job);
    this.handMore();
    void this.loop();
  }

  /**
   * Takes back the slices of tests (scheduling units) this slot holds whole and none of
   * whose tests started; resolves with exactly the tests that never will run. A slice the
   * slot holds only part of (a test finished, or is held elsewhere) stays.
   */
  cancel(slices: readonly (readonly string[])[]): Promise<string[]> {
    this.cancels++;
    const work = this.takeBack(slices).finally(() => {
      this.cancels--;
      this.handMore();
    });
    // Nothing is handed out while a Cancel is in flight, so that a test being cancelled
    // is never handed to a fresh adapter meanwhile, after the one asked died.
    this.cancelling = Promise.all([this.cancelling, work.catch(() => undefined)]);
    return work;
  }

  /**
   * The coordinator is gone: drops every queued test, kills the adapter if it runs a
   * batch, and retires it otherwise (if it ran anything), so that the next coordinator's
   * tests start in fresh processes. Nothing the old adapter still sends is forwarded.
   */
  abandon(): void {
    this.epoch++;
    this.drop();
    if (this.used) this.retire('first', false);
  }

  /**
   * The coordinator said goodbye: drops what is still queued, and closes an adapter that
   * ran anything, so that it tears down the class and module fixtures it holds open; the
   * results that brings (a failed `tearDownClass`) are forwarded. Resolves once the
   * adapter's process is gone.
   */
  async farewell(): Promise<void> {
    // A goodbye usually comes as the last result arrives, before the adapter's Done: a
    // batch with nothing left to run is let end, not killed, or its fixtures would never
    // be torn down.
    this.drop(this.jobs.some((job) => job.remaining.size > 0));
    if (this.used) this.retire('first', true);
    await this.retiring;
  }

  /** Abandons everything and stops every adapter cleanly, those still starting included. */
  async close(): Promise<void> {
    this.closed = true;
    this.abandon();
    const adapter = this.adapter;
    const unclaimed = [...this.unclaimed];
    this.adapter = undefined;
    this.starting = undefined;
    this.unclaimed.clear();
    await Promise.all([this.retiring, adapter?.close(), ...unclaimed.map((starting) => starting.then((a) => a.close(), () => undefined))]);
  }

  /** Drops every queued test; kills the adapter if it runs a batch (and `kill`). */
  private drop(kill = true): void {
    for (const job of this.jobs) job.remaining.clear();
    this.jobs.length = 0;
    if (this.session && kill) {
      this.session.abandoned = true;
      this.killAdapter('first');
    }
  }

  /**
   * Closes the current adapter cleanly (its test server tears its fixtures down), its late
   * results forwarded if `forward` and the coordinator is still the same; the next
   * adapter starts for `next`.
   */
  private retire(next: StartReason, forward: boolean): Promise<void> {
    const adapter = this.adapter;
    if (adapter === undefined) return this.retiring;
    this.forget(next);
    const epoch = this.epoch;
    const late = (result: TestResult): void => {
      if (forward && epoch === this.epoch) this.options.sink.finished(this.index, result);
    };
    const closing = adapter.close(late).catch((error: unknown) => this.options.log(`slot ${this.index}: closing its adapter: ${reason(error)}`));
    this.retiring = Promise.all([this.retiring, closing]).then(() => undefined);
    return this.retiring;
  }

  /** The current adapter is gone: the next one starts for `next`, at the start of discovery order. */
  private forget(next: StartReason): void {
    this.adapter = undefined;
    this.nextReason = next;
    this.uncounted = undefined;
    this.used = false;
    this.position = -1;
    this.reached = -1;
  }

  private async takeBack(slices: readonly (readonly string[])[]): Promise<string[]> {
    const taken: string[] = [];
    const session = this.session;
    const live = session !== undefined && session.adapter === this.adapter;
    // Slices whose handed tests only the adapter can take back; their queued tests wait for its answer.
    const asked: { readonly handed: Map<string, Job>; readonly queued: Map<string, Job> }[] = [];
    for (const slice of slices) {
      const handed = new Map<string, Job>();
      const queued = new Map<string, Job>();
      let whole = true;
      for (const id of slice) {
        const job = this.jobs.find((j) => j.remaining.has(id));
        const attempt = job?.handed?.session === session ? job?.handed?.attempt : undefined;
        if (job === undefined) {
          whole = false;
        } else if (!attempt?.handed.has(id)) {
          queued.set(id, job);
        } else if (attempt.running.has(id) || !live) {
          // A dead adapter cancels nothing: its tests stay queued and run on the next one.
          whole = false;
        } else {
          handed.set(id, job);
        }
      }
      if (!whole || (handed.size === 0 && queued.size === 0)) continue;
      if (handed.size > 0) asked.push({ handed, queued });
      else taken.push(...takeFrom(queued));
    }
    if (asked.length > 0) {
      const ids = asked.flatMap((a) => [...a.handed.keys()]);
      const confirmed = new Set(await session!.adapter.cancel(ids, asked.map((a) => a.handed.size)).catch(() => []));
      for (const { handed, queued } of asked) {
        const gone = [...handed.keys()].filter((id) => confirmed.has(id));
        if (gone.length === handed.size) {
          taken.push(...takeFrom(handed), ...takeFrom(queued));
        } else if (gone.length > 0) {
          // A server that ignores Cancel.groups took back part of a unit: those tests will
          // never run there, so they must be answered; the rest of the unit runs.
          this.options.log(`slot ${this.index}: its test server took back part of a unit (${gone.join(', ')}), not all of it: the server does not honour Cancel.groups`);
          taken.push(...takeFrom(new Map(gone.map((id) => [id, handed.get(id)!]))));
        }
      }
      this.recomputePosition();
    }
    this.settle();
    return taken;
  }

  /** After a Cancel took handed tests back: the adapter's position is what it still holds or reached. */
  private recomputePosition(): void {
    let position = this.reached;
    for (const attempt of this.session?.attempts ?? []) {
      for (const id of attempt.handed) if (attempt.job.remaining.has(id)) position = Math.max(position, this.options.order.get(id) ?? -1);
    }
    this.position = position;
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
        if (this.adapter !== undefined && this.behind(this.adapter, this.jobs[0]!)) {
          // The process finished what it held: it tears its fixtures down and exits
          // before the next one (started meanwhile) takes over.
          this.starting ??= this.prefetch();
          await this.retire('fresh', true);
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
            this.fail(id, ERROR_ATTACHMENT, `${this.where()} finished its batch without a result for ${id}; the test was not run`, undefined);
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
      if (this.behind(session.adapter, job)) {
        // This job and those after it wait for a fresh adapter (loop): start it now.
        this.starting ??= this.prefetch();
        return;
      }
      const handed = new Set(job.remaining);
      for (const id of handed) this.position = Math.max(this.position, this.options.order.get(id) ?? -1);
      this.used = true;
      if (this.uncounted !== undefined && this.uncounted !== 'first') this.counted(session.adapter, this.uncounted);
      this.uncounted = undefined;
      const events = session.adapter.run([...handed], job.timeout === undefined ? {} : { timeout: job.timeout });
      const attempt: Attempt = { job, handed, events, running: new Map() };
      session.attempts.push(attempt);
      job.handed = { session, attempt };
    }
  }

  /**
   * Whether `job` starts at or before what `adapter`'s process was given, in discovery
   * order, or must run on a process that has run nothing and this one has: then it goes
   * to a fresh process. A process per batch is always fresh.
   */
  private behind(adapter: TestAdapter, job: Job): boolean {
    if (adapter.processPerBatch === true) return false;
    if (job.fresh && this.used) return true;
    // Sorted: the first test is the lowest, unless the list knows none of them.
    const first = job.remaining.values().next().value;
    const lowest = first === undefined ? undefined : this.options.order.get(first);
    return lowest !== undefined && lowest <= this.position;
  }

  /** `adapter`, started for `reason`, takes its first tests: counted, and told with what its start cost. */
  private counted(adapter: TestAdapter, reason: keyof SlotStats): void {
    this.stats[reason]++;
    const fromMs = this.options.clock.now();
    const times = this.startTimes.get(adapter) ?? { askedMs: fromMs, readyMs: fromMs };
    this.options.sink.processStarted({ slot: this.index, cause: reason === 'fresh' ? 'fresh' : 'restart', ...times, fromMs });
  }

  /** Starts the next adapter ahead of time; its failure is the loop's to report, when it gets there. */
  private prefetch(): Promise<TestAdapter> {
    const clock = this.options.clock;
    const askedMs = clock.now();
    return this.claimLater(
      this.options.factory(Slot.context(this.index, this.options.sink, this.options.log)).then((adapter) => {
        this.startTimes.set(adapter, { askedMs, readyMs: clock.now() });
        return adapter;
      }),
    );
  }

  /** Keeps a starting adapter among the unclaimed until the loop takes it up (or it fails). */
  private claimLater(starting: Promise<TestAdapter>): Promise<TestAdapter> {
    this.unclaimed.add(starting);
    starting.catch(() => this.unclaimed.delete(starting));
    return starting;
  }

  /** Reads a batch's events until they end; resolves with the error that ended them, if any. */
  private async consume(session: Session, attempt: Attempt): Promise<unknown> {
    try {
      for await (const event of attempt.events) {
        if (session.timedOut !== undefined || session.abandoned) continue;
        if (event.type === 'start') this.onStart(session, attempt, event.id, event.timestamp);
        else this.onResult(session, attempt, event.result);
      }
      return undefined;
    } catch (error) {
      return error;
    } finally {
      for (const running of attempt.running.values()) running.watchdog?.cancel();
    }
  }

  /**
   * The adapter died, or was killed for a timeout, while the oldest batch of `session`
   * ran: the tests it was running are the casualties. The later batches end with it, and
   * what they hold stays queued for a fresh adapter, in order.
   */
  private async afterDeath(session: Session, failure: unknown): Promise<void> {
    if (this.adapter === session.adapter) this.killAdapter('restarts');
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
        this.fail(id, TIMEOUT_ATTACHMENT, `${id} timed out after ${timedOut.seconds} s on ${this.where()}; its test process was killed and replaced`, running.start);
      } else {
        this.fail(id, ERROR_ATTACHMENT, `${this.where()} lost its test process while running ${id}: ${reason(failure)}`, running.start);
      }
    }
    return attempt.running.size;
  }

  private onStart(session: Session, attempt: Attempt, id: string, timestamp: Timestamp | undefined): void {
    this.failedStarts = 0;
    this.reach(session, id);
    const timeout = attempt.job.timeout;
    const watchdog = timeout === undefined ? undefined : this.options.clock.setTimeout(() => this.timeOut(session, attempt, id, timeout), timeout * 1000);
    attempt.running.set(id, { start: this.options.clock.now(), watchdog });
    this.options.sink.started(this.index, id, timestamp);
  }

  private onResult(session: Session, attempt: Attempt, result: TestResult): void {
    this.reach(session, result.id);
    attempt.running.get(result.id)?.watchdog?.cancel();
    attempt.running.delete(result.id);
    // Ids outside the batch (a class fixture's error holder) are reported as they come.
    if (attempt.job.remaining.delete(result.id) || !attempt.handed.has(result.id)) this.options.sink.finished(this.index, result);
  }

  /** The adapter of `session` took `id` up: a Cancel can no longer move its position back past it. */
  private reach(session: Session, id: string): void {
    const position = this.options.order.get(id);
    if (position !== undefined && session.adapter === this.adapter) this.reached = Math.max(this.reached, position);
  }

  private timeOut(session: Session, attempt: Attempt, id: string, seconds: number): void {
    if (this.session !== session || session.timedOut !== undefined || !attempt.running.has(id)) return;
    session.timedOut = { id, seconds };
    this.options.log(`slot ${this.index}: ${id} ran past its timeout of ${seconds} s; killing its test server`);
    this.killAdapter('restarts');
  }

  private async ensureAdapter(): Promise<TestAdapter | undefined> {
    if (this.adapter !== undefined) return this.adapter;
    const starting = this.starting ?? this.prefetch();
    this.starting = undefined;
    let adapter: TestAdapter;
    try {
      // A first adapter that fails to start counts as any failed start (startFailed).
      adapter = await starting;
    } catch (error) {
      this.startFailed((error as Error).message);
      return undefined;
    }
    // Closed meanwhile: `close` took it among the unclaimed, and closes it.
    if (this.closed) return undefined;
    this.unclaimed.delete(starting);
    this.adapter = adapter;
    this.uncounted = this.nextReason;
    return adapter;
  }

  private startFailed(reason: string): void {
    this.failedStarts++;
    this.options.log(`slot ${this.index}: ${reason}`);
    if (this.failedStarts < this.maxFailedStarts) return;
    this.failedStarts = 0;
    const text = `${this.where()} gave up after ${this.maxFailedStarts} failed starts of its adapter in a row: ${reason}`;
    for (const job of this.jobs) {
      for (const id of job.remaining) this.fail(id, ERROR_ATTACHMENT, text, undefined);
      job.remaining.clear();
    }
  }

  private fail(id: string, name: string, text: string, start: number | undefined): void {
    this.options.sink.finished(this.index, workerFailure(id, name, text, start, this.options.clock.now()));
  }

  private killAdapter(next: StartReason): void {
    const adapter = this.adapter;
    if (adapter === undefined) return;
    this.forget(next);
    adapter.kill();
  }

  private where(): string {
    return `worker ${this.options.workerName} slot ${this.index}`;
  }
}

/**
 * `tests` in discovery order: the ones `order` knows by their position, then the others
 * in the order given (they fail as unknown anyway).
 */
function inDiscoveryOrder(tests: readonly string[], order: ReadonlyMap<string, number>): string[] {
  const known = tests.filter((id) => order.has(id));
  known.sort((a, b) => order.get(a)! - order.get(b)!);
  return known.length === tests.length ? known : [...known, ...tests.filter((id) => !order.has(id))];
}

/** Removes the tests of `held` from their jobs; returns those still there (a Cancel at the same time may have taken some). */
function takeFrom(held: ReadonlyMap<string, Job>): string[] {
  return [...held].filter(([id, job]) => job.remaining.delete(id)).map(([id]) => id);
}

/** What an adapter's death is told as. */
function reason(failure: unknown): string {
  return failure instanceof Error ? failure.message : String(failure);
}
