import { SchedulerError } from './errors.js';
import type { DispatchedUnit, Lost, Reclaim } from './events.js';
import type { Segment } from './plan.js';
import { UnitList } from './unitList.js';

/**
 * A unit's lifecycle (see AGENTS.md for the diagram). `reclaiming` is a
 * dispatched unit we asked back; the worker's answer makes it `queued` again
 * (the brief's "reclaimed") or, if it started in flight, `running`.
 */
export const UnitState = {
  Queued: 'queued',
  Dispatched: 'dispatched',
  Reclaiming: 'reclaiming',
  Running: 'running',
  Done: 'done',
  Errored: 'errored',
} as const;
export type UnitState = (typeof UnitState)[keyof typeof UnitState];

/** A worker session as the scheduler sees it: `ready → draining → closed`, or `lost` from either. */
export const WorkerSession = {
  Ready: 'ready',
  Draining: 'draining',
  Closed: 'closed',
  Lost: 'lost',
} as const;
export type WorkerSession = (typeof WorkerSession)[keyof typeof WorkerSession];

/** One schedulable unit and where it is in its lifecycle. */
export interface UnitRecord {
  readonly index: number;
  readonly segment: number;
  readonly tests: readonly string[];
  /** The run's index of the unit's first test; the others follow it. */
  readonly first: number;
  state: UnitState;
  worker: WorkerRecord | undefined;
  /** Index of the first test not yet started; the unit resumes here after a death. */
  offset: number;
  /** Tests finished or lost. */
  settled: number;
  /** Tests lost with a dead worker. */
  lost: number;
  /**
   * Where the unit ends on its worker: `tests.length`, or less once the worker gave
   * back the tail of a unit it had started (a partial release). When the tests before
   * the cut have settled, the tail is queued again (`settledToCut`).
   */
  cut: number;
  /** Its neighbours in its worker's `units`. */
  prevOnWorker: UnitRecord | undefined;
  nextOnWorker: UnitRecord | undefined;
  /**
   * 1 for a unit of the plan; k for a retry (`Ledger.retry`): a unit of one test, its
   * k-th attempt, which runs on a fresh test process.
   */
  readonly attempt: number;
}

/** One worker (execution slot). */
export interface WorkerRecord {
  readonly id: string;
  /** Numbers the records in the order they were made (a worker that rejoins gets a new one). */
  readonly index: number;
  session: WorkerSession;
  /** Units held, in dispatch order: dispatched, reclaiming or running. */
  readonly units: UnitList;
  /** The unit whose test is running (or between two tests of a group). */
  running: UnitRecord | undefined;
  /** When the running test started. */
  runningSince: number;
}

/** What a worker's death left behind. */
export interface DeathReport {
  /** The test that was running, now recorded as lost. */
  readonly lost: { readonly test: string; readonly unit: UnitRecord } | undefined;
  /** Units back in the queue (not started, or the rest of a group after the lost test). */
  readonly requeued: readonly UnitRecord[];
}

/**
 * The bookkeeping every policy shares: which unit is where, which tests are
 * settled, which segment runs, and the lifecycle transitions with their
 * invariants (a test settles once; a dead worker's running test is lost once;
 * a unit is released whole or not at all). Policies decide; the ledger records.
 */
export class Ledger {
  readonly segments: readonly Segment[];
  /** The plan's units, then the retries made during the run (`retry`). */
  readonly units: readonly UnitRecord[];
  /** The same array as `units`: retries are appended. */
  private readonly unitList: UnitRecord[];
  /** Units of each segment, in plan order. */
  readonly segmentUnits: readonly (readonly UnitRecord[])[];
  /**
   * Every test of the run, by its index. Events name tests by id; once its
   * index is found (see `expected`), a test is handled in arrays, not maps.
   */
  readonly tests: readonly string[];
  private readonly testIndex = new Map<string, number>();
  private readonly unitOfTest: UnitRecord[] = [];
  private readonly settled: Uint8Array;
  private readonly open: number[];
  private readonly workerMap = new Map<string, WorkerRecord>();
  private current = 0;
  private holding = 0;
  private records = 0;

  constructor(segments: readonly Segment[]) {
    this.segments = segments;
    const units: UnitRecord[] = [];
    const ids: string[] = [];
    const index = this.testIndex;
    this.segmentUnits = segments.map((segment, s) =>
      segment.units.map((tests) => {
        const unit: UnitRecord = {
          index: units.length,
          segment: s,
          tests,
          first: ids.length,
          state: UnitState.Queued,
          worker: undefined,
          offset: 0,
          settled: 0,
          lost: 0,
          cut: tests.length,
          prevOnWorker: undefined,
          nextOnWorker: undefined,
          attempt: 1,
        };
        for (const test of tests) {
          const size = index.size;
          index.set(test, ids.length);
          if (index.size === size) throw new SchedulerError('BATON_SCHED_DUPLICATE_TEST', `test "${test}" appears twice in the run`, { testId: test });
          ids.push(test);
          this.unitOfTest.push(unit);
        }
        units.push(unit);
        return unit;
      }),
    );
    this.units = this.unitList = units;
    this.tests = ids;
    this.settled = new Uint8Array(ids.length);
    this.open = this.segmentUnits.map((u) => u.length);
    this.skipEmptySegments();
  }

  /** Index of the running segment; equals segments.length when everything is settled. */
  get segment(): number {
    return this.current;
  }

  get finished(): boolean {
    return this.current >= this.segments.length;
  }

  /** Units of the running segment not yet settled. */
  get openUnits(): number {
    return this.open[this.current] ?? 0;
  }

  /** Workers holding at least one unit (what a segment's concurrency limits). */
  get holders(): number {
    return this.holding;
  }

  get workers(): ReadonlyMap<string, WorkerRecord> {
    return this.workerMap;
  }

  worker(id: string): WorkerRecord {
    const w = this.workerMap.get(id);
    if (!w) throw new SchedulerError('BATON_SCHED_UNKNOWN_WORKER', `no worker "${id}" has joined`, { worker: id });
    return w;
  }

  /** A worker joins (or rejoins under the same id after it closed or was lost). */
  join(id: string): WorkerRecord {
    const old = this.workerMap.get(id);
    if (old && (old.session === WorkerSession.Ready || old.session === WorkerSession.Draining)) return old;
    const w: WorkerRecord = { id, index: this.records++, session: WorkerSession.Ready, units: new UnitList(), running: undefined, runningSince: 0 };
    this.workerMap.set(id, w);
    return w;
  }

  /** The tests of a unit still to run, as sent in Dispatch and Reclaim. */
  view(unit: UnitRecord): DispatchedUnit {
    return { unit: unit.index, tests: unit.offset === 0 ? unit.tests : unit.tests.slice(unit.offset) };
  }

  assign(worker: WorkerRecord, unit: UnitRecord): void {
    unit.state = UnitState.Dispatched;
    unit.worker = worker;
    if (worker.units.size === 0) this.holding++;
    worker.units.add(unit);
  }

  /** A worker started a test; returns its unit (now running). */
  started(workerId: string, test: string, now: number): UnitRecord {
    const worker = this.worker(workerId);
    return this.start(worker, this.unsettled(worker, test), now);
  }

  /** `started` for a test already checked with `unsettled`. */
  start(worker: WorkerRecord, t: number, now: number): UnitRecord {
    const unit = this.unitOfTest[t] as UnitRecord;
    unit.state = UnitState.Running;
    unit.offset = Math.max(unit.offset, t - unit.first + 1);
    worker.running = unit;
    worker.runningSince = now;
    return unit;
  }

  /**
   * A worker finished a test. Returns the unit and whether it, and the
   * segment, are now settled. A missing SchedulerTestStarted is implied.
   */
  finishedTest(workerId: string, test: string, now: number): { unit: UnitRecord; unitDone: boolean; segmentDone: boolean } {
    const worker = this.worker(workerId);
    const t = this.unsettled(worker, test);
    const unit = this.unitOfTest[t] as UnitRecord;
    const segmentDone = this.finish(worker, t, now);
    return { unit, unitDone: unit.settled === unit.tests.length, segmentDone };
  }

  /** `finishedTest` for a test already checked with `unsettled`; true if the segment is now settled. */
  finish(worker: WorkerRecord, t: number, now: number): boolean {
    const unit = this.unitOfTest[t] as UnitRecord;
    if (this.isImpliedStart(worker, t)) this.start(worker, t, now);
    this.settled[t] = 1;
    unit.settled++;
    const unitDone = unit.settled === unit.tests.length;
    if (unitDone) this.settle(unit, unit.lost > 0 ? UnitState.Errored : UnitState.Done);
    return unitDone && this.open[unit.segment] === 0;
  }

  /**
   * A worker's attempt at a test (by index) failed and the test runs again: it stays
   * unsettled and moves into a new unit of its own (returned, queued, in the same
   * segment, which stays open until it settles), one attempt further; the unit it leaves
   * goes on without it, as if it had finished. A missing SchedulerTestStarted is implied.
   */
  retry(worker: WorkerRecord, t: number, now: number): UnitRecord {
    if (this.isImpliedStart(worker, t)) this.start(worker, t, now);
    const from = this.unitOfTest[t] as UnitRecord;
    const unit: UnitRecord = {
      index: this.unitList.length,
      segment: from.segment,
      tests: [this.tests[t] as string],
      first: t,
      state: UnitState.Queued,
      worker: undefined,
      offset: 0,
      settled: 0,
      lost: 0,
      cut: 1,
      prevOnWorker: undefined,
      nextOnWorker: undefined,
      attempt: from.attempt + 1,
    };
    this.unitList.push(unit);
    this.unitOfTest[t] = unit;
    // Opened before the unit it leaves can settle, so that the segment never looks done.
    this.open[unit.segment] = (this.open[unit.segment] ?? 0) + 1;
    from.settled++;
    if (from.settled === from.tests.length) this.settle(from, from.lost > 0 ? UnitState.Errored : UnitState.Done);
    return unit;
  }

  /** True when a test finishes without its SchedulerTestStarted having arrived. */
  isImpliedStart(worker: WorkerRecord, t: number): boolean {
    const unit = this.unitOfTest[t] as UnitRecord;
    return t - unit.first >= unit.offset || worker.running !== unit;
  }

  /** Marks dispatched units as asked back and returns the command that asks for them. */
  reclaim(workerId: string, units: readonly UnitRecord[]): Reclaim {
    for (const u of units) if (u.state === UnitState.Dispatched) u.state = UnitState.Reclaiming;
    return { type: 'reclaim', worker: workerId, units: units.map((u) => this.view(u)) };
  }

  /** The Lost command a death report calls for, if its worker was running a test. */
  lostCommand(workerId: string, report: DeathReport): Lost | undefined {
    return report.lost && { type: 'lost', worker: workerId, test: report.lost.test, unit: report.lost.unit.index };
  }

  /**
   * A worker gave tests back. Units it released whole are queued again and returned
   * in `requeued`; units we asked back but it kept (they started in flight) stay. A
   * unit of which only a tail came back (its first test started while the Reclaim was
   * in flight, on a worker that releases test by test) stays with the worker up to the
   * cut, and is returned in `cut`: once the tests before the cut settle, its tail is
   * queued again. Either order of that start and this release ends the same way.
   * Throws BATON_SCHED_PARTIAL_RELEASE if what came back is not a tail.
   */
  released(workerId: string, tests: readonly string[]): { requeued: UnitRecord[]; cut: UnitRecord[] } {
    const worker = this.worker(workerId);
    const back = new Map<UnitRecord, { count: number; from: number }>();
    for (const test of tests) {
      const t = this.testIndex.get(test);
      if (t === undefined) continue;
      const unit = this.unitOfTest[t] as UnitRecord;
      // A test no longer on this worker (requeued after a death, say) is stale news.
      if (unit.worker !== worker || unit.state === UnitState.Queued || unit.state === UnitState.Done || unit.state === UnitState.Errored) continue;
      const at = t - unit.first;
      if (at < unit.offset || at >= unit.cut || this.settled[t] === 1) continue;
      const entry = back.get(unit);
      if (entry) {
        entry.count++;
        entry.from = Math.min(entry.from, at);
      } else back.set(unit, { count: 1, from: at });
    }
    const requeued: UnitRecord[] = [];
    const cut: UnitRecord[] = [];
    for (const [unit, { count, from }] of back) {
      if (count !== unit.cut - from)
        throw new SchedulerError(
          'BATON_SCHED_PARTIAL_RELEASE',
          `worker "${workerId}" released ${count} tests of unit ${unit.index} that are not the tail from "${unit.tests[from]}"; a worker gives back what it will not run, in order`,
          { worker: workerId, testId: unit.tests[from] },
        );
      if (from === unit.offset && unit.state !== UnitState.Running) requeued.push(unit);
      else {
        unit.cut = from;
        cut.push(unit);
      }
    }
    for (const unit of requeued) this.requeue(unit);
    for (const unit of worker.units) if (unit.state === UnitState.Reclaiming) unit.state = UnitState.Dispatched;
    // A cut whose head already settled (the release came after the finish) is due now.
    return { requeued, cut };
  }

  /**
   * Queues again the tail of a unit cut by a partial release, once every test before
   * the cut has settled; true if it did.
   */
  requeueCut(unit: UnitRecord): boolean {
    if (unit.cut >= unit.tests.length || unit.settled < unit.cut || unit.worker === undefined) return false;
    unit.offset = unit.cut;
    unit.cut = unit.tests.length;
    this.requeue(unit);
    return true;
  }

  /** A worker will leave; returns its units that have not started, to be reclaimed. */
  leave(workerId: string): UnitRecord[] {
    const worker = this.worker(workerId);
    if (worker.session === WorkerSession.Ready) worker.session = WorkerSession.Draining;
    this.closeIfDrained(worker);
    return [...worker.units].filter((u) => u.state === UnitState.Dispatched);
  }

  /** A draining worker that holds nothing more is closed; true if it just closed. */
  closeIfDrained(worker: WorkerRecord): boolean {
    if (worker.session !== WorkerSession.Draining || worker.units.size > 0) return false;
    worker.session = WorkerSession.Closed;
    return true;
  }

  /** A worker vanished: its running test is lost (once), everything else it held is queued again. */
  died(workerId: string): DeathReport {
    const worker = this.worker(workerId);
    if (worker.session === WorkerSession.Lost || worker.session === WorkerSession.Closed) return { lost: undefined, requeued: [] };
    worker.session = WorkerSession.Lost;
    let lost: DeathReport['lost'];
    const requeued: UnitRecord[] = [];
    for (const unit of [...worker.units]) {
      if (unit === worker.running) {
        const t = unit.first + unit.offset - 1;
        // A test whose attempt here failed and that runs again elsewhere is not lost here.
        if (unit.offset > 0 && this.settled[t] === 0 && this.unitOfTest[t] === unit) {
          this.settled[t] = 1;
          unit.settled++;
          unit.lost++;
          lost = { test: unit.tests[unit.offset - 1] as string, unit };
        }
        if (unit.settled === unit.tests.length) {
          this.settle(unit, UnitState.Errored);
          continue;
        }
      }
      unit.cut = unit.tests.length;
      this.requeue(unit);
      requeued.push(unit);
    }
    worker.running = undefined;
    return { lost, requeued };
  }

  /** Moves to the next segment once the running one is settled; returns true if it moved. */
  advance(): boolean {
    if (this.finished || this.openUnits > 0) return false;
    this.current++;
    this.skipEmptySegments();
    return true;
  }

  /**
   * The index of `test` if it is the worker's running test, the next one of
   * its running unit, or the first of the unit sent after it. Workers run
   * what they were sent in order, so comparing a string or two spares nearly
   * every event a lookup by id, which in a big run costs a cache miss or two.
   */
  private expected(worker: WorkerRecord, test: string): number | undefined {
    const running = worker.running;
    if (running) {
      const t = running.first + running.offset;
      if (running.offset > 0 && this.tests[t - 1] === test) return t - 1;
      if (running.offset < running.tests.length && this.tests[t] === test) return t;
    }
    const next = running ? running.nextOnWorker : worker.units.first;
    return next && next.offset === 0 && this.tests[next.first] === test ? next.first : undefined;
  }

  /** Whether the test (by index) finished or was lost. */
  isSettled(t: number): boolean {
    return this.settled[t] === 1;
  }

  /** The index of a test of the run. */
  indexOf(test: string): number | undefined {
    return this.testIndex.get(test);
  }

  /** The unit of a test, by index. */
  unitAt(t: number): UnitRecord {
    return this.unitOfTest[t] as UnitRecord;
  }

  /**
   * The index of a test the worker holds and that has not finished; throws
   * BATON_SCHED_UNKNOWN_TEST otherwise, before anything changed.
   */
  unsettled(worker: WorkerRecord, test: string): number {
    const t = this.expected(worker, test) ?? this.testIndex.get(test);
    if (t === undefined || (this.unitOfTest[t] as UnitRecord).worker !== worker)
      throw new SchedulerError('BATON_SCHED_UNKNOWN_TEST', `test "${test}" was not dispatched to worker "${worker.id}"`, { worker: worker.id, testId: test });
    if (this.settled[t] === 1) throw new SchedulerError('BATON_SCHED_UNKNOWN_TEST', `test "${test}" already finished`, { worker: worker.id, testId: test });
    return t;
  }

  private requeue(unit: UnitRecord): void {
    this.release(unit);
    unit.state = UnitState.Queued;
  }

  private settle(unit: UnitRecord, state: UnitState): void {
    this.release(unit);
    unit.state = state;
    this.open[unit.segment] = (this.open[unit.segment] ?? 0) - 1;
  }

  /** Detaches a unit from its worker. */
  private release(unit: UnitRecord): void {
    const worker = unit.worker;
    if (!worker) return;
    worker.units.delete(unit);
    if (worker.units.size === 0) this.holding--;
    if (worker.running === unit) worker.running = undefined;
    unit.worker = undefined;
  }

  private skipEmptySegments(): void {
    while (this.current < this.segments.length && (this.open[this.current] ?? 0) === 0) this.current++;
  }
}
