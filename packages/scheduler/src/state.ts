import { SchedulerError } from './errors.js';
import type { DispatchedUnit, Lost, Reclaim } from './events.js';
import type { Segment } from './plan.js';

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
  state: UnitState;
  worker: WorkerRecord | undefined;
  /** Index of the first test not yet started; the unit resumes here after a death. */
  offset: number;
  /** Tests finished or lost. */
  settled: number;
  /** Tests lost with a dead worker. */
  lost: number;
  /** Policy-owned: the estimate the policy works with (at dispatch, for a dispatched unit). */
  estimate: number;
  /** Policy-owned: breaks ties between equal estimates. */
  rank: number;
}

/** One worker (execution slot). */
export interface WorkerRecord {
  readonly id: string;
  session: WorkerSession;
  /** Units held, in dispatch order: dispatched, reclaiming or running. */
  readonly units: Set<UnitRecord>;
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
  readonly units: readonly UnitRecord[];
  /** Units of each segment, in plan order. */
  readonly segmentUnits: readonly (readonly UnitRecord[])[];
  private readonly unitOf = new Map<string, { unit: UnitRecord; pos: number }>();
  private readonly settledTests = new Set<string>();
  private readonly open: number[];
  private readonly workerMap = new Map<string, WorkerRecord>();
  private current = 0;
  private holding = 0;

  constructor(segments: readonly Segment[]) {
    this.segments = segments;
    const units: UnitRecord[] = [];
    this.segmentUnits = segments.map((segment, s) =>
      segment.units.map((tests) => {
        const unit: UnitRecord = { index: units.length, segment: s, tests, state: UnitState.Queued, worker: undefined, offset: 0, settled: 0, lost: 0, estimate: 0, rank: units.length };
        tests.forEach((test, pos) => {
          if (this.unitOf.has(test)) throw new SchedulerError('BATON_SCHED_DUPLICATE_TEST', `test "${test}" appears twice in the run`, { testId: test });
          this.unitOf.set(test, { unit, pos });
        });
        units.push(unit);
        return unit;
      }),
    );
    this.units = units;
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
    const w: WorkerRecord = { id, session: WorkerSession.Ready, units: new Set(), running: undefined, runningSince: 0 };
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
    const { unit, pos } = this.held(worker, test);
    if (this.settledTests.has(test)) throw new SchedulerError('BATON_SCHED_UNKNOWN_TEST', `test "${test}" already finished`, { worker: workerId, testId: test });
    unit.state = UnitState.Running;
    unit.offset = Math.max(unit.offset, pos + 1);
    worker.running = unit;
    worker.runningSince = now;
    return unit;
  }

  /**
   * A worker finished a test. Returns the unit and whether it, and the
   * segment, are now settled. A missing TestStarted is implied.
   */
  finishedTest(workerId: string, test: string, now: number): { unit: UnitRecord; unitDone: boolean; segmentDone: boolean } {
    const worker = this.worker(workerId);
    const { unit, pos } = this.held(worker, test);
    if (pos >= unit.offset || worker.running !== unit) this.started(workerId, test, now);
    if (this.settledTests.has(test)) throw new SchedulerError('BATON_SCHED_UNKNOWN_TEST', `test "${test}" already finished`, { worker: workerId, testId: test });
    this.settledTests.add(test);
    unit.settled++;
    const unitDone = unit.settled === unit.tests.length;
    if (unitDone) this.settle(unit, unit.lost > 0 ? UnitState.Errored : UnitState.Done);
    return { unit, unitDone, segmentDone: unitDone && this.open[unit.segment] === 0 };
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
   * A worker gave tests back. Units it released whole are queued again and
   * returned; units we asked back but it kept (they started in flight) stay.
   * Throws BATON_SCHED_PARTIAL_RELEASE if only part of a unit came back.
   */
  released(workerId: string, tests: readonly string[]): UnitRecord[] {
    const worker = this.worker(workerId);
    const count = new Map<UnitRecord, number>();
    for (const t of tests) {
      const entry = this.unitOf.get(t);
      // A test no longer on this worker (requeued after a death, say) is stale news.
      if (!entry || entry.unit.worker !== worker || (entry.unit.state !== UnitState.Dispatched && entry.unit.state !== UnitState.Reclaiming)) continue;
      if (entry.pos < entry.unit.offset) continue;
      count.set(entry.unit, (count.get(entry.unit) ?? 0) + 1);
    }
    for (const [unit, n] of count)
      if (n !== unit.tests.length - unit.offset)
        throw new SchedulerError(
          'BATON_SCHED_PARTIAL_RELEASE',
          `worker "${workerId}" released ${n} of the ${unit.tests.length - unit.offset} tests of unit ${unit.index}; a unit is released whole or not at all`,
          { worker: workerId, testId: unit.tests[unit.offset] },
        );
    for (const unit of count.keys()) this.requeue(unit);
    for (const unit of worker.units) if (unit.state === UnitState.Reclaiming) unit.state = UnitState.Dispatched;
    return [...count.keys()];
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
        const test = unit.tests[unit.offset - 1];
        if (test !== undefined && !this.settledTests.has(test)) {
          this.settledTests.add(test);
          unit.settled++;
          unit.lost++;
          lost = { test, unit };
        }
        if (unit.settled === unit.tests.length) {
          this.settle(unit, UnitState.Errored);
          continue;
        }
      }
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

  /** The unit a test belongs to, and its position in it. */
  locate(test: string): { readonly unit: UnitRecord; readonly pos: number } | undefined {
    return this.unitOf.get(test);
  }

  private held(worker: WorkerRecord, test: string): { unit: UnitRecord; pos: number } {
    const entry = this.unitOf.get(test);
    if (!entry || entry.unit.worker !== worker)
      throw new SchedulerError('BATON_SCHED_UNKNOWN_TEST', `test "${test}" was not dispatched to worker "${worker.id}"`, { worker: worker.id, testId: test });
    return entry;
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
    if (worker.units.delete(unit) && worker.units.size === 0) this.holding--;
    if (worker.running === unit) worker.running = undefined;
    unit.worker = undefined;
  }

  private skipEmptySegments(): void {
    while (this.current < this.segments.length && (this.open[this.current] ?? 0) === 0) this.current++;
  }
}
