import { SchedulerError } from './errors.js';
import { Estimator, type KnownEstimates } from './estimates.js';
import type { Command, DispatchedUnit, SchedulerEvent, SchedulingPolicy } from './events.js';
import { Heap } from './heap.js';
import type { Segment } from './plan.js';
import { rankUnits } from './ranks.js';
import { mulberry32, shuffle, type Rng } from './rng.js';
import { Lanes, type Lane } from './lanes.js';
import { Retries } from './retries.js';
import {
  batchTarget,
  DEFAULT_ROUND_TRIP_SECONDS,
  FRESH_PROCESS_SECONDS,
  LANE_SHARE_CAP,
  LEAD_MIN_FRESH_PROCESSES,
  LEVEL_MARGIN,
  LEVEL_MEASURED,
  MAX_UNIT_STEALS,
  OVERRUN_WAKE_FACTOR,
  PREFETCH_ROUND_TRIPS,
  PROBE_CRITICAL_FRACTION,
  PROBE_QUORUM,
  PROBE_WAIT_FRACTION,
  ROUND_TRIP_SMOOTHING,
  STEAL_ROUND_TRIPS,
  stealChoice,
} from './policy.js';
import { WorkerSpeeds, type WorkerSpeed } from './speeds.js';
import { Ledger, UnitState, WorkerSession, type UnitRecord, type WorkerRecord } from './state.js';
import { UnitEstimates } from './unitEstimates.js';

/** Options for Scheduler. */
export interface SchedulerOptions {
  /** Historic durations per test id (seconds on a speed-1 worker). @default none */
  readonly estimates?: KnownEstimates | undefined;
  /** Estimate when nothing at all is known. @default DEFAULT_ESTIMATE_SECONDS */
  readonly defaultEstimate?: number | undefined;
  /** Round trip to a worker in seconds, until measured. @default DEFAULT_ROUND_TRIP_SECONDS */
  readonly roundTrip?: number | undefined;
  /**
   * How many workers are expected (e.g. `-j 8`). The work is planned in that many
   * lanes, so the first workers to join get their share, not the whole of it.
   * @default the joined ones
   */
  readonly expectedWorkers?: number | undefined;
  /**
   * Every test id in discovery order (the order a worker's List gives, a superset of
   * the run's tests): each test process runs its tests in this order. Tests it does
   * not name come after, in the run's order. @default the run's order
   */
  readonly discovery?: readonly string[] | undefined;
  /**
   * Seconds a worker needs to continue on a fresh test process (a fork, and its class
   * and module fixtures set up again): what a steal of work that lies behind the
   * thief's process costs. @default FRESH_PROCESS_SECONDS
   */
  readonly freshProcess?: number | undefined;
  /**
   * Plans lanes from the units in an order shuffled with this seed (`baton run --random`),
   * each into the lane that would finish it soonest, instead of longest first: which tests
   * share a process, and so which run before which, changes with the seed, and the same
   * seed plans the same lanes for the same units, estimates and workers. Each process
   * still runs its tests in discovery order. @default longest first
   */
  readonly seed?: number | undefined;
}

/** What the scheduler tracks per worker beyond the ledger. */
interface Load {
  readonly worker: WorkerRecord;
  readonly speed: WorkerSpeed;
  /** Estimated work (speed-1 seconds) dispatched and not started. */
  pendingWork: number;
  pendingCount: number;
  /** Estimated duration (seconds on this worker) of the running unit, and when it started. */
  runningTime: number;
  runningStart: number;
  /** A reclaim is out to this worker. */
  reclaiming: boolean;
  /** Where what that reclaim brings back goes: the worker that asked for it. */
  reclaimFor: Load | undefined;
  /** This worker waits for units reclaimed from that one. */
  waitingOn: string | undefined;
  lastDispatchAt: number;
  /** The last dispatch found the worker empty, so its first start measures a round trip. */
  timing: boolean;
  /** `epoch` when this worker last looked for work to take back and found none. */
  stealFailed: number;
  /** When a wake-up is due for this worker (one at a time). */
  wakeAt: number | undefined;
  /** The lane it runs, if any. */
  lane: Lane | undefined;
  /** Rank of the last unit sent to its current test process (-1: none yet). */
  position: number;
}

/** A worker a unit could go to: its slowness, and in how many seconds it would be done with what it has. */
interface Placement {
  readonly load: Load;
  slowness: number;
  finish: number;
}

/**
 * baton's online scheduler: feed it events with the caller's clock, carry out the
 * commands it returns. Each test process runs its tests in discovery order, so the
 * work of a segment is planned as one lane per worker (units placed longest first into
 * the least-loaded lane, each lane then in discovery order) and sent a batch at a time
 * from the lane's head (guided batch sizes, just enough prefetch to hide the round
 * trip). A worker that runs dry adopts a lane nobody runs, or takes from the worker
 * with the most remaining estimated time whichever of its queued units balance the two
 * best (not only its tail): those not sent yet at once, those sent by a Reclaim. What
 * it takes lies behind its process, mostly, so its worker continues on a fresh one.
 *
 * State is kept inside (mutable, for speed); the scheduler never reads a clock or does
 * I/O, so a test drives it with plain numbers.
 */
export class Scheduler implements SchedulingPolicy {
  private readonly ledger: Ledger;
  private readonly estimator: Estimator;
  private readonly speeds = new WorkerSpeeds();
  private readonly units: UnitEstimates;
  /** By unit index, what the scheduler works with (`units.estimates`). */
  private readonly estimates: Float64Array;
  /** By unit index, the discovery rank of its first test. */
  private readonly rank: Int32Array;
  /** A test's discovery rank. */
  private readonly rankOf: (test: string) => number;
  /** Retries of failed attempts waiting for a worker: units outside the lanes. */
  private readonly retries = new Retries();
  private readonly lanes: Lanes;
  private readonly loads = new Map<string, Load>();
  /** The same loads by worker record index: found on every event without a lookup by id. */
  private readonly loadOf: Load[] = [];
  /** Ready workers holding no unstarted unit: the ones to feed first. */
  private readonly hungry = new Set<WorkerRecord>();
  /** When to look again at busy workers (any event, a Tick included, is the clock). */
  private readonly wakeups = new Heap<{ readonly at: number; readonly load: Load; readonly since: number }>((a, b) => a.at < b.at);
  /**
   * When a running unit that others could relieve (its worker holds more) will have
   * overrun its estimate by as much again as its estimate: from then on its worker's
   * backlog grows, and idle workers must look again at what it holds.
   */
  private readonly overruns = new Heap<{ readonly at: number; readonly load: Load; readonly since: number }>((a, b) => a.at < b.at);
  private readonly stolen: Uint8Array;
  private readonly expectedWorkers: number;
  private readonly freshProcess: number;
  /** `seed`'s source: lanes are planned in the order it shuffles units into. */
  private readonly shuffler: Rng | undefined;
  private readyCount = 0;
  private roundTrip: number;
  /**
   * Counts changes that may create work worth taking (dispatches, releases, requeues,
   * segments). A worker that found nothing does not look again, an O(workers) scan,
   * until this or its own state changes.
   */
  private epoch = 0;
  /**
   * Lanes without an owner that may hold work: the only ones `adopt` looks at (a scan of
   * every lane, on every event near the end of a run, cost O(workers) per test).
   */
  private readonly orphans = new Set<Lane>();
  /** The segment whose lanes are planned (-1: none yet). */
  private plannedSegment = -1;
  private finishSent = false;
  private freshCount = 0;
  /**
   * The units held back while worker speeds are unknown: each would lengthen the run on
   * a slow worker, so it waits (until `deadline` at most) for the first results to show
   * which workers are fast.
   */
  private probe: { readonly units: number[]; readonly deadline: number } | undefined;
  /** Workers whose speed rests on a prior or on a result of their own. */
  private measured = 0;
  /** How many ready workers had no result of their own when lanes were last levelled (-1: never). */
  private unmeasuredAtLevel = -1;
  /**
   * The event being handled is a join: lanes are not planned until every expected
   * worker has joined (or any other event comes), so that each lane is planned for the
   * speed of the worker that runs it.
   */
  private joining = false;

  constructor(segments: readonly Segment[], options: SchedulerOptions = {}) {
    if (options.roundTrip !== undefined && !(options.roundTrip >= 0))
      throw new SchedulerError('BATON_SCHED_BAD_OPTION', `roundTrip must be a non-negative number of seconds, got ${options.roundTrip}`);
    if (options.freshProcess !== undefined && !(options.freshProcess >= 0))
      throw new SchedulerError('BATON_SCHED_BAD_OPTION', `freshProcess must be a non-negative number of seconds, got ${options.freshProcess}`);
    const ranked = rankUnits(segments, options.discovery);
    this.ledger = new Ledger(ranked.segments);
    this.rank = ranked.unitRanks(this.ledger.units);
    this.rankOf = ranked.rankOf;
    this.estimator = new Estimator(options.estimates, { defaultSeconds: options.defaultEstimate, run: this.ledger });
    this.roundTrip = options.roundTrip ?? DEFAULT_ROUND_TRIP_SECONDS;
    this.freshProcess = options.freshProcess ?? FRESH_PROCESS_SECONDS;
    this.expectedWorkers = Math.max(1, options.expectedWorkers ?? 1);
    this.units = new UnitEstimates(this.ledger, this.estimator);
    this.estimates = this.units.estimates;
    this.lanes = new Lanes(this.ledger.units, this.rank, this.estimates);
    this.stolen = new Uint8Array(this.ledger.units.length);
    this.shuffler = options.seed === undefined ? undefined : mulberry32(options.seed);
  }

  /** True once every test finished or was lost. */
  get finished(): boolean {
    return this.ledger.finished;
  }

  /** How many times a dispatch sent a worker work that lies behind its process (a fresh one is needed). */
  get freshProcesses(): number {
    return this.freshCount;
  }

  /**
   * The worker holding a test that has not settled (sent to it, running there, or being
   * taken back from it), or undefined. The coordinator routes results by it: the
   * scheduler is the one record of what is where.
   */
  holderOf(test: string): string | undefined {
    const t = this.ledger.indexOf(test);
    if (t === undefined || this.ledger.isSettled(t)) return undefined;
    return this.ledger.unitAt(t).worker?.id;
  }

  /** The test a worker is running (started, not finished), or undefined. */
  runningTest(worker: string): string | undefined {
    const w = this.ledger.workers.get(worker);
    const unit = w?.running;
    if (unit === undefined || unit.offset === 0) return undefined;
    const t = unit.first + unit.offset - 1;
    // Settled, or its attempt here failed and it runs again elsewhere: nothing runs.
    if (this.ledger.isSettled(t) || this.ledger.unitAt(t) !== unit) return undefined;
    return unit.tests[unit.offset - 1];
  }

  /** The next test a worker would start: the rest of its running unit, else its next unit; undefined if it holds none. */
  nextTest(worker: string): string | undefined {
    const w = this.ledger.workers.get(worker);
    if (w === undefined) return undefined;
    const running = w.running;
    if (running !== undefined && running.offset < running.cut) return running.tests[running.offset];
    const next = running ? running.nextOnWorker : w.units.first;
    return next?.tests[next.offset];
  }

  /** Whether a worker holds any unit (sent, running or being taken back). */
  holds(worker: string): boolean {
    return (this.ledger.workers.get(worker)?.units.size ?? 0) > 0;
  }

  /** A unit's lifecycle state, by the number used in Dispatch. */
  unitState(unit: number): UnitState | undefined {
    return this.ledger.units[unit]?.state;
  }

  /** A worker's session state, or undefined if it never joined. */
  workerSession(worker: string): WorkerSession | undefined {
    return this.ledger.workers.get(worker)?.session;
  }

  /** The current duration estimate of a test, in seconds on a speed-1 worker. */
  estimate(test: string): number {
    return this.estimator.estimate(test);
  }

  /** A worker's learned slowness: its seconds per estimated second. */
  slowness(worker: string): number {
    return this.speeds.slownessOf(worker);
  }

  handle(event: SchedulerEvent, now: number): Command[] {
    const out: Command[] = [];
    this.joining = event.type === 'workerJoined';
    this.wake(now, out);
    switch (event.type) {
      case 'workerJoined':
        this.onJoined(event.worker, event.speed, now, out);
        break;
      case 'workerLeft':
        this.onLeft(event.worker, out);
        break;
      case 'workerDied':
        this.onDied(event.worker, now, out);
        break;
      case 'testStarted':
        this.onStarted(event.worker, event.test, now, out);
        break;
      case 'testFinished':
        this.onFinished(event.worker, event.test, event.duration, event.retry === true, now, out);
        break;
      case 'testsReleased':
        this.onReleased(event.worker, event.tests, now, out);
        break;
      case 'tick':
        this.feedHungry(now, out);
        break;
    }
    if (this.probe !== undefined) this.releaseProbe(now, out);
    if (this.retries.size > 0) this.placeRetries(now, out);
    if (this.ledger.finished && !this.finishSent) {
      this.finishSent = true;
      out.push({ type: 'finish' });
    }
    return out;
  }

  /**
   * Why the run cannot go on, if it cannot: tests remain, a worker is ready, and yet no
   * worker holds anything and nothing is being taken back. The scheduler never gets
   * there by design; the coordinator's watchdog and the simulator check it.
   */
  stall(): string | undefined {
    if (this.ledger.finished || this.ledger.holders > 0 || this.readyCount === 0) return undefined;
    // Waiting for the expected workers before planning: the next event that is not a join plans.
    if (this.plannedSegment !== this.ledger.segment && this.readyCount < this.expectedWorkers) return undefined;
    for (const l of this.loads.values()) if (l.reclaiming) return undefined;
    const queued = this.ledger.segmentUnits[this.ledger.segment]?.filter((u) => u.state === UnitState.Queued) ?? [];
    const ready = [...this.ledger.workers.values()].filter((w) => w.session === WorkerSession.Ready).map((w) => w.id);
    return `segment ${this.ledger.segment + 1} of ${this.ledger.segments.length} has ${this.ledger.openUnits} open units (${queued.length} queued: ${queued
      .slice(0, 5)
      .map((u) => `unit ${u.index} from ${u.tests[u.offset]}`)
      .join(', ')}${queued.length > 5 ? ', …' : ''}) and ready workers ${ready.join(', ')} hold nothing`;
  }

  private onJoined(id: string, speed: number | undefined, now: number, out: Command[]): void {
    const before = this.ledger.workers.get(id);
    const worker = this.ledger.join(id);
    if (worker === before) return;
    const load: Load = {
      worker,
      speed: this.speeds.join(id, speed),
      pendingWork: 0,
      pendingCount: 0,
      runningTime: 0,
      runningStart: now,
      reclaiming: false,
      reclaimFor: undefined,
      waitingOn: undefined,
      lastDispatchAt: now,
      timing: false,
      stealFailed: -1,
      wakeAt: undefined,
      lane: undefined,
      position: -1,
    };
    this.loads.set(id, load);
    this.loadOf[worker.index] = load;
    if (this.speeds.isKnown(load.speed)) this.measured++;
    this.readyCount++;
    this.epoch++;
    this.hungry.add(worker);
    // The last expected worker is here: the lanes are planned and everyone gets one.
    if (this.readyCount === this.expectedWorkers && this.plannedSegment !== this.ledger.segment) {
      this.joining = false;
      this.feedHungry(now, out);
    } else this.fill(worker, now, out);
  }

  private onLeft(id: string, out: Command[]): void {
    const worker = this.ledger.worker(id);
    if (worker.session !== WorkerSession.Ready) return;
    this.readyCount--;
    this.hungry.delete(worker);
    this.orphan(this.load(worker));
    const units = this.ledger.leave(id);
    if (units.length > 0) this.sendReclaim(worker, units, undefined, out);
  }

  private onDied(id: string, now: number, out: Command[]): void {
    const worker = this.ledger.worker(id);
    if (worker.session === WorkerSession.Ready) this.readyCount--;
    this.hungry.delete(worker);
    const load = this.load(worker);
    const report = this.ledger.died(id);
    const lost = this.ledger.lostCommand(id, report);
    if (lost) out.push(lost);
    Object.assign(load, { pendingWork: 0, pendingCount: 0, runningTime: 0, reclaiming: false, reclaimFor: undefined, waitingOn: undefined });
    for (const l of this.loads.values()) {
      if (l.waitingOn === id) l.waitingOn = undefined;
      if (l.reclaimFor === load) l.reclaimFor = undefined;
    }
    this.orphan(load);
    this.requeue(report.requeued, load.lane);
    this.afterSettle(now, out);
    this.feedHungry(now, out);
  }

  private onStarted(id: string, test: string, now: number, out: Command[]): void {
    const worker = this.ledger.worker(id);
    this.started(worker, this.ledger.unsettled(worker, test), now, out);
  }

  private started(worker: WorkerRecord, t: number, now: number, out: Command[]): void {
    const unit = this.ledger.unitAt(t);
    const wasRunning = unit.state === UnitState.Running && worker.running === unit;
    this.ledger.start(worker, t, now);
    if (!wasRunning) this.unitStarted(worker, unit, now);
    this.fill(worker, now, out);
  }

  private unitStarted(worker: WorkerRecord, unit: UnitRecord, now: number): void {
    const load = this.load(worker);
    load.stealFailed = -1;
    const estimate = this.unitEstimate(unit);
    load.pendingWork = Math.max(0, load.pendingWork - estimate);
    load.pendingCount = Math.max(0, load.pendingCount - 1);
    load.runningTime = estimate * this.speeds.slowness(load.speed);
    load.runningStart = now;
    if (load.timing) {
      load.timing = false;
      const sample = now - load.lastDispatchAt;
      if (sample >= 0) this.roundTrip += ROUND_TRIP_SMOOTHING * (sample - this.roundTrip);
    }
    if (load.pendingCount === 0 && worker.session === WorkerSession.Ready) this.hungry.add(worker);
    else if (load.runningTime > 0) this.overruns.push({ at: now + OVERRUN_WAKE_FACTOR * load.runningTime, load, since: now });
  }

  private onFinished(id: string, test: string, duration: number, retry: boolean, now: number, out: Command[]): void {
    const worker = this.ledger.worker(id);
    const t = this.ledger.unsettled(worker, test);
    if (this.ledger.isImpliedStart(worker, t)) this.started(worker, t, now - duration, out);
    const load = this.load(worker);
    // Only history says how long a test takes on a typical worker; a
    // neighbour estimate would blame the worker for its tests' class.
    let level = false;
    if (this.estimator.hasHistoryAt(t)) {
      const first = !this.speeds.isKnown(load.speed) && load.speed.count === 0;
      this.speeds.observe(load.speed, duration, this.estimator.estimateAt(t));
      if (first && load.speed.count === 1) {
        this.measured++;
        level = this.levelDue();
      }
    }
    this.estimator.observeAt(t, duration / this.speeds.slowness(load.speed));
    const unit = this.ledger.unitAt(t);
    let segmentDone = false;
    if (retry) {
      this.retries.add(this.ledger.retry(worker, t, now), worker);
      this.epoch++;
    } else segmentDone = this.ledger.finish(worker, t, now);
    if (this.ledger.requeueCut(unit)) this.requeue([unit], undefined);
    load.stealFailed = -1;
    if (this.ledger.closeIfDrained(worker)) this.hungry.delete(worker);
    if (segmentDone) this.afterSettle(now, out);
    else if (worker.units.size === 0 && this.ledger.segments[this.ledger.segment]?.concurrency !== undefined)
      // A place under the segment's concurrency limit came free.
      this.feedHungry(now, out);
    else {
      this.fill(worker, now, out);
      if (unit.state === UnitState.Queued) this.feedHungry(now, out);
    }
    if (level) this.level(now, out);
  }

  private onReleased(id: string, tests: readonly string[], now: number, out: Command[]): void {
    const worker = this.ledger.worker(id);
    const load = this.load(worker);
    const { requeued, cut } = this.ledger.released(id, tests);
    const thief = load.reclaimFor;
    load.reclaiming = false;
    load.reclaimFor = undefined;
    this.epoch++;
    for (const unit of requeued) {
      load.pendingWork = Math.max(0, load.pendingWork - this.unitEstimate(unit));
      load.pendingCount = Math.max(0, load.pendingCount - 1);
    }
    // What a thief asked for is its own; what a leaving worker gave back is its
    // (orphaned) lane's, for whoever adopts it.
    const to = thief !== undefined && thief.worker.session === WorkerSession.Ready ? this.laneOf(thief) : load.lane;
    this.requeue(requeued, to);
    for (const unit of cut) if (this.ledger.requeueCut(unit)) this.requeue([unit], undefined);
    if (load.pendingCount === 0 && worker.session === WorkerSession.Ready) this.hungry.add(worker);
    this.ledger.closeIfDrained(worker);
    for (const l of this.loads.values()) if (l.waitingOn === id) l.waitingOn = undefined;
    if (thief !== undefined) this.fill(thief.worker, now, out);
    this.feedHungry(now, out);
  }

  /** After units settled or came back: move on to the next segment if this one is done. */
  private afterSettle(now: number, out: Command[]): void {
    if (!this.ledger.advance()) return;
    this.epoch++;
    this.lanes.clear();
    this.orphans.clear();
    for (const l of this.loads.values()) l.lane = undefined;
    // At a segment boundary every ready worker is empty; the fastest go first
    // so that a serial or one-test segment lands on the fastest worker.
    for (const w of this.readyBySpeed()) this.fill(w, now, out);
  }

  private readyBySpeed(): WorkerRecord[] {
    const ready = [...this.ledger.workers.values()].filter((w) => w.session === WorkerSession.Ready);
    return ready.sort((a, b) => this.speeds.slowness(this.load(a).speed) - this.speeds.slowness(this.load(b).speed));
  }

  /**
   * Plans the running segment's lanes, once: as many as workers are expected (or have
   * joined), within the segment's concurrency; longest unit first into the lane that
   * would finish it soonest, ties to the lowest lane, so that units with equal
   * estimates (a run without history) go round-robin in discovery order, as stestr
   * partitions them (with a `seed`, in a shuffled order instead); then each lane in
   * discovery order.
   */
  private planLanes(now: number): void {
    if (this.plannedSegment === this.ledger.segment || this.ledger.finished) return;
    this.plannedSegment = this.ledger.segment;
    const queued: number[] = [];
    for (const u of this.ledger.segmentUnits[this.ledger.segment] ?? []) {
      if (u.state !== UnitState.Queued) continue;
      this.units.read(u);
      queued.push(u.index);
    }
    const limit = this.ledger.segments[this.ledger.segment]?.concurrency ?? Infinity;
    const count = Math.max(1, Math.min(limit, Math.max(this.readyCount, this.expectedWorkers), queued.length));
    const owners = this.readyBySpeed().filter((w) => this.load(w).lane === undefined);
    const typical = this.speeds.typicalSlowness();
    const slowness = Array.from({ length: count }, (_, i) => (owners[i] ? this.speeds.slowness(this.load(owners[i]).speed) : typical));
    const members: number[][] = Array.from({ length: count }, () => []);
    const heap = new Heap<{ readonly lane: number; finish: number }>((a, b) => a.finish < b.finish || (a.finish === b.finish && a.lane < b.lane));
    for (let i = 0; i < count; i++) heap.push({ lane: i, finish: 0 });
    const est = this.estimates;
    const rank = this.rank;
    // Shuffled from discovery order, so that the same seed gives the same order.
    if (this.shuffler !== undefined) shuffle(this.shuffler, queued.sort((a, b) => (rank[a] as number) - (rank[b] as number)));
    else queued.sort((a, b) => (est[b] as number) - (est[a] as number) || (rank[a] as number) - (rank[b] as number));
    let makespan = 0;
    for (const u of queued) {
      const entry = heap.pop()!;
      members[entry.lane]!.push(u);
      entry.finish += (est[u] as number) * (slowness[entry.lane] as number);
      makespan = Math.max(makespan, entry.finish);
      heap.push(entry);
    }
    // While held-back units wait for speeds, lanes start where discovery order does:
    // their first tests are short, more often than not, and measure their workers soon.
    // A segment with a concurrency limit keeps its lanes: a held-back unit placed later
    // could land on a worker beyond the limit.
    const measuring = Number.isFinite(limit) ? false : this.holdBackCritical(members, owners, makespan, now);
    members.forEach((units, i) => {
      const owner = owners[i];
      // One lane alone is never led: nobody could take what follows a long test, so leading
      // would only split its process in two (stestr --serial, and -j 1, run one process).
      const lane = this.lanes.create(owner, units, measuring || count === 1 ? undefined : this.leadOf(units));
      if (owner) this.load(owner).lane = lane;
      else this.orphans.add(lane);
    });
  }

  /**
   * The unit a planned lane starts with, if not its first in discovery order: its
   * longest (the first in discovery order of equals), when the work before that unit in discovery order is
   * worth a fresh process for what comes before it. Started first, a long test whose
   * history is stale shows it at once, while the rest of the lane can still move
   * elsewhere.
   */
  private leadOf(units: readonly number[]): number | undefined {
    const at = this.longestAt(units);
    if (at < 0) return undefined;
    const longest = units[at] as number;
    const rank = this.rank[longest] as number;
    let before = 0;
    for (const u of units) if ((this.rank[u] as number) < rank) before += this.estimates[u] as number;
    return before >= LEAD_MIN_FRESH_PROCESSES * this.freshProcess ? longest : undefined;
  }

  /** Where in `units` the longest is (the first in discovery order of equals); -1 if none. */
  private longestAt(units: readonly number[]): number {
    let at = -1;
    for (let i = 0; i < units.length; i++) {
      const u = units[i] as number;
      const best = at < 0 ? -1 : (this.estimates[units[at] as number] as number);
      const e = this.estimates[u] as number;
      if (e > best || (e === best && (this.rank[u] as number) < (this.rank[units[at] as number] as number))) at = i;
    }
    return at;
  }

  /**
   * Takes out of the planned lanes of workers whose speed is unknown the units that would
   * make the run longer on a worker a quarter as fast as the typical one (a lane's longest),
   * to be placed once results show who is fast. Lanes of workers still to
   * come keep theirs. Returns whether any was held back.
   */
  private holdBackCritical(members: number[][], owners: readonly WorkerRecord[], makespan: number, now: number): boolean {
    if (members.length < 2) return false;
    const critical = PROBE_CRITICAL_FRACTION * makespan;
    const typical = this.speeds.typicalSlowness();
    const held: number[] = [];
    members.forEach((units, i) => {
      const owner = owners[i];
      if (owner === undefined || this.speeds.isKnown(this.load(owner).speed)) return;
      const at = this.longestAt(units);
      if (at >= 0 && (this.estimates[units[at] as number] as number) * typical >= critical) held.push(units.splice(at, 1)[0] as number);
    });
    if (held.length === 0) return false;
    held.sort((a, b) => (this.estimates[b] as number) - (this.estimates[a] as number));
    this.probe = { units: held, deadline: now + PROBE_WAIT_FRACTION * (this.estimates[held[0] as number] as number) * typical };
    return true;
  }

  /**
   * Places the units held back, each where it would finish first among workers whose
   * speed is measured, once enough workers are measured (PROBE_QUORUM), the deadline
   * passed, or nothing is left to run that would measure them; then levels and leads the lanes.
   */
  private releaseProbe(now: number, out: Command[], force = false): void {
    const probe = this.probe;
    if (probe === undefined) return;
    const quorum = Math.min(this.readyCount, Math.max(2, Math.ceil(this.readyCount * PROBE_QUORUM)));
    if (!force && now < probe.deadline && this.measured < quorum) return;
    this.probe = undefined;
    // A worker not measured yet may be the slowest kind: it is counted as slow as the
    // slowest measured one, so it gets a held-back unit only when the fast are taken.
    const pool: Placement[] = [];
    let slowest = 0;
    for (const load of this.loads.values()) {
      if (load.worker.session !== WorkerSession.Ready) continue;
      const own = this.speeds.measured(load.speed);
      if (!Number.isNaN(own)) slowest = Math.max(slowest, own);
      pool.push({ load, finish: 0, slowness: own });
    }
    for (const c of pool) {
      if (Number.isNaN(c.slowness)) c.slowness = slowest || this.speeds.slowness(c.load.speed);
      c.finish = this.runningLeft(c.load.worker, now) + c.load.pendingWork * c.slowness;
    }
    for (const u of probe.units) {
      const best = this.soonest(u, pool);
      if (best === undefined) {
        this.requeue([this.ledger.units[u] as UnitRecord], undefined);
        continue;
      }
      this.dispatch(best.load, [u], now, out);
    }
    this.level(now, out);
    // Lanes started where discovery order does, to measure soon; measured, each is led by
    // its longest unit as if it had been planned with speeds known: a long test started
    // last ends the run late wherever its estimate was low.
    for (const lane of this.lanes.all) {
      if (lane.lead >= 0 || lane.count < 2) continue;
      const lead = this.leadOf(this.lanes.live(lane));
      if (lead !== undefined) this.lanes.lead(lane, lead);
    }
  }

  /**
   * Whether lanes are to be levelled again now that one more worker has a result of its
   * own: once half the ready workers have one, and each time those without one halve.
   */
  private levelDue(): boolean {
    if (this.probe !== undefined || this.plannedSegment !== this.ledger.segment || this.measured < LEVEL_MEASURED * this.readyCount) return false;
    const unmeasured = Math.max(0, this.readyCount - this.measured);
    if (this.unmeasuredAtLevel >= 0 && 2 * unmeasured > this.unmeasuredAtLevel) return false;
    this.unmeasuredAtLevel = Math.max(1, unmeasured);
    return true;
  }

  /**
   * Levels lanes planned before their workers' speeds were known. A lane whose measured
   * worker would end it well after the level (the time at which all measured workers
   * would end together) gives its longest units, which a slow worker would finish last,
   * each to the lane that would then end soonest, before the giver would and at most
   * LEVEL_MARGIN past the level (a fresh process counted where the unit lies behind that
   * worker's process). Moved units lie
   * mostly ahead of their new worker's process, so this costs few fresh processes, where
   * steals at the end of the run would cost one each.
   */
  private level(now: number, out: Command[]): void {
    const rows: (Placement & { readonly lane: Lane })[] = [];
    // The level: Σ (level − finish) / slowness = 0 over the measured workers.
    let weighted = 0;
    let speed = 0;
    for (const load of this.loads.values()) {
      const lane = load.lane;
      if (load.worker.session !== WorkerSession.Ready || lane === undefined || lane.owner !== load.worker || load.speed.count === 0) continue;
      const slowness = this.speeds.measured(load.speed);
      const finish = this.runningLeft(load.worker, now) + (load.pendingWork + lane.work) * slowness;
      rows.push({ load, lane, slowness, finish });
      weighted += finish / slowness;
      speed += 1 / slowness;
    }
    if (rows.length < 2) return;
    const level = weighted / speed;
    const limit = level * (1 + LEVEL_MARGIN);
    const byEstimate = (a: number, b: number): number => (this.estimates[b] as number) - (this.estimates[a] as number);
    const moves: { readonly unit: number; readonly from: Placement }[] = [];
    for (const r of rows) {
      if (r.finish <= limit) continue;
      let finish = r.finish;
      for (const u of this.lanes.live(r.lane).sort(byEstimate)) {
        moves.push({ unit: u, from: r });
        finish -= (this.estimates[u] as number) * r.slowness;
        if (finish <= level) break;
      }
    }
    const takers = rows.filter((r) => r.finish < level);
    const into = new Map<Lane, number[]>();
    for (const { unit, from } of moves.sort((a, b) => byEstimate(a.unit, b.unit))) {
      const best = this.soonest(unit, takers, Math.min(limit, from.finish));
      if (best === undefined) continue;
      from.finish -= (this.estimates[unit] as number) * from.slowness;
      const units = into.get(best.lane);
      if (units) units.push(unit);
      else into.set(best.lane, [unit]);
    }
    if (into.size === 0) return;
    this.epoch++;
    for (const [lane, units] of into) this.lanes.add(lane, units);
    for (const lane of into.keys()) if (lane.owner) this.fill(lane.owner, now, out);
  }

  /**
   * Of `candidates`, the one that would be done with `unit` soonest, and before `before`
   * (a fresh process counted where the unit lies behind its process); its `finish` then
   * counts the unit. Undefined if none would be done in time.
   */
  private soonest<P extends Placement>(unit: number, candidates: readonly P[], before = Infinity): P | undefined {
    let best: P | undefined;
    let bestFinish = before;
    for (const c of candidates) {
      const finish = c.finish + ((this.rank[unit] as number) <= c.load.position ? this.freshProcess : 0) + (this.estimates[unit] as number) * c.slowness;
      if (finish < bestFinish) {
        bestFinish = finish;
        best = c;
      }
    }
    if (best !== undefined) best.finish = bestFinish;
    return best;
  }

  /** The worker's lane, made if it has none or runs another worker's. */
  private laneOf(load: Load): Lane {
    if (load.lane === undefined || load.lane.owner !== load.worker) load.lane = this.lanes.create(load.worker, []);
    return load.lane;
  }

  /** A worker that leaves or dies leaves its lane to whoever adopts it. */
  private orphan(load: Load): void {
    if (load.lane?.owner !== load.worker) return;
    load.lane.owner = undefined;
    this.orphans.add(load.lane);
  }

  /** Units back in the queue (given back, or left by a dead worker): into `lane`, or a lane of their own. */
  private requeue(units: readonly UnitRecord[], lane: Lane | undefined): void {
    for (const u of units) if (u.attempt > 1) this.retries.requeue(u);
    const mine = units.filter((u) => u.attempt === 1 && u.segment === this.ledger.segment);
    if (mine.length === 0) return;
    this.epoch++;
    for (const u of mine) this.units.read(u);
    // Before the segment's lanes are planned, planning takes them.
    if (this.plannedSegment !== this.ledger.segment) return;
    const indices = mine.map((u) => u.index);
    const to = lane && this.lanes.all.includes(lane) ? lane : this.lanes.create(undefined, indices.splice(0));
    this.lanes.add(to, indices);
    if (to.owner === undefined) this.orphans.add(to);
  }

  /**
   * Follows what the run has learned: the estimates of queued units and of those
   * workers hold are read again, as they decide what is stolen from where.
   */
  private refreshEstimates(): void {
    if (!this.units.refreshDue(this.ledger.openUnits)) return;
    const unknown = this.units.unknown;
    for (const lane of this.lanes.all) for (const u of this.lanes.live(lane)) if (unknown[u]) this.lanes.setEstimate(u, this.units.remaining(u));
    for (const w of this.ledger.workers.values()) {
      if (w.units.size === 0) continue;
      const load = this.load(w);
      for (let u = w.units.first; u; u = u.nextOnWorker) {
        if (u.attempt > 1 || !unknown[u.index] || u.state === UnitState.Running) continue;
        const e = this.units.remaining(u.index);
        load.pendingWork += e - (this.estimates[u.index] as number);
        this.estimates[u.index] = e;
      }
    }
  }

  private feedHungry(now: number, out: Command[]): void {
    // Once one idle worker found nothing worth taking, the others would scan the same
    // victims in vain: stop stealing for this pass (O(W), not O(W²)).
    let stealing = true;
    for (const w of [...this.hungry]) stealing = this.fill(w, now, out, stealing);
  }

  /** Tops up the workers whose running unit is now within a prefetch horizon of its end. */
  private wake(now: number, out: Command[]): void {
    for (let w = this.wakeups.peek(); w && w.at <= now; w = this.wakeups.peek()) {
      this.wakeups.pop();
      if (w.load.wakeAt !== w.at) continue;
      w.load.wakeAt = undefined;
      // Stale if the worker moved on to another unit since.
      if (w.load.runningStart === w.since && w.load.worker.running) this.fill(w.load.worker, now, out);
    }
    let overran = false;
    for (let o = this.overruns.peek(); o && o.at <= now; o = this.overruns.peek()) {
      this.overruns.pop();
      if (o.load.runningStart !== o.since || !o.load.worker.running || o.load.pendingCount === 0) continue;
      overran = true;
      // Its backlog doubles with each look: look again when it has doubled once more.
      this.overruns.push({ at: o.since + OVERRUN_WAKE_FACTOR * (o.at - o.since), load: o.load, since: o.since });
    }
    if (overran) {
      this.epoch++;
      this.feedHungry(now, out);
    }
  }

  /**
   * Tops a worker up from its lane's head to its guided share or, if its lane is empty,
   * adopts a lane nobody runs or takes work from another worker (when `steal`).
   * Returns false if a steal found nothing.
   */
  private fill(worker: WorkerRecord, now: number, out: Command[], steal = true): boolean {
    if (worker.session !== WorkerSession.Ready || this.ledger.finished) return steal;
    const load = this.load(worker);
    if (load.waitingOn !== undefined) return steal;
    const limit = this.ledger.segments[this.ledger.segment]?.concurrency;
    if (limit !== undefined && worker.units.size === 0 && this.ledger.holders >= limit) return steal;
    const f = this.speeds.slowness(load.speed);
    const horizon = (PREFETCH_ROUND_TRIPS * this.roundTrip) / f;
    if (load.pendingCount > 0 && load.pendingWork >= horizon) return steal;
    if (this.plannedSegment !== this.ledger.segment && this.joining && this.readyCount < this.expectedWorkers) return steal;
    this.planLanes(now);
    this.refreshEstimates();
    let lane = load.lane;
    if (lane === undefined || lane.count === 0 || lane.owner !== worker) lane = this.adopt(load);
    if (lane === undefined) {
      const stole = load.pendingCount === 0 && steal && load.stealFailed !== this.epoch ? this.steal(load, now, out) : steal;
      // Held-back units wait for speeds while anything runs or is left to run, which will
      // show them: an idle worker waits until the deadline at most, where a long test on a
      // slow worker would cost the run more. Once nothing will run, they go.
      if (this.probe !== undefined && load.pendingCount === 0 && this.ledger.holders === 0 && !this.lanes.all.some((l) => l.count > 0)) this.releaseProbe(now, out, true);
      return stole;
    }
    const running = this.runningLeft(worker, now);
    // The head only, not the lane: this runs on every start and finish.
    const head = this.lanes.head(lane);
    // A worker whose speed is not measured yet gets the smaller batches of unknown work.
    const unknown = (head !== undefined && this.units.unknown[head] === 1) || !this.speeds.isKnown(load.speed);
    // While units wait for speeds, workers hold no more than their prefetch (one unit at
    // least): a held-back unit placed on a worker then starts as soon as its running test ends.
    const probing = this.probe !== undefined;
    // A lane with more than its share of what is queued (adopted from a worker that left,
    // or planned for a worker that proved slow) is sent as if it held its share: what stays
    // in the lane goes to whoever runs dry without a Reclaim.
    const queued = head !== undefined && this.units.unknown[head] === 1 ? lane.work : Math.min(lane.work, (LANE_SHARE_CAP * this.lanes.total) / Math.max(1, this.readyCount));
    const guided = batchTarget(probing ? 0 : queued, 1, horizon, load.pendingWork, running / f, unknown);
    const target = probing && load.pendingCount === 0 ? Math.max(guided, Number.MIN_VALUE) : guided;
    if (target <= 0) {
      // Busy with its guided share and a running unit that outlasts the round trip:
      // what stays in the lane can still go to whoever runs dry first. Look again when
      // the running unit is one prefetch horizon from its end.
      const at = load.runningStart + load.runningTime - PREFETCH_ROUND_TRIPS * this.roundTrip;
      if (at > now && load.wakeAt !== at) {
        load.wakeAt = at;
        this.wakeups.push({ at, load, since: load.runningStart });
      }
      return steal;
    }
    // Until a worker's speed is known, a long unit does not ride along at the end of a
    // batch of short ones: committed to a worker that proves slow, it would end the run late.
    const cap = this.speeds.isKnown(load.speed) || this.units.unknown[head as number] === 1 ? Infinity : 2 * target;
    this.dispatch(load, this.lanes.take(lane, target, cap), now, out);
    return steal;
  }

  /** Sends units (in discovery order) to a worker. */
  private dispatch(load: Load, taken: readonly number[], now: number, out: Command[]): void {
    if (taken.length === 0) return;
    const worker = load.worker;
    const units: DispatchedUnit[] = [];
    let work = 0;
    for (const u of taken) {
      const unit = this.ledger.units[u] as UnitRecord;
      work += this.estimates[u] as number;
      this.ledger.assign(worker, unit);
      units.push(this.ledger.view(unit));
    }
    const first = this.rank[taken[0] as number] as number;
    if (first <= load.position) this.freshCount++;
    load.position = Math.max(first <= load.position ? -1 : load.position, this.rank[taken[taken.length - 1] as number] as number);
    this.sent(load, units, work, now, out);
  }

  /** The worker's books once units (of `work` estimated seconds) are assigned to it, and the command. */
  private sent(load: Load, units: DispatchedUnit[], work: number, now: number, out: Command[]): void {
    load.timing = load.worker.units.size === units.length;
    load.lastDispatchAt = now;
    load.pendingWork += work;
    load.pendingCount += units.length;
    this.hungry.delete(load.worker);
    this.epoch++;
    out.push({ type: 'dispatch', worker: load.worker.id, units });
  }

  /** Sends waiting retries where they would be done soonest (see `retryWorker`). */
  private placeRetries(now: number, out: Command[]): void {
    this.retries.place(
      (avoid) => this.retryWorker(avoid, now),
      (unit, worker) => {
        const load = this.load(worker);
        this.ledger.assign(worker, unit);
        this.freshCount++;
        // Its fresh process runs the retried test first; what lies after it may follow there.
        load.position = this.rankOf(unit.tests[0] as string);
        this.sent(load, [{ ...this.ledger.view(unit), fresh: true }], this.unitEstimate(unit), now, out);
      },
    );
  }

  /**
   * The worker a retry goes to: of the ready ones the segment's concurrency lets take
   * work, the one that would be done soonest with what it holds and its lane, other than
   * the one its attempt failed on, which takes it only when no other is ready.
   */
  private retryWorker(avoid: WorkerRecord | undefined, now: number): WorkerRecord | undefined {
    const limit = this.ledger.segments[this.ledger.segment]?.concurrency;
    let best: WorkerRecord | undefined;
    let soonest = Infinity;
    let fallback: WorkerRecord | undefined;
    for (const load of this.loads.values()) {
      const w = load.worker;
      if (w.session !== WorkerSession.Ready || (limit !== undefined && w.units.size === 0 && this.ledger.holders >= limit)) continue;
      if (w === avoid) {
        fallback = w;
        continue;
      }
      const done = this.backlog(load, load.lane?.owner === w ? load.lane.work : 0, now);
      if (done < soonest) {
        soonest = done;
        best = w;
      }
    }
    return best ?? fallback;
  }

  /** Seconds until a worker would be done with what it holds and `laneWork` more. */
  private backlog(load: Load, laneWork: number, now: number): number {
    return (load.pendingWork + laneWork) * this.speeds.slowness(load.speed) + this.runningLeft(load.worker, now);
  }

  /** The estimate a unit is scheduled by: a retry's is its test's, as it is learnt. */
  private unitEstimate(unit: UnitRecord): number {
    return unit.attempt > 1 ? this.estimator.estimateAt(unit.first) : (this.estimates[unit.index] as number);
  }

  /** A lane nobody runs (its worker left or died, or never joined), the one with the most work; now the worker's. */
  private adopt(load: Load): Lane | undefined {
    let best: Lane | undefined;
    for (const lane of this.orphans) {
      if (lane.owner !== undefined || lane.count === 0) this.orphans.delete(lane);
      else if (best === undefined || lane.work > best.work) best = lane;
    }
    if (best === undefined) return load.lane !== undefined && load.lane.owner === load.worker && load.lane.count > 0 ? load.lane : undefined;
    best.owner = load.worker;
    this.orphans.delete(best);
    load.lane = best;
    this.epoch++;
    return best;
  }

  /**
   * Takes work from the worker with the most remaining estimated time (not the most
   * units): whichever of its queued units balance the two finish times best, longest
   * first, those still in its lane before those already sent. Returns false if nothing
   * was worth taking.
   */
  private steal(thiefLoad: Load, now: number, out: Command[]): boolean {
    const thief = thiefLoad.worker;
    let victim: Load | undefined;
    let backlog = 0;
    for (const load of this.loads.values()) {
      const w = load.worker;
      if (w === thief || load.reclaiming || w.session !== WorkerSession.Ready) continue;
      const laneWork = load.lane?.owner === w ? load.lane.work : 0;
      if (load.pendingCount === 0 && laneWork === 0) continue;
      const remaining = this.backlog(load, laneWork, now);
      if (remaining > backlog) {
        backlog = remaining;
        victim = load;
      }
    }
    thiefLoad.stealFailed = this.epoch;
    if (!victim) return false;
    const byEstimate = (a: number, b: number): number => (this.estimates[b] as number) - (this.estimates[a] as number);
    const free = victim.lane?.owner === victim.worker ? this.lanes.live(victim.lane).sort(byEstimate) : [];
    const sent: number[] = [];
    // A unit moves at most MAX_UNIT_STEALS times: two workers whose estimates
    // disagree (an overrunning test, a stale speed) could otherwise hand it
    // back and forth forever.
    // A retry is never taken: it is placed once, away from where its attempt failed.
    for (const u of victim.worker.units) if (u.state === UnitState.Dispatched && u.attempt === 1 && (this.stolen[u.index] as number) < MAX_UNIT_STEALS) sent.push(u.index);
    sent.sort(byEstimate);
    const busy = this.runningLeft(thief, now);
    const candidates = free.concat(sent);
    const picked = stealChoice(
      backlog,
      this.speeds.slowness(victim.speed),
      this.speeds.slowness(thiefLoad.speed),
      // A Reclaim costs its round trip; the thief may still be running its last unit,
      // and what lies behind its process needs a fresh one.
      (i) => Math.max(busy, (i < free.length ? 1 : STEAL_ROUND_TRIPS) * this.roundTrip) + this.freshProcess,
      candidates.map((u) => this.estimates[u] as number),
    );
    if (picked.length === 0) return false;
    thiefLoad.stealFailed = -1;
    const fromLane: number[] = [];
    const fromWorker: UnitRecord[] = [];
    for (const i of picked) {
      const u = candidates[i] as number;
      this.stolen[u] = (this.stolen[u] as number) + 1;
      if (i < free.length) fromLane.push(u);
      else fromWorker.push(this.ledger.units[u] as UnitRecord);
    }
    this.epoch++;
    if (fromLane.length > 0) this.lanes.add(this.laneOf(thiefLoad), fromLane);
    if (fromWorker.length > 0) {
      if (fromLane.length === 0) thiefLoad.waitingOn = victim.worker.id;
      this.sendReclaim(victim.worker, fromWorker, thiefLoad, out);
    }
    if (fromLane.length > 0) this.fill(thief, now, out, false);
    return true;
  }

  private sendReclaim(worker: WorkerRecord, units: UnitRecord[], thief: Load | undefined, out: Command[]): void {
    const load = this.load(worker);
    load.reclaiming = true;
    load.reclaimFor = thief;
    out.push(this.ledger.reclaim(worker.id, units));
  }

  /**
   * Estimated seconds until the worker's running unit ends. Once it has outrun its
   * estimate, as long again as it has overrun: an estimate that proved wrong says
   * nothing of the end, and expecting it any moment would leave what the worker
   * holds waiting behind a test that may run twenty times its history.
   */
  private runningLeft(worker: WorkerRecord, now: number): number {
    if (!worker.running) return 0;
    const load = this.load(worker);
    const elapsed = now - load.runningStart;
    return Math.abs(load.runningTime - elapsed);
  }

  private load(worker: WorkerRecord): Load {
    return this.loadOf[worker.index] as Load;
  }
}
