import type { Estimator } from './estimates.js';
import type { Ledger, UnitRecord } from './state.js';

/**
 * The estimate baton schedules each unit by: the sum of the estimates of the tests it
 * has left to run. Those of units with tests without history move as the run learns;
 * they are read again now and then (`refreshDue`), not on every event.
 */
export class UnitEstimates {
  /** By unit index: the estimate (speed-1 seconds) of what the unit has left to run, as last read. */
  readonly estimates: Float64Array;
  /** By unit index: 1 when a test of the unit has no history, so its estimate moves as the run learns. */
  readonly unknown: Uint8Array;
  private readonly estimator: Estimator;
  /** By unit index, the tests it has left to run (`from` up to `to`, by run index). */
  private readonly from: Int32Array;
  private readonly to: Int32Array;
  private revisionSeen = 0;

  constructor(ledger: Ledger, estimator: Estimator) {
    const n = ledger.units.length;
    this.estimator = estimator;
    this.estimates = new Float64Array(n);
    this.unknown = new Uint8Array(n);
    this.from = new Int32Array(n);
    this.to = new Int32Array(n);
    for (const u of ledger.units) {
      this.from[u.index] = u.first;
      this.to[u.index] = u.first + u.tests.length;
      for (let t = u.first; t < u.first + u.tests.length; t++) if (!estimator.hasHistoryAt(t)) this.unknown[u.index] = 1;
    }
  }

  /** Reads a unit's estimate from where it resumes (after a death, past its lost test). */
  read(unit: UnitRecord): number {
    this.from[unit.index] = unit.first + unit.offset;
    return (this.estimates[unit.index] = this.remaining(unit.index));
  }

  /**
   * True when enough neighbours of tests without history finished that the estimates
   * of open units should be read again. The threshold grows with the number of open
   * (unsettled) units of the segment, so the O(open) pass costs O(1) amortised per
   * finished test; early observations change estimates most, so it comes after 8,
   * 12, 18… observations, then every open/32.
   */
  refreshDue(openUnits: number): boolean {
    const rev = this.estimator.revision;
    if (rev - this.revisionSeen < Math.max(8, Math.min(openUnits >> 5, rev >> 1))) return false;
    this.revisionSeen = rev;
    return true;
  }

  /** What a unit's estimate would be if read now. */
  remaining(u: number): number {
    let sum = 0;
    for (let t = this.from[u] as number; t < (this.to[u] as number); t++) sum += this.estimator.estimateAt(t);
    return sum;
  }
}
