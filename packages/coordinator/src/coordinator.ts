import { TestServerClient, WORKER_LEAVING, systemClock, type ClientHooks, type Clock, type ProcessStart, type Transport, type TestServerClientOptions, type WorkerLink } from '@baton/protocol';
import { Scheduler, type Command, type DispatchedUnit, type SchedulerEvent, type Segment } from '@baton/scheduler';
import type { RunRepository, StoredRun, RunWriter } from '@baton/store';
import { TEXT_MIME_TYPE, durationOf, timestampFromMillis, timestampToMillis, type TestResult } from '@baton/subunit';
import { CoordinatorError, type CoordinatorErrorCode } from './errors.js';
import type { Reporter, RunEvent, RunResult, RunStats, RunSummary } from './events.js';
import { RunLedger } from './ledger.js';
import { ReporterGuard } from './reporting.js';
import { LOST_ATTACHMENT, infrastructureOf, toResultInput } from './results.js';
import { ResultWriter } from './writer.js';
import { batchTimeout, type TimeoutPolicy } from './timeouts.js';

/** How often the scheduler is given a chance to rebalance when nothing else happens. */
export const TICK_MS = 100;
/**
 * Ticks in a row with tests left but nothing running, in flight or starting, after which
 * the run is stuck: it fails with exit status 3 and a dump rather than waiting for ever.
 */
export const STALL_TICKS = 5;
/** How long the end of a run waits for its workers to stop their test servers (and report fixture teardowns). */
export const GOODBYE_WAIT_MS = 10_000;

export interface CoordinatorOptions {
  /** The selected tests, grouped into segments and units (the scheduler's `resolvePlan`). */
  readonly segments: readonly Segment[];
  readonly repository: RunRepository;
  /** The profile results and timings belong to. */
  readonly profile: string;
  /** What the run tells every event, in order, through a guard (see ReporterGuard). */
  readonly reporters: readonly Reporter[];
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default no timeout */
  readonly timeout?: TimeoutPolicy;
  /**
   * How often a test whose attempt failed (status `fail`, a timeout or a crash of its test
   * server included, or `uxsuccess`) is tried again, as the run goes on: each time on a
   * fresh test server process, on another slot whenever one is ready. Its last attempt is
   * its result; the failed ones are recorded as the run's attempts. A test lost with its
   * worker is not tried again. @default 0
   */
  readonly retries?: number;
  /** A test that passed only when tried again fails the run (exit status 1), rather than counting as a pass. @default false */
  readonly flakyFails?: boolean;
  /**
   * `testListDigest` of the tests this checkout has: a worker announcing another digest
   * lists other tests (another commit checked out) and is refused.
   */
  readonly testListDigest?: string;
  /** The process recording the run, stored with it so that readers can tell it in progress from cut short. */
  readonly writer?: RunWriter;
  /** Worker hosts to wait for before dispatching anything. @default 1 */
  readonly minWorkers?: number;
  /**
   * Milliseconds to wait for `minWorkers`; when it passes, the run starts with the
   * workers it has, or ends (exit status 3) with none. @default wait for ever
   */
  readonly waitMs?: number;
  /** Worker slots expected in all (`-j N`), so the first to join get a fair share only. */
  readonly expectedSlots?: number;
  /**
   * Every slot runs on this machine (`baton run -j N` alone): the scheduler is told they
   * are equally fast, so it does not hold long tests back to measure who is fastest.
   */
  readonly oneMachine?: boolean;
  /**
   * Every test id in discovery order (the workers' list): each test process runs its
   * tests in this order. @default the order of `segments`
   */
  readonly discovery?: readonly string[];
  /** Digests the run is stored with. */
  readonly selectionDigest?: string;
  /** Plans the lanes in an order shuffled with this seed (`baton run --random`; see the scheduler's `seed`). */
  readonly seed?: number;
  /** Record into this earlier run rather than a new one (`baton run --combine`; see the store's `RunStart.into`). */
  readonly into?: number;
  readonly planDigest?: string;
  /** Where protocol-level complaints and failed reporters go. @default console.warn */
  readonly log?: (line: string) => void;
  /** Options for the client side of each worker channel (heartbeat, Hello timeout). */
  readonly channel?: Omit<TestServerClientOptions, 'onTestStart' | 'onOutput' | 'log'>;
}

/** Why a worker's slot died, for the Lost result of its running test. */
interface Death {
  readonly reason: string;
  /**
   * The test recorded as running only because the worker died before it reported a
   * start: the next one it had been sent, the likeliest to have killed it.
   */
  readonly presumed?: string | undefined;
}

/**
 * Where a worker host is: admitted and `waiting` for dispatch to begin (`--min-workers`),
 * `working`, `leaving` (it announced it goes: it finishes what it runs and takes nothing
 * new), or `gone` (its link ended, or the run said goodbye to it).
 */
const HostState = { Waiting: 'waiting', Working: 'working', Leaving: 'leaving', Gone: 'gone' } as const;
type HostState = (typeof HostState)[keyof typeof HostState];

/** A connected worker host and its slots (each slot is one scheduler worker). */
interface Host {
  readonly name: string;
  readonly link: WorkerLink;
  readonly slots: readonly string[];
  state: HostState;
}

/** A slot: which host it belongs to, its number there, its number in the whole run. */
interface Slot {
  readonly host: Host;
  readonly index: number;
  readonly global: number;
}

/**
 * The server side of a run. It accepts worker channels (a worker is a test server with
 * slots), feeds the scheduler their events and the clock, turns the scheduler's commands
 * into Run and Cancel messages, records every result exactly once (batched into the
 * repository) and tells reporters everything through `emit`.
 *
 * A test ends in exactly one recorded result: its own, a timeout or crash the worker
 * reports, or "lost" when its worker vanished while running it. Tests a lost worker had
 * not started go back to the queue.
 */
export class Coordinator {
  /** Settles when the run is over and recorded. */
  readonly finished: Promise<RunSummary>;
  private resolveFinished!: (summary: RunSummary) => void;

  private readonly options: CoordinatorOptions;
  private readonly clock: Clock;
  private scheduler: Scheduler;
  private readonly ledger: RunLedger;
  private readonly writer: ResultWriter;
  private readonly reporting: ReporterGuard;
  private readonly log: (line: string) => void;
  private readonly hosts = new Set<Host>();
  /** Every host by its link, kept after it is gone: results a worker sends as it stops still name their slot. */
  private readonly hostOf = new Map<WorkerLink, Host>();
  private readonly slots = new Map<string, Slot>();
  private readonly waiting: Host[] = [];
  private runId = -1;
  private startMs = 0;
  private dispatching = false;
  private ended = false;
  private nextGlobal = 0;
  private tick: { cancel(): void } | undefined;
  private deadline: { cancel(): void } | undefined;
  private infrastructureProblem: string | undefined;
  private readonly estimates: ReadonlyMap<string, number>;
  /** Runs sent and not Done, and Cancels not answered, per slot: what is in flight. */
  private readonly inFlight = new Map<string, number>();
  /** What each slot did last, for the dump of a stuck run. */
  private readonly lastDid = new Map<string, string>();
  /** Results of ids outside the selection (a class or module fixture's failure), by id: recorded once each. */
  private readonly extras = new Set<string>();
  private stuckTicks = 0;
  /** Slots of the hosts connected: what the ETA divides by (kept, not counted per event). */
  private connectedSlots = 0;
  /** Tests of the selection with history as the run began. */
  private readonly known: number;
  /** The run's end is being reported: a repository failure now is told, not summed up. */
  private reported = false;

  constructor(options: CoordinatorOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? ((line) => console.warn(line));
    const tests = options.segments.flatMap((s) => s.units.flat());
    this.estimates = options.repository.estimates(tests, options.profile).known;
    this.known = this.estimates.size;
    this.scheduler = this.newScheduler(options.expectedSlots);
    this.ledger = new RunLedger(tests, { history: this.estimates, estimateOf: (id) => this.scheduler.estimate(id) }, { flakyFails: options.flakyFails ?? false });
    this.writer = new ResultWriter(options.repository, this.clock, { onError: (error) => this.repositoryFailed(error) });
    this.reporting = new ReporterGuard(options.reporters, (problem) => this.reporterFailed(problem), this.clock);
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
  }

  private newScheduler(expectedWorkers: number | undefined): Scheduler {
    const o = this.options;
    return new Scheduler(o.segments, {
      estimates: this.estimates,
      ...(expectedWorkers === undefined ? {} : { expectedWorkers }),
      ...(o.discovery === undefined ? {} : { discovery: o.discovery }),
      ...(o.seed === undefined ? {} : { seed: o.seed }),
    });
  }

  /** Opens the run in the repository and starts waiting for workers. */
  start(): number {
    const o = this.options;
    this.startMs = this.clock.now();
    this.runId = o.repository.beginRun({
      profile: o.profile,
      start: timestampFromMillis(this.startMs),
      ...(o.selectionDigest === undefined ? {} : { selectionDigest: o.selectionDigest }),
      ...(o.planDigest === undefined ? {} : { planDigest: o.planDigest }),
      known: this.known,
      ...(o.writer === undefined ? {} : { writer: o.writer }),
      ...(o.into === undefined ? {} : { into: o.into }),
    });
    this.writer.open(this.runId);
    this.emit({
      type: 'runStarted',
      at: this.startMs,
      run: this.runId,
      profile: o.profile,
      total: this.ledger.total,
      estimatedWork: this.ledger.remainingWork,
      unknown: this.ledger.unknown,
      segments: o.segments.length,
    });
    this.tick = this.clock.setInterval(() => this.onTick(), TICK_MS);
    if (o.waitMs !== undefined) {
      this.deadline = this.clock.setTimeout(() => this.waitOver(), o.waitMs);
    }
    if (this.ledger.total === 0) this.handle({ type: 'tick' });
    return this.runId;
  }

  /**
   * Takes a worker's channel: does the handshake as the client and lets the worker in,
   * or refuses it. Resolves once the worker is in (or refused); rejects only if the
   * handshake itself failed.
   */
  async accept(transport: Transport): Promise<void> {
    const client = await TestServerClient.connect(transport, { ...this.options.channel, ...(this.options.log ? { log: this.options.log } : {}) });
    this.adopt(client);
  }

  /**
   * Takes a worker already connected, or linked in this process (`WorkerServer.link()`):
   * its callbacks now feed this run.
   */
  adopt(link: WorkerLink): void {
    link.setHooks(this.hooksFor(link));
    this.admit(link);
  }

  private hooksFor(link: WorkerLink): ClientHooks {
    return {
      onTestStart: (id) => this.started(id),
      onResult: (result) => this.resultArrived(link, result),
      onNotice: (code) => {
        if (code === WORKER_LEAVING) this.hostLeaving(link);
      },
      onProcessStart: (start) => this.processStarted(link, start),
      onOutput: (output) => {
        const slot = this.slotOfRoute(link, output.routeCode);
        this.emit({
          type: 'output',
          at: this.clock.now(),
          worker: slot ?? link.peer.name ?? 'worker',
          name: output.attachment.name,
          content: output.attachment.content,
        });
      },
    };
  }

  /**
   * A write to the repository failed (a full disk, say): the run cannot be recorded, so
   * it ends as an infrastructure failure; what was written before stays.
   */
  private repositoryFailed(error: unknown): void {
    const problem = error instanceof Error ? error.message : String(error);
    if (this.reported) this.log(`the end of run ${this.runId} could not be recorded: ${problem}`);
    this.infrastructureProblem ??= problem;
    this.abort(this.infrastructureProblem);
  }

  /**
   * A reporter failed (ReporterGuard dropped it): said at once, since it may have been
   * the one showing the run; the run goes on, is recorded, and ends with exit status 3.
   */
  private reporterFailed(problem: string): void {
    this.log(`${problem}; it gets no more events, and the run goes on, is recorded, and ends with exit status 3`);
    this.infrastructureProblem ??= problem;
  }

  private emit(event: RunEvent): void {
    this.reporting.emit(event);
  }

  /** Ends the run now: what has not run is recorded as not run, exit status 3. */
  abort(reason: string): void {
    if (this.ended) return;
    this.infrastructureProblem ??= reason;
    void this.end();
  }

  private admit(link: WorkerLink): void {
    const name = uniqueName(link.peer.name ?? 'worker', this.hosts);
    const refuse = (reason: string) => {
      this.emit({ type: 'workerRefused', at: this.clock.now(), worker: name, reason });
      link.refuse('BATON_COORDINATOR_REFUSED' satisfies CoordinatorErrorCode, reason);
    };
    if (this.ended) return refuse('the run is over');
    const expected = this.options.testListDigest;
    const digest = link.peer.digest;
    if (expected !== undefined && digest === undefined) {
      // Without it nothing says the worker would run the tests it is sent: a peer that
      // skips it is not a baton worker of this checkout (or one older than version 2).
      return refuse(`worker ${name} announced no test-list digest in its Hello: is it a baton worker (protocol version 2) of this checkout?`);
    }
    if (expected !== undefined && digest !== expected) {
      return refuse(
        `worker ${name} lists different tests than the coordinator (test-list digest ${digest?.slice(0, 12)} ≠ ${expected.slice(0, 12)}): is another commit checked out there?`,
      );
    }
    const slots = Array.from({ length: Math.max(1, link.slots) }, (_, i) => `${name}/${i}`);
    const host: Host = { name, link, slots, state: HostState.Waiting };
    this.hosts.add(host);
    this.connectedSlots += slots.length;
    this.hostOf.set(link, host);
    slots.forEach((id, index) => this.slots.set(id, { host, index, global: this.nextGlobal++ }));
    this.emit({ type: 'workerJoined', at: this.clock.now(), worker: name, slots: slots.length, version: link.version });
    // Results reach us synchronously, one by one (onResult), so by the time the worker's
    // end is known every result that arrived is recorded: no loss is double-counted.
    void link.ended.then((lost) => this.hostGone(host, lost));
    if (this.dispatching) {
      this.deadline?.cancel();
      this.join(host);
    } else {
      this.waiting.push(host);
      if (this.hosts.size >= (this.options.minWorkers ?? 1)) this.beginDispatch();
    }
  }

  private beginDispatch(): void {
    if (this.dispatching || this.ended) return;
    this.dispatching = true;
    this.deadline?.cancel();
    // A host that announced it leaves before the run began gets nothing.
    const hosts = this.waiting.splice(0).filter((h) => h.state === HostState.Waiting);
    // The work is planned in one lane per slot expected: the slots here now count,
    // and the scheduler has seen no event yet, so it can be made again for them.
    const slots = hosts.reduce((n, h) => n + h.slots.length, 0);
    if (slots > (this.options.expectedSlots ?? 1)) this.scheduler = this.newScheduler(slots);
    for (const host of hosts) this.join(host);
  }

  private waitOver(): void {
    if (this.dispatching || this.ended) return;
    if (this.hosts.size > 0) this.beginDispatch();
    else this.abort(`no worker connected within ${Math.round((this.options.waitMs ?? 0) / 1000)} s`);
  }

  private join(host: Host): void {
    host.state = HostState.Working;
    for (const slot of host.slots) this.handle({ type: 'workerJoined', worker: slot, ...(this.options.oneMachine === true ? { speed: 1 } : {}) });
  }

  private hostGone(host: Host, lostReason: string | undefined): void {
    if (host.state === HostState.Gone) return;
    const leaving = host.state === HostState.Leaving;
    host.state = HostState.Gone;
    if (this.hosts.delete(host)) this.connectedSlots -= host.slots.length;
    const waitingAt = this.waiting.indexOf(host);
    if (waitingAt >= 0) this.waiting.splice(waitingAt, 1);
    if (this.ended) return;
    const holding = host.slots.some((slot) => this.scheduler.holds(slot));
    this.emit({
      type: 'workerGone',
      at: this.clock.now(),
      worker: host.name,
      how: lostReason !== undefined && holding ? 'lost' : 'left',
      reason: leaving ? 'it left, as it had announced' : lostReason ?? 'it said goodbye',
    });
    if (waitingAt >= 0) return;
    for (const slot of host.slots) {
      // A worker can die before it reports the start of the test that killed it (a test
      // that crashes its machine). Its next test is then the likeliest culprit: recording
      // it as lost here, rather than requeueing it, keeps it from taking down another.
      const head = this.scheduler.nextTest(slot);
      const presumed = head !== undefined && this.scheduler.runningTest(slot) === undefined && !leaving ? head : undefined;
      if (presumed !== undefined) this.started(presumed);
      this.handle({ type: 'workerDied', worker: slot }, { reason: lostReason ?? 'it left', presumed });
    }
    if (this.hosts.size === 0 && !this.ended) this.noWorkersLeft();
  }

  /**
   * A worker said it is leaving (its machine is going away): it takes no new work, the
   * tests it has not started are taken back for others, and it finishes what it runs.
   */
  private hostLeaving(link: WorkerLink): void {
    const host = this.hostOf.get(link);
    if (host === undefined || host.state === HostState.Gone || host.state === HostState.Leaving) return;
    const waiting = host.state === HostState.Waiting;
    host.state = HostState.Leaving;
    if (waiting) return;
    for (const slot of host.slots) this.handle({ type: 'workerLeft', worker: slot });
  }

  /** Every worker is gone: wait for new ones as at the start, or give up if none can come. */
  private noWorkersLeft(): void {
    if (this.options.waitMs === undefined) {
      this.abort('every worker is gone');
      return;
    }
    this.deadline = this.clock.setTimeout(() => {
      if (this.hosts.size === 0) this.abort(`every worker is gone and none joined within ${Math.round(this.options.waitMs! / 1000)} s`);
    }, this.options.waitMs);
  }

  /**
   * Feeds the scheduler one event and carries out its commands. A scheduler that throws
   * (an event contradicting it: a bug on one side or the other) ends the run as an
   * infrastructure failure, never as an unhandled rejection.
   */
  private handle(event: SchedulerEvent, death?: Death): void {
    if (this.ended) return;
    let commands: Command[];
    try {
      commands = this.scheduler.handle(event, (this.clock.now() - this.startMs) / 1000);
    } catch (error) {
      this.abort(`internal error: the scheduler refused ${event.type}${'worker' in event ? ` from ${event.worker}` : ''}: ${(error as Error).message}`);
      return;
    }
    for (const command of commands) this.carryOut(command, death);
  }

  private onTick(): void {
    this.handle({ type: 'tick' });
    this.watchdog();
  }

  /**
   * A run never waits silently: when tests remain but nothing runs, nothing is in flight
   * to or from a worker, and workers are connected, the scheduler has had its ticks to
   * dispatch; if it still has not, the run fails (exit status 3) naming the stuck state.
   */
  private watchdog(): void {
    if (!this.dispatching || this.ended || this.scheduler.finished || this.hosts.size === 0) {
      this.stuckTicks = 0;
      return;
    }
    const running = this.ledger.stats(0, 0).running;
    let inFlight = 0;
    for (const n of this.inFlight.values()) inFlight += n;
    if (running > 0 || inFlight > 0) {
      this.stuckTicks = 0;
      return;
    }
    if (++this.stuckTicks < STALL_TICKS) return;
    const slots = [...this.slots.keys()].map((slot) => `${slot}: ${this.lastDid.get(slot) ?? 'nothing yet'}`);
    const notRun = this.ledger.notRun();
    this.abort(
      `the run stalled: ${notRun.length} tests have no result (${notRun.slice(0, 5).join(', ')}${notRun.length > 5 ? ', …' : ''}), yet no test runs and nothing is in flight; ` +
        `${this.scheduler.stall() ?? 'the scheduler holds them on workers that have nothing to run'}; slots: ${slots.join('; ')}`,
    );
  }

  private flight(slot: string, delta: number): void {
    this.inFlight.set(slot, (this.inFlight.get(slot) ?? 0) + delta);
  }

  private carryOut(command: Command, death: Death | undefined): void {
    switch (command.type) {
      case 'dispatch':
        return this.dispatch(command.worker, command.units);
      case 'reclaim':
        return this.reclaim(command.worker, command.units);
      case 'lost':
        return this.lost(command.worker, command.test, death?.reason ?? 'the worker was lost', death?.presumed === command.test);
      case 'finish':
        void this.end();
    }
  }

  private dispatch(worker: string, units: readonly DispatchedUnit[]): void {
    const slot = this.slots.get(worker);
    if (slot === undefined) throw new CoordinatorError('BATON_COORDINATOR_INTERNAL', `dispatch to unknown worker ${worker}`);
    // A unit for a fresh process (a retry) is a Run of its own; the others go together.
    const together = units.filter((u) => u.fresh !== true);
    if (together.length > 0) this.submit(slot, worker, together.flatMap((u) => u.tests), false);
    for (const unit of units) if (unit.fresh === true) this.submit(slot, worker, unit.tests, true);
  }

  private submit(slot: Slot, worker: string, tests: readonly string[], fresh: boolean): void {
    const timeout = batchTimeout(this.options.timeout ?? { kind: 'none' }, tests.map((id) => this.scheduler.estimate(id)));
    this.emit({ type: 'testsDispatched', at: this.clock.now(), worker, tests });
    this.lastDid.set(worker, `was sent ${tests.length} tests from ${tests[0]}${fresh ? ' for a fresh process' : ''}`);
    this.flight(worker, 1);
    // Results are taken in stream order through onResult. A Run that fails means the
    // worker is gone: hostGone turns that into a death.
    slot.host.link
      .submit(tests, { slot: slot.index, ...(timeout === undefined ? {} : { timeout }), ...(fresh && { fresh }) })
      .catch(() => {})
      .finally(() => this.flight(worker, -1));
  }

  private reclaim(worker: string, units: readonly DispatchedUnit[]): void {
    const slot = this.slots.get(worker);
    const tests = units.flatMap((u) => u.tests);
    if (slot === undefined || slot.host.state === HostState.Gone) return;
    this.lastDid.set(worker, `was asked back ${tests.length} tests from ${tests[0]}`);
    this.flight(worker, 1);
    // Each unit is taken back whole or not at all (a class whose first test started
    // stays with its worker).
    slot.host.link.cancel(tests, { groups: units.map((u) => u.tests.length) }).then(
      (released) => {
        this.flight(worker, -1);
        if (released.length > 0) this.emit({ type: 'testsReclaimed', at: this.clock.now(), worker, tests: released });
        this.handle({ type: 'testsReleased', worker, tests: released });
      },
      () => {
        this.flight(worker, -1);
        // A lost channel: the death, handled by hostGone, requeues what it held.
      },
    );
  }

  private started(id: string): void {
    const worker = this.scheduler.holderOf(id);
    if (worker === undefined || this.ledger.isDone(id)) return;
    this.ledger.start(id, this.clock.now());
    this.lastDid.set(worker, `started ${id}`);
    this.handle({ type: 'testStarted', worker, test: id });
    this.emit({ type: 'testStarted', at: this.clock.now(), worker, test: id, stats: this.stats() });
  }

  private resultArrived(link: WorkerLink, result: TestResult): void {
    if (!this.ledger.isSelected(result.id)) return this.extraArrived(link, result);
    const worker = this.scheduler.holderOf(result.id);
    if (worker === undefined || this.ledger.isDone(result.id)) {
      this.log(`ignored a result for ${result.id}, which ${this.ledger.isDone(result.id) ? 'already has one' : 'was not dispatched'}`);
      return;
    }
    this.lastDid.set(worker, `finished ${result.id}`);
    const slot = this.slots.get(worker)!;
    const duration = durationOf(result);
    const infrastructure = infrastructureOf(result.attachments);
    const draft: RunResult = { ...draftOf(result, worker, slot.global), ...(infrastructure ? { infrastructure } : {}) };
    const retry = this.triesAgain(draft);
    if (retry) this.retried(draft);
    else this.record(draft);
    this.handle({ type: 'testFinished', worker, test: result.id, duration: duration ?? 0, ...(retry && { retry }) });
  }

  /** Whether a test's attempt failed in a way worth another (`retries`), and it has one left. */
  private triesAgain(draft: RunResult): boolean {
    const retries = this.options.retries ?? 0;
    return retries > 0 && !this.ended && (draft.status === 'fail' || draft.status === 'uxsuccess') && this.ledger.attemptsOf(draft.id) < retries;
  }

  /** Records a failed attempt at a test that runs again, and tells the reporters. */
  private retried(draft: RunResult): void {
    const attempt = this.ledger.retry(draft);
    this.writer.add(toResultInput(attempt, true));
    this.lastDid.set(attempt.worker, `failed ${attempt.id} (attempt ${attempt.attempt}), which runs again`);
    const retriesLeft = (this.options.retries ?? 0) - (attempt.attempt ?? 1);
    this.emit({ type: 'testRetried', at: this.clock.now(), result: attempt, retriesLeft, stats: this.stats() });
  }

  /** A worker slot continues on a fresh test server process: told and recorded, for the timeline. */
  private processStarted(link: WorkerLink, start: ProcessStart): void {
    const host = this.hostOf.get(link);
    // The last Dones may come while the run ends (goodbye): they count until it is reported.
    if (host === undefined || this.reported) return;
    const worker = host.slots[start.slot] ?? host.name;
    const { cause, askedMs, readyMs, fromMs } = start;
    this.writer.addProcessStart({ worker, cause, asked: timestampFromMillis(askedMs), ready: timestampFromMillis(readyMs), from: timestampFromMillis(fromMs) });
    this.emit({ type: 'processStarted', at: this.clock.now(), worker, cause, askedMs, readyMs, fromMs });
  }

  /**
   * A result for an id the run did not select: a class or module fixture that failed
   * (`setUpClass (pkg.mod.Class)`), reported by the test process that ran it. It is a
   * result like any other (recorded, reported, and a failure fails the run), once per
   * id: another process failing the same fixture adds nothing new.
   */
  private extraArrived(link: WorkerLink, result: TestResult): void {
    if (this.extras.has(result.id)) return;
    const worker = this.slotOfRoute(link, result.routeCode) ?? link.peer.name ?? 'worker';
    this.extras.add(result.id);
    this.record(draftOf(result, worker, this.slots.get(worker)?.global), true);
  }

  private lost(worker: string, test: string, reason: string, presumed: boolean): void {
    if (this.ledger.isDone(test)) return;
    const slot = this.slots.get(worker);
    const now = this.clock.now();
    const message = presumed
      ? `baton: worker ${worker} was lost (${reason}) before it reported starting any test; this was the next test it had been sent, so it is recorded as lost rather than run again elsewhere`
      : `baton: worker ${worker} was lost while running this test (${reason}); the test did not finish`;
    this.record({
      id: test,
      status: 'fail',
      worker,
      seq: 0,
      startMs: this.ledger.startedAt(test) ?? now,
      stopMs: now,
      duration: undefined,
      tags: slot ? withWorkerTag([], slot.global) : [],
      attachments: [{ name: LOST_ATTACHMENT, mimeType: TEXT_MIME_TYPE, content: new TextEncoder().encode(message) }],
      infrastructure: 'lost',
    });
    this.infrastructureProblem ??= `worker ${worker} was lost while running ${test}`;
  }

  /** Records a result exactly once (`extra`: of an id outside the selection) and tells the reporters. */
  private record(draft: RunResult, extra = false): void {
    const result = extra ? this.ledger.extra(draft) : this.ledger.finish(draft);
    this.writer.add(toResultInput(result));
    this.emit({ type: 'testFinished', at: this.clock.now(), result, stats: this.stats() });
  }

  private stats(): RunStats {
    return this.ledger.stats(this.clock.now() - this.startMs, this.dispatching ? this.connectedSlots : 0);
  }

  private async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.tick?.cancel();
    this.deadline?.cancel();
    const notRun = this.ledger.notRun();
    if (notRun.length > 0) this.infrastructureProblem ??= `${notRun.length} ${notRun.length === 1 ? 'test' : 'tests'} never ran`;
    // Goodbye first: the workers stop their test servers, which tear down the class and
    // module fixtures still set up; a teardown that fails is a result, and it belongs to
    // this run and its summary. A worker that does not finish in time is not waited for.
    let waiting: { cancel(): void } | undefined;
    await Promise.race([
      Promise.allSettled(
        [...this.hosts].map(async (host) => {
          host.state = HostState.Gone;
          await host.link.goodbye();
        }),
      ),
      new Promise<void>((resolve) => (waiting = this.clock.setTimeout(resolve, GOODBYE_WAIT_MS))),
    ]);
    waiting?.cancel();
    // Every result is in the repository before any reporter sees the end, so a reporter
    // that fails, hangs or kills the process then loses nothing of the run.
    this.writer.flush();
    const endMs = this.clock.now();
    const lowerBoundMs = this.ledger.lowerBoundMs(this.options.segments, this.slots.size);
    const baseline = this.baseline();
    const summarize = (): RunSummary =>
      this.ledger.summary({
        run: this.runId,
        profile: this.options.profile,
        wallMs: endMs - this.startMs,
        workers: this.slots.size,
        processes: this.processes(),
        infrastructureProblem: this.infrastructureProblem,
        stats: this.stats(),
        lowerBoundMs,
        baseline,
      });
    const summary = summarize();
    this.emit({ type: 'runFinished', at: endMs, summary });
    this.reported = true;
    await this.reporting.close();
    // Recorded with the exit status the process ends with: a reporter that failed at the
    // end (a report file that could not be written) is part of it.
    const final = summary.infrastructureProblem === this.infrastructureProblem ? summary : summarize();
    this.writer.close({
      stop: timestampFromMillis(endMs),
      exitStatus: final.exitCode,
      workers: this.slots.size,
      ...(lowerBoundMs === undefined ? {} : { lowerBound: lowerBoundMs / 1000 }),
    });
    // The last write may have failed (repositoryFailed said so): the exit status says so too.
    this.resolveFinished(final.infrastructureProblem === this.infrastructureProblem ? final : summarize());
  }

  /**
   * On a run that had history: the latest earlier run of the same selection on as many
   * slots that had none and ran every test, to measure this one against.
   */
  private baseline(): RunSummary['baseline'] {
    if (this.known === 0 || this.ledger.notRun().length > 0) return undefined;
    const like = { before: this.runId, selectionDigest: this.options.selectionDigest, workers: this.slots.size };
    let run: StoredRun | undefined;
    try {
      run = this.options.repository.latestRunWithoutHistory(this.options.profile, like);
    } catch (error) {
      // The comparison is a nicety: a repository that cannot answer fails the run elsewhere if it must.
      this.log(`could not find a run without history to compare run ${this.runId} with: ${(error as Error).message}`);
      return undefined;
    }
    if (run?.stop === undefined) return undefined;
    const ran = Object.values(run.counts).reduce((n, c) => n + (c ?? 0), 0);
    // One cut short (interrupted, its workers lost) took less than the whole work.
    if (ran < this.ledger.total) return undefined;
    return { run: run.id, wallMs: timestampToMillis(run.stop) - timestampToMillis(run.start) };
  }

  private processes(): RunSummary['processes'] {
    let fresh = 0;
    let restarts = 0;
    for (const link of this.hostOf.keys()) {
      fresh += link.processes?.fresh ?? 0;
      restarts += link.processes?.restarts ?? 0;
    }
    return { fresh, restarts };
  }

  private slotOfRoute(link: WorkerLink, route: string | undefined): string | undefined {
    const host = this.hostOf.get(link);
    if (host === undefined || route === undefined) return host?.name;
    const index = Number(route.split('/')[0]);
    return host.slots[index] ?? host.name;
  }
}

/** A result as a worker reported it, booked under `worker` (a slot) and its run-wide tag. */
function draftOf(result: TestResult, worker: string, global: number | undefined): RunResult {
  return {
    id: result.id,
    status: result.status === undefined || result.status === 'exists' ? 'inprogress' : result.status,
    worker,
    seq: 0,
    startMs: result.start && timestampToMillis(result.start),
    stopMs: result.stop && timestampToMillis(result.stop),
    duration: durationOf(result),
    tags: global === undefined ? [...result.tags] : withWorkerTag(result.tags, global),
    attachments: result.attachments,
  };
}

/** Replaces a worker's own `worker-N` tags (N counts its slots) by the run-wide one. */
function withWorkerTag(tags: readonly string[], global: number): string[] {
  return [...tags.filter((t) => !/^worker-\d+$/.test(t)), `worker-${global}`];
}

function uniqueName(name: string, hosts: Set<Host>): string {
  const taken = new Set([...hosts].map((h) => h.name));
  if (!taken.has(name)) return name;
  for (let n = 2; ; n++) if (!taken.has(`${name}#${n}`)) return `${name}#${n}`;
}
