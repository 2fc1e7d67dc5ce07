import type { Estimator } from './estimates.js';
import type { Chain } from './neighbours.js';
import { mulberry32, randomInt } from './rng.js';
import { UnitState, type Ledger, type UnitRecord } from './state.js';
import { UnitQueue } from './unitQueue.js';

/**
 * The estimate baton schedules each unit by, and the queue of the running
 * segment's units in that order, longest first. A unit's estimate is read when
 * it is queued; those of units with tests without history are read again now
 * and then (`refresh`), as the run learns, rather than on every event.
 */
export class UnitEstimates {
  /** By unit index: the estimate (speed-1 seconds) of what the unit has left to run, as last read. */
  readonly estimates: Float64Array;
  /** By unit index: 1 when a test of the unit has no history, so its estimate moves as the run learns. */
  readonly unknown: Uint8Array;
  /** The running segment's queued units (by index); `take` also keeps `queuedWork`. */
  readonly queue: UnitQueue;
  /** The estimated work queued, in speed-1 seconds. */
  queuedWork = 0;
  private readonly estimator: Estimator;
  /**
   * By unit index, the tests it has left to run (`from` up to `to`, by run
   * index), set when it is queued: refreshes read these, not the unit records.
   */
  private readonly from: Int32Array;
  private readonly to: Int32Array;
  /**
   * What a refresh re-reads a queued unit's estimate from, when that is
   * simply the neighbours of its one test (most units, in a run without
   * history): by unit, an index into `chains`, or -1. The queue keeps a copy
   * next to each unit, so a refresh does not look them up. Found at the first
   * refresh, which many runs never reach, rather than before the first test.
   */
  private readonly sources: Int32Array;
  private readonly chains: Chain[] = [];
  private sourced = false;
  private readonly ledger: Ledger;
  private revisionSeen = 0;

  constructor(ledger: Ledger, estimator: Estimator, seed: number) {
    const n = ledger.units.length;
    this.ledger = ledger;
    this.estimator = estimator;
    this.estimates = new Float64Array(n);
    this.unknown = new Uint8Array(n);
    this.from = new Int32Array(n);
    this.to = new Int32Array(n);
    this.sources = new Int32Array(n).fill(-1);
    for (const u of ledger.units) {
      this.to[u.index] = u.first + u.tests.length;
      for (let t = u.first; t < u.first + u.tests.length; t++) if (!estimator.hasHistoryAt(t)) this.unknown[u.index] = 1;
    }
    // Tests without history share estimates (a class, a suite median), and
    // in id order a whole class would go to one worker and run in a row. A
    // seeded shuffle of ties spreads siblings, so the first to finish teaches
    // the estimates of the rest while they are still in the queue.
    const rng = mulberry32(seed);
    const ranks = new Int32Array(n);
    for (let i = 0; i < n; i++) ranks[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = randomInt(rng, i + 1);
      const r = ranks[i] as number;
      ranks[i] = ranks[j] as number;
      ranks[j] = r;
    }
    this.queue = new UnitQueue(this.estimates, ranks, this.sources);
  }

  /** Queues the units of a segment that starts. */
  load(units: readonly UnitRecord[]): void {
    this.queuedWork = 0;
    for (const u of units) this.queuedWork += this.estimates[u.index] = this.read(u);
    this.queue.rebuild(units.filter((u) => u.state === UnitState.Queued).map((u) => u.index));
    this.revisionSeen = this.estimator.revision;
  }

  /** Queues a unit again (taken back, or left by a dead worker). */
  enqueue(unit: UnitRecord): void {
    this.queuedWork += this.estimates[unit.index] = this.read(unit);
    this.queue.push(unit.index);
  }

  /** Takes the longest queued unit, or undefined. */
  take(): number | undefined {
    const u = this.queue.pop();
    if (u !== undefined) this.queuedWork -= this.estimates[u] as number;
    return u;
  }

  /**
   * Re-reads the estimates of queued units without full history once enough
   * of their neighbours have finished; true if it did, and the caller should
   * `reestimate` the units it dispatched too. The threshold grows with the
   * number of open (unsettled) units of the segment, so the O(queue) pass
   * costs O(1) amortised per finished test.
   */
  refresh(openUnits: number): boolean {
    const rev = this.estimator.revision;
    // Early observations change estimates most, so refresh after 8, 12, 18…
    // observations, then every open/32.
    if (rev - this.revisionSeen < Math.max(8, Math.min(openUnits >> 5, rev >> 1))) return false;
    this.revisionSeen = rev;
    if (!this.sourced) this.findSources();
    this.rereadQueued();
    return true;
  }

  /** Re-reads a dispatched unit's estimate; returns how much it grew. */
  reestimate(u: number): number {
    const e = this.remaining(u);
    const delta = e - (this.estimates[u] as number);
    this.estimates[u] = e;
    return delta;
  }

  private findSources(): void {
    this.sourced = true;
    const ids = new Map<Chain, number>();
    for (const u of this.ledger.units) {
      if (u.tests.length !== 1 || !this.unknown[u.index]) continue;
      const chain = this.estimator.chainAt(u.first);
      // Tests come a class at a time: most often the chain just seen.
      let id = this.chains[this.chains.length - 1] === chain ? this.chains.length - 1 : ids.get(chain);
      if (id === undefined) ids.set(chain, (id = this.chains.push(chain) - 1));
      this.sources[u.index] = id;
    }
    this.queue.reloadSources();
  }

  private rereadQueued(): void {
    const queue = this.queue;
    // Each source once, then a tight walk of the queue.
    const values = new Float64Array(this.chains.length);
    for (let c = 0; c < values.length; c++) values[c] = this.estimator.chainEstimate(this.chains[c] as Chain);
    this.queuedWork = 0;
    for (let i = 1; i <= queue.size; i++) {
      const source = queue.sourceAt(i);
      if (source >= 0) queue.setKeyAt(i, values[source] as number);
      else if (this.unknown[queue.unitAt(i)]) queue.setKeyAt(i, this.remaining(queue.unitAt(i)));
      this.queuedWork += queue.keyAt(i);
    }
    queue.reorder();
  }

  private read(unit: UnitRecord): number {
    this.from[unit.index] = unit.first + unit.offset;
    return this.remaining(unit.index);
  }

  private remaining(u: number): number {
    let sum = 0;
    for (let t = this.from[u] as number; t < (this.to[u] as number); t++) sum += this.estimator.estimateAt(t);
    return sum;
  }
}
