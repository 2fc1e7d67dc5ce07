import type { Command, SchedulerEvent, SchedulingPolicy } from '../../events.js';
import type { Unit } from '../../groups.js';
import { Ledger, WorkerSession, type UnitRecord, type WorkerRecord } from '../../state.js';
import type { PolicyContext } from '../context.js';

/** Splits a segment's units into `count` partitions (unit indices). */
export type Partitioner = (units: readonly Unit[], count: number) => number[][];

/**
 * Runs static partitions the way a CI matrix of stestr or round-robin shards
 * does: at the start of each segment the units are split into
 * min(concurrency, planned workers still around) partitions, each sent whole
 * to its planned worker when that worker is there. Nothing moves afterwards,
 * except that a shard whose worker left or died is handed whole to the first
 * worker that is free (as a CI retry of the shard would), so no test is lost.
 */
export class StaticPolicy implements SchedulingPolicy {
  private readonly ledger: Ledger;
  private readonly gone = new Set<string>();
  private readonly waiting = new Map<string, UnitRecord[]>();
  private orphans: UnitRecord[] = [];
  private finishSent = false;

  constructor(
    private readonly context: PolicyContext,
    private readonly partition: Partitioner,
  ) {
    this.ledger = new Ledger(context.segments);
    this.startSegment();
  }

  handle(event: SchedulerEvent, now: number): Command[] {
    const out: Command[] = [];
    const l = this.ledger;
    switch (event.type) {
      case 'workerJoined': {
        const w = l.join(event.worker);
        const part = this.waiting.get(w.id);
        this.waiting.delete(w.id);
        if (part) this.send(w, part, out);
        break;
      }
      case 'workerLeft': {
        this.gone.add(event.worker);
        const units = l.leave(event.worker);
        if (units.length > 0) out.push(l.reclaim(event.worker, units));
        break;
      }
      case 'workerDied': {
        this.gone.add(event.worker);
        const report = l.died(event.worker);
        const lost = l.lostCommand(event.worker, report);
        if (lost) out.push(lost);
        this.orphans.push(...report.requeued);
        this.settled(out);
        break;
      }
      case 'testStarted':
        l.started(event.worker, event.test, now);
        break;
      case 'testFinished': {
        const { segmentDone } = l.finishedTest(event.worker, event.test, now);
        l.closeIfDrained(l.worker(event.worker));
        if (segmentDone) this.settled(out);
        break;
      }
      case 'testsReleased':
        this.orphans.push(...l.released(event.worker, event.tests).requeued);
        l.closeIfDrained(l.worker(event.worker));
        break;
      case 'tick':
        break;
    }
    this.adoptOrphans(out);
    if (l.finished && !this.finishSent) {
      this.finishSent = true;
      out.push({ type: 'finish' });
    }
    return out;
  }

  private settled(out: Command[]): void {
    if (this.ledger.advance()) {
      this.startSegment();
      for (const [id, part] of this.waiting) {
        const w = this.ledger.workers.get(id);
        if (w?.session === WorkerSession.Ready) {
          this.waiting.delete(id);
          this.send(w, part, out);
        }
      }
    }
  }

  private startSegment(): void {
    this.waiting.clear();
    this.orphans = [];
    if (this.ledger.finished) return;
    const segment = this.ledger.segments[this.ledger.segment];
    const units = this.ledger.segmentUnits[this.ledger.segment] ?? [];
    const planned = this.context.workers.filter((w) => !this.gone.has(w));
    if (planned.length === 0) {
      this.orphans = [...units];
      return;
    }
    const count = Math.max(1, Math.min(segment?.concurrency ?? Infinity, planned.length));
    const parts = this.partition(
      units.map((u) => u.tests),
      count,
    );
    parts.forEach((part, p) => {
      if (part.length > 0) this.waiting.set(planned[p] as string, part.map((i) => units[i] as UnitRecord));
    });
  }

  private adoptOrphans(out: Command[]): void {
    if (this.orphans.length === 0) return;
    const limit = this.ledger.segments[this.ledger.segment]?.concurrency ?? Infinity;
    if (this.ledger.holders >= limit) return;
    for (const w of this.ledger.workers.values())
      if (w.session === WorkerSession.Ready && w.units.size === 0 && !this.waiting.has(w.id)) {
        const units = this.orphans;
        this.orphans = [];
        this.send(w, units, out);
        return;
      }
  }

  private send(w: WorkerRecord, units: readonly UnitRecord[], out: Command[]): void {
    for (const u of units) this.ledger.assign(w, u);
    out.push({ type: 'dispatch', worker: w.id, units: units.map((u) => this.ledger.view(u)) });
  }
}
