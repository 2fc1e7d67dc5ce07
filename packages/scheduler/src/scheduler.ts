import { SchedulerError } from './errors.js';
import { Estimator, type KnownEstimates } from './estimates.js';
import type { Command, DispatchedUnit, SchedulerEvent, SchedulingPolicy } from './events.js';
import { Heap } from './heap.js';
import type { Segment } from './plan.js';
import {
  batchTarget,
  DEFAULT_ROUND_TRIP_SECONDS,
  MAX_SKIPPED,
  MAX_UNIT_STEALS,
  PREFETCH_ROUND_TRIPS,
  SLOW_WORKER_MARGIN,
  ROUND_TRIP_SMOOTHING,
  STEAL_ROUND_TRIPS,
  stealCount,
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
  /** Seed of the shuffle that breaks ties between equal estimates. @default 1 */
  readonly seed?: number | undefined;
  /**
   * How many workers are expected (e.g. `-j 8`). The first workers to join
   * then get their share of the work, not the whole of it. @default the joined ones
   */
  readonly expectedWorkers?: number | undefined;
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
  /** This worker waits for units reclaimed from that one. */
  waitingOn: string | undefined;
  lastDispatchAt: number;
  /** The last dispatch found the worker empty, so its first start measures a round trip. */
  timing: boolean;
  /** `epoch` when this worker last looked for work to take back and found none. */
  stealFailed: number;
  /** When a wake-up is due for this worker (one at a time). */
  wakeAt: number | undefined;
}

/**
 * baton's online scheduler: feed it events with the caller's clock, carry out
 * the commands it returns. Longest-estimated-first over the running segment's
 * units; guided batch sizes; just enough prefetch to hide the round trip; a
 * worker that runs dry takes back not-started units from the worker with the
 * most remaining estimated time. See the package README for the contract.
 *
 * State is kept inside (mutable, for speed: a decision is O(log n)); the
 * scheduler never reads a clock or does I/O, so a test drives it with plain
 * numbers.
 */
export class Scheduler implements SchedulingPolicy {
  private readonly ledger: Ledger;
  private readonly estimator: Estimator;
  private readonly speeds = new WorkerSpeeds();
  private readonly units: UnitEstimates;
  /** By unit index, what the scheduler works with (`units.estimates`). */
  private readonly estimates: Float64Array;
  private readonly loads = new Map<string, Load>();
  /** The same loads by worker record index: found on every event without a lookup by id. */
  private readonly loadOf: Load[] = [];
  /** Ready workers holding no unstarted unit: the ones to feed first. */
  private readonly hungry = new Set<WorkerRecord>();
  /** When to look again at busy workers (any event, a Tick included, is the clock). */
  private readonly wakeups = new Heap<{ readonly at: number; readonly load: Load; readonly since: number }>((a, b) => a.at < b.at);
  private readonly stolen: Uint8Array;
  private readonly expectedWorkers: number;
  private readyCount = 0;
  private roundTrip: number;
  /**
   * Counts changes that may create work worth taking back (dispatches,
   * releases, requeues, segments). A worker that found nothing does not look
   * again, an O(workers) scan, until this or its own state changes.
   */
  private epoch = 0;
  private fastestEpoch = -1;
  private fastestSlowness = 1;
  private loadedSegment = -1;
  private finishSent = false;
  /** Workers that ever joined. */
  private joinedCount = 0;

  constructor(segments: readonly Segment[], options: SchedulerOptions = {}) {
    if (options.roundTrip !== undefined && !(options.roundTrip >= 0))
      throw new SchedulerError('BATON_SCHED_BAD_OPTION', `roundTrip must be a non-negative number of seconds, got ${options.roundTrip}`);
    this.ledger = new Ledger(segments);
    this.estimator = new Estimator(options.estimates, { defaultSeconds: options.defaultEstimate, run: this.ledger });
    this.roundTrip = options.roundTrip ?? DEFAULT_ROUND_TRIP_SECONDS;
    this.expectedWorkers = Math.max(1, options.expectedWorkers ?? 1);
    this.units = new UnitEstimates(this.ledger, this.estimator, options.seed ?? 1);
    this.estimates = this.units.estimates;
    this.stolen = new Uint8Array(this.ledger.units.length);
    this.loadSegment();
  }

  /** True once every test finished or was lost. */
  get finished(): boolean {
    return this.ledger.finished;
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
        this.onFinished(event.worker, event.test, event.duration, now, out);
        break;
      case 'testsReleased':
        this.onReleased(event.worker, event.tests, now, out);
        break;
      case 'tick':
        this.feedHungry(now, out);
        break;
    }
    if (this.ledger.finished && !this.finishSent) {
      this.finishSent = true;
      out.push({ type: 'finish' });
    }
    return out;
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
      waitingOn: undefined,
      lastDispatchAt: now,
      timing: false,
      stealFailed: -1,
      wakeAt: undefined,
    };
    this.loads.set(id, load);
    this.loadOf[worker.index] = load;
    this.readyCount++;
    this.joinedCount++;
    this.epoch++;
    this.hungry.add(worker);
    this.fill(worker, now, out);
  }

  private onLeft(id: string, out: Command[]): void {
    const worker = this.ledger.worker(id);
    if (worker.session !== WorkerSession.Ready) return;
    this.readyCount--;
    this.hungry.delete(worker);
    const units = this.ledger.leave(id);
    if (units.length > 0) this.sendReclaim(worker, units, out);
  }

  private onDied(id: string, now: number, out: Command[]): void {
    const worker = this.ledger.worker(id);
    if (worker.session === WorkerSession.Ready) this.readyCount--;
    this.hungry.delete(worker);
    const load = this.load(worker);
    const report = this.ledger.died(id);
    const lost = this.ledger.lostCommand(id, report);
    if (lost) out.push(lost);
    Object.assign(load, { pendingWork: 0, pendingCount: 0, runningTime: 0, reclaiming: false, waitingOn: undefined });
    for (const l of this.loads.values()) if (l.waitingOn === id) l.waitingOn = undefined;
    for (const unit of report.requeued) this.enqueue(unit);
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
    const estimate = this.estimates[unit.index] as number;
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
  }

  private onFinished(id: string, test: string, duration: number, now: number, out: Command[]): void {
    const worker = this.ledger.worker(id);
    const t = this.ledger.unsettled(worker, test);
    if (this.ledger.isImpliedStart(worker, t)) this.started(worker, t, now - duration, out);
    const load = this.load(worker);
    // Only history says how long a test takes on a typical worker; a
    // neighbour estimate would blame the worker for its tests' class.
    if (this.estimator.hasHistoryAt(t)) this.speeds.observe(load.speed, duration, this.estimator.estimateAt(t));
    this.estimator.observeAt(t, duration / this.speeds.slowness(load.speed));
    const segmentDone = this.ledger.finish(worker, t, now);
    load.stealFailed = -1;
    if (this.ledger.closeIfDrained(worker)) this.hungry.delete(worker);
    if (segmentDone) this.afterSettle(now, out);
    else if (worker.units.size === 0 && this.ledger.segments[this.ledger.segment]?.concurrency !== undefined)
      // A place under the segment's concurrency limit came free.
      this.feedHungry(now, out);
    else this.fill(worker, now, out);
  }

  private onReleased(id: string, tests: readonly string[], now: number, out: Command[]): void {
    const worker = this.ledger.worker(id);
    const load = this.load(worker);
    const units = this.ledger.released(id, tests);
    load.reclaiming = false;
    this.epoch++;
    for (const unit of units) {
      load.pendingWork = Math.max(0, load.pendingWork - (this.estimates[unit.index] as number));
      load.pendingCount = Math.max(0, load.pendingCount - 1);
      this.enqueue(unit);
    }
    if (load.pendingCount === 0 && worker.session === WorkerSession.Ready) this.hungry.add(worker);
    this.ledger.closeIfDrained(worker);
    // The thieves that asked get first pick, or another idle worker could take
    // the units and be robbed in turn, back and forth.
    for (const w of this.hungry) {
      const l = this.load(w);
      if (l.waitingOn !== id) continue;
      l.waitingOn = undefined;
      this.fill(w, now, out);
    }
    for (const l of this.loads.values()) if (l.waitingOn === id) l.waitingOn = undefined;
    this.feedHungry(now, out);
  }

  /** After units settled or came back: move on to the next segment if this one is done. */
  private afterSettle(now: number, out: Command[]): void {
    if (!this.ledger.advance()) return;
    this.epoch++;
    this.loadSegment();
    // At a segment boundary every ready worker is empty; the fastest go first
    // so that a serial or one-test segment lands on the fastest worker.
    const ready = [...this.ledger.workers.values()].filter((w) => w.session === WorkerSession.Ready);
    ready.sort((a, b) => this.speeds.slowness(this.load(a).speed) - this.speeds.slowness(this.load(b).speed));
    for (const w of ready) this.fill(w, now, out);
  }

  private loadSegment(): void {
    if (this.ledger.finished || this.loadedSegment === this.ledger.segment) return;
    this.loadedSegment = this.ledger.segment;
    this.units.load(this.ledger.segmentUnits[this.ledger.segment] ?? []);
  }

  private enqueue(unit: UnitRecord): void {
    if (unit.segment !== this.ledger.segment) return;
    this.epoch++;
    this.units.enqueue(unit);
  }

  /**
   * Follows what the run has learned: when the queue's estimates are re-read,
   * those of the units workers hold are too, as they decide where to take
   * work back from.
   */
  private refreshEstimates(): void {
    if (!this.units.refresh(this.ledger.openUnits)) return;
    for (const w of this.ledger.workers.values()) {
      if (w.units.size === 0) continue;
      const load = this.load(w);
      // Early batches are large: a walk down the list, not the iterator protocol.
      for (let u = w.units.first; u; u = u.nextOnWorker)
        if (this.units.unknown[u.index] && u.state !== UnitState.Running) load.pendingWork += this.units.reestimate(u.index);
    }
  }

  private feedHungry(now: number, out: Command[]): void {
    // Once one idle worker found nothing worth taking back, the others would
    // scan the same victims in vain: stop stealing for this pass (O(W), not O(W²)).
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
  }

  /**
   * Tops a worker up to its guided share or, if the queue is empty, finds it
   * work to take back (when `steal`); a slow worker may step aside from the
   * longest units (when `stepAside`). Returns false if a steal found nothing.
   */
  private fill(worker: WorkerRecord, now: number, out: Command[], steal = true, stepAside = true): boolean {
    if (worker.session !== WorkerSession.Ready || this.ledger.finished) return steal;
    const load = this.load(worker);
    if (load.waitingOn !== undefined) return steal;
    const segment = this.ledger.segments[this.ledger.segment];
    const limit = segment?.concurrency;
    if (limit !== undefined && worker.units.size === 0 && this.ledger.holders >= limit) return steal;
    const f = this.speeds.slowness(load.speed);
    const horizon = (PREFETCH_ROUND_TRIPS * this.roundTrip) / f;
    if (load.pendingCount > 0 && load.pendingWork >= horizon) return steal;
    this.refreshEstimates();
    const queue = this.units.queue;
    if (queue.size === 0) return load.pendingCount === 0 && steal && load.stealFailed !== this.epoch ? this.steal(load, now, out) : steal;
    const workers = Math.min(limit ?? Infinity, Math.max(this.readyCount, this.expectedWorkers));
    const share = this.speeds.typicalSlowness() / f / workers;
    const running = this.runningLeft(worker, now);
    const target = batchTarget(this.units.queuedWork, share, horizon, load.pendingWork, running / f, this.units.unknown[queue.peek() as number] === 1);
    if (target <= 0) {
      // Busy with its guided share and a running unit that outlasts the round
      // trip: it needs nothing yet. Sending the next longest unit now would
      // break longest-first (another worker may be free sooner); look again
      // when the running unit is one prefetch horizon from its end.
      const at = load.runningStart + load.runningTime - PREFETCH_ROUND_TRIPS * this.roundTrip;
      if (at > now && load.wakeAt !== at) {
        load.wakeAt = at;
        this.wakeups.push({ at, load, since: load.runningStart });
      }
      return steal;
    }
    const skipped = stepAside ? this.skipTooLong(load, f, now) : [];
    const units: DispatchedUnit[] = [];
    let taken = 0;
    while (taken < target || units.length === 0) {
      const u = this.units.take();
      if (u === undefined) break;
      const unit = this.ledger.units[u] as UnitRecord;
      taken += this.estimates[u] as number;
      this.ledger.assign(worker, unit);
      units.push(this.ledger.view(unit));
    }
    for (const u of skipped) queue.push(u);
    if (units.length === 0) return this.offerSkipped(skipped, now, out, steal);
    if (queue.size === 0 && skipped.length === 0) this.units.queuedWork = 0;
    load.timing = worker.units.size === units.length;
    load.lastDispatchAt = now;
    load.pendingWork += taken;
    load.pendingCount += units.length;
    this.hungry.delete(worker);
    this.epoch++;
    out.push({ type: 'dispatch', worker: worker.id, units });
    return this.offerSkipped(skipped, now, out, steal);
  }

  /**
   * What a slow worker left is for a faster one, which may be idle and
   * expecting no event: offer it to the fastest hungry worker, which takes it
   * (it does not step aside in turn, so this does not recurse).
   */
  private offerSkipped(skipped: readonly number[], now: number, out: Command[], steal: boolean): boolean {
    if (skipped.length === 0) return steal;
    let best: WorkerRecord | undefined;
    let bestSlowness = Infinity;
    for (const w of this.hungry) {
      const g = this.speeds.slowness(this.load(w).speed);
      if (g < bestSlowness) {
        best = w;
        bestSlowness = g;
      }
    }
    if (best) this.fill(best, now, out, false, false);
    return steal;
  }

  /**
   * Pops (for the caller to push back) the units at the head of the queue
   * that a slow worker should leave to a faster one: those it would still be
   * running after the ideal end of the remaining work, and that some other
   * worker would finish sooner, backlog included. With equal speeds this
   * never skips; it puts the longest tests on the fastest workers.
   */
  private skipTooLong(load: Load, f: number, now: number): number[] {
    const skipped: number[] = [];
    const queue = this.units.queue;
    const head = queue.peek();
    const workers = Math.max(this.readyCount, this.expectedWorkers);
    const fair = (this.units.queuedWork * this.speeds.typicalSlowness()) / workers;
    // Only a worker known to be slow (a prior, or enough observations) steps aside.
    if (head === undefined || queue.keyAt(1) * f <= fair || !this.speeds.isKnown(load.speed) || f <= this.fastest() * SLOW_WORKER_MARGIN) return skipped;
    const mine = load.pendingWork * f + this.runningLeft(load.worker, now);
    // Until the expected workers have joined, faster ones may still come.
    const coming = this.joinedCount < this.expectedWorkers;
    while (queue.size > 0 && skipped.length < MAX_SKIPPED) {
      const estimate = queue.keyAt(1);
      if (estimate * f <= fair || (!coming && !this.finishesSoonerElsewhere(load, estimate, mine + estimate * f, now))) break;
      skipped.push(queue.pop() as number);
    }
    return skipped;
  }

  private finishesSoonerElsewhere(load: Load, estimate: number, mine: number, now: number): boolean {
    for (const other of this.loads.values()) {
      if (other === load || other.worker.session !== WorkerSession.Ready) continue;
      const g = this.speeds.slowness(other.speed);
      if (other.pendingWork * g + this.runningLeft(other.worker, now) + estimate * g < mine) return true;
    }
    return false;
  }

  /** The smallest slowness among ready workers, recomputed once per epoch. */
  private fastest(): number {
    if (this.fastestEpoch !== this.epoch) {
      this.fastestEpoch = this.epoch;
      this.fastestSlowness = Infinity;
      for (const l of this.loads.values())
        if (l.worker.session === WorkerSession.Ready) this.fastestSlowness = Math.min(this.fastestSlowness, this.speeds.slowness(l.speed));
    }
    return this.fastestSlowness;
  }

  /**
   * Asks the worker with the most remaining estimated time (not the most
   * units) for part of its unstarted tail. Returns false if nothing was worth taking.
   */
  private steal(thiefLoad: Load, now: number, out: Command[]): boolean {
    const thief = thiefLoad.worker;
    let victim: WorkerRecord | undefined;
    let backlog = 0;
    for (const load of this.loads.values()) {
      const w = load.worker;
      if (w === thief || load.reclaiming || load.pendingCount === 0 || w.session !== WorkerSession.Ready) continue;
      const remaining = load.pendingWork * this.speeds.slowness(load.speed) + this.runningLeft(w, now);
      if (remaining > backlog) {
        backlog = remaining;
        victim = w;
      }
    }
    thiefLoad.stealFailed = this.epoch;
    if (!victim) return false;
    const tail: UnitRecord[] = [];
    // A unit moves at most MAX_UNIT_STEALS times: two workers whose estimates
    // disagree (an overrunning test, a stale speed) could otherwise hand it
    // back and forth forever.
    for (const u of victim.units) if (u.state === UnitState.Dispatched && (this.stolen[u.index] as number) < MAX_UNIT_STEALS) tail.push(u);
    tail.reverse();
    const n = stealCount(
      backlog,
      this.speeds.slowness(this.load(victim).speed),
      this.speeds.slowness(thiefLoad.speed),
      // The thief may still be running its last unit.
      Math.max(STEAL_ROUND_TRIPS * this.roundTrip, this.runningLeft(thief, now)),
      tail.map((u) => this.estimates[u.index] as number),
    );
    if (n === 0) return false;
    thiefLoad.stealFailed = -1;
    thiefLoad.waitingOn = victim.id;
    const taken = tail.slice(0, n).reverse();
    for (const u of taken) this.stolen[u.index] = (this.stolen[u.index] as number) + 1;
    this.sendReclaim(victim, taken, out);
    return true;
  }

  private sendReclaim(worker: WorkerRecord, units: UnitRecord[], out: Command[]): void {
    this.load(worker).reclaiming = true;
    out.push(this.ledger.reclaim(worker.id, units));
  }

  /** Estimated seconds until the worker's running unit ends. */
  private runningLeft(worker: WorkerRecord, now: number): number {
    if (!worker.running) return 0;
    const load = this.load(worker);
    return Math.max(0, load.runningTime - (now - load.runningStart));
  }

  private load(worker: WorkerRecord): Load {
    return this.loadOf[worker.index] as Load;
  }
}
