import type { Command, SchedulerEvent, SchedulingPolicy } from '../../events.js';
import { Ledger, WorkerSession, type UnitRecord, type WorkerRecord } from '../../state.js';
import type { PolicyContext } from '../context.js';

/** xdist: "Every worker needs at least 2 tests in queue - the current and the next one." */
export const MIN_PENDING = 2;

/**
 * pytest-xdist's `WorkStealingScheduling` (xdist ≥ 3.2,
 * `src/xdist/scheduler/worksteal.py`), re-implemented over units and run per
 * segment. Count based, no history:
 *
 * 1. Scheduling starts once the initial nodes joined (`numnodes`); later
 *    nodes are added as xdist adds replacement nodes.
 * 2. `check_schedule` runs after every completed unit: idle nodes (fewer than
 *    MIN_PENDING units, the running one included) each get
 *    `len(pending) // nodes_remaining` units from the front of the global queue.
 * 3. If some are still idle and no steal is in flight (one at a time), the
 *    node with the longest queue (by count; the first such) is asked for
 *    `min(len // 2, len - MIN_PENDING)` units from its tail; its answer goes
 *    back to the global queue and is redistributed.
 * 4. If nothing can be stolen the idle nodes are shut down (get no more work).
 * 5. A dead node's first pending unit is the crash item (its running test is
 *    lost); the rest are re-queued; a steal from it is cancelled.
 *
 * Two things xdist has no notion of are mapped as follows: a leaving node is
 * shut down and its unstarted units reclaimed into the global queue; and if
 * units are queued while every node is shut down, the nodes are revived
 * (xdist would hang; a simulation must not lose tests). A segment's
 * concurrency limits it to its first `concurrency` nodes. pytest's habit of
 * holding a node's last test until more arrive is not modelled (it only makes
 * xdist slower).
 */
export class WorkStealPolicy implements SchedulingPolicy {
  private readonly ledger: Ledger;
  private readonly nodes = new Map<string, UnitRecord[]>();
  private readonly shuttingDown = new Set<string>();
  private pending: UnitRecord[] = [];
  private stealFrom: string | undefined;
  private started = false;
  private finishSent = false;

  constructor(private readonly context: PolicyContext) {
    this.ledger = new Ledger(context.segments);
  }

  handle(event: SchedulerEvent, now: number): Command[] {
    const out: Command[] = [];
    const l = this.ledger;
    // xdist runs check_schedule on completions, steal answers, node changes.
    let check = true;
    switch (event.type) {
      case 'workerJoined':
        l.join(event.worker);
        this.nodes.set(event.worker, []);
        if (!this.started && this.nodes.size >= Math.max(1, this.context.initialWorkers)) {
          this.started = true;
          this.loadSegment();
        }
        break;
      case 'workerLeft': {
        this.shuttingDown.add(event.worker);
        const units = l.leave(event.worker);
        if (units.length > 0) out.push(l.reclaim(event.worker, units));
        break;
      }
      case 'workerDied': {
        const report = l.died(event.worker);
        const lost = l.lostCommand(event.worker, report);
        if (lost) out.push(lost);
        const pendingOnNode = this.nodes.get(event.worker) ?? [];
        this.nodes.delete(event.worker);
        const requeued = new Set(report.requeued);
        this.pending.push(...pendingOnNode.filter((u) => requeued.has(u)));
        if (this.stealFrom === event.worker) this.stealFrom = undefined;
        this.afterSettle();
        break;
      }
      case 'testStarted':
        l.started(event.worker, event.test, now);
        check = false;
        break;
      case 'testFinished': {
        const { unit, unitDone, segmentDone } = l.finishedTest(event.worker, event.test, now);
        l.closeIfDrained(l.worker(event.worker));
        check = unitDone;
        if (unitDone) {
          const q = this.nodes.get(event.worker);
          if (q) q.splice(q.indexOf(unit), 1);
        }
        if (segmentDone) this.afterSettle();
        break;
      }
      case 'testsReleased': {
        const released = new Set(l.released(event.worker, event.tests).requeued);
        const q = this.nodes.get(event.worker);
        // Keep the node's order; xdist's `pending.extend(indices)` keeps the stolen order.
        if (q) this.nodes.set(event.worker, q.filter((u) => !released.has(u)));
        this.pending.push(...(q ?? []).filter((u) => released.has(u)));
        if (this.stealFrom === event.worker) this.stealFrom = undefined;
        l.closeIfDrained(l.worker(event.worker));
        break;
      }
      case 'tick':
        check = false;
        break;
    }
    if (this.started && check) this.checkSchedule(out);
    if (l.finished && !this.finishSent) {
      this.finishSent = true;
      out.push({ type: 'finish' });
    }
    return out;
  }

  private afterSettle(): void {
    if (this.ledger.advance()) this.loadSegment();
  }

  private loadSegment(): void {
    // A new segment is a new xdist session: every node up again.
    for (const id of [...this.shuttingDown]) if (this.ledger.workers.get(id)?.session === WorkerSession.Ready) this.shuttingDown.delete(id);
    this.stealFrom = undefined;
    this.pending = this.ledger.finished ? [] : [...(this.ledger.segmentUnits[this.ledger.segment] ?? [])];
  }

  private nodesUp(): [string, UnitRecord[]][] {
    const limit = this.ledger.segments[this.ledger.segment]?.concurrency ?? Infinity;
    // Nodes already holding work count against the limit (a leaving node
    // finishing its unit included); idle nodes fill the remaining places.
    let free = limit - this.ledger.holders;
    const up: [string, UnitRecord[]][] = [];
    for (const [id, q] of this.nodes) {
      if (this.shuttingDown.has(id) || this.ledger.workers.get(id)?.session !== WorkerSession.Ready) continue;
      if (q.length > 0) up.push([id, q]);
      else if (free-- > 0) up.push([id, q]);
    }
    return up;
  }

  private checkSchedule(out: Command[]): void {
    let up = this.nodesUp();
    if (up.length === 0 && this.pending.length > 0) {
      for (const id of [...this.shuttingDown]) if (this.ledger.workers.get(id)?.session === WorkerSession.Ready) this.shuttingDown.delete(id);
      up = this.nodesUp();
    }
    const idle = (): [string, UnitRecord[]][] => up.filter(([, q]) => q.length < MIN_PENDING);
    let idleNodes = idle();
    if (idleNodes.length === 0) return;
    if (this.pending.length > 0) {
      idleNodes.forEach(([id, q], i) => {
        const num = Math.floor(this.pending.length / (idleNodes.length - i));
        const tests = this.pending.splice(0, num);
        if (tests.length > 0) this.send(this.ledger.worker(id), q, tests, out);
      });
      idleNodes = idle();
      if (idleNodes.length === 0) return;
    }
    if (this.stealFrom !== undefined) return;
    let from: [string, UnitRecord[]] | undefined;
    for (const node of up) if (!from || node[1].length > from[1].length) from = node;
    const numSteal = from ? Math.min(Math.floor(from[1].length / 2), Math.max(0, from[1].length - MIN_PENDING)) : 0;
    if (!from || numSteal === 0) {
      for (const [id] of idleNodes) this.shuttingDown.add(id);
      return;
    }
    const stolen = from[1].slice(-numSteal);
    out.push(this.ledger.reclaim(from[0], stolen));
    this.stealFrom = from[0];
  }

  private send(w: WorkerRecord, queue: UnitRecord[], units: readonly UnitRecord[], out: Command[]): void {
    for (const u of units) this.ledger.assign(w, u);
    queue.push(...units);
    out.push({ type: 'dispatch', worker: w.id, units: units.map((u) => this.ledger.view(u)) });
  }
}
