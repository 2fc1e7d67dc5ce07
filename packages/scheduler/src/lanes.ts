import type { UnitRecord, WorkerRecord } from './state.js';

/** Ranks at or beyond a lane's lead sort before those behind it by this much. */
const WRAP = 1 << 30;

/**
 * The units one worker's test process is to run, in discovery order. A lane is
 * consumed from its head, so its worker's process only ever moves forward; an idle
 * worker may take any of a lane's queued units (a steal), which leaves the rest in
 * order. A lane with no owner (its worker left or died, or never came) is adopted
 * whole by the next worker that runs dry.
 *
 * A lane may be led by its longest unit: it starts there and runs to the end of
 * discovery order, then wraps round, on a fresh process, to the units that come
 * before it. Each process still only moves forward, and the longest unit starts
 * first, so an estimate that proves far too low (stale history) costs the least.
 */
export interface Lane {
  owner: WorkerRecord | undefined;
  /** Unit indices sorted by rank; entries before `head`, or no longer in this lane, are skipped. */
  units: number[];
  head: number;
  /** Estimated speed-1 work of its queued units. */
  work: number;
  /** Its queued units. */
  count: number;
  /** Discovery rank of the unit that leads it; -1 once it has wrapped round, or if none leads. */
  lead: number;
}

/**
 * Every lane of the running segment and which lane holds each queued unit. The
 * scheduler decides what goes where; this keeps the books (work and counts per lane)
 * and the order.
 */
export class Lanes {
  readonly all: Lane[] = [];
  /** Estimated speed-1 work of every lane's queued units. */
  total = 0;
  /** By unit index: the lane holding it while it is queued, or undefined. */
  private readonly laneOf: (Lane | undefined)[];
  private readonly rank: Int32Array;
  private readonly estimates: Float64Array;

  constructor(units: readonly UnitRecord[], rank: Int32Array, estimates: Float64Array) {
    this.rank = rank;
    this.estimates = estimates;
    this.laneOf = new Array<Lane | undefined>(units.length).fill(undefined);
  }

  /** Drops every lane (a new segment starts). */
  clear(): void {
    for (const lane of this.all) for (let i = lane.head; i < lane.units.length; i++) this.laneOf[lane.units[i] as number] = undefined;
    this.all.length = 0;
    this.total = 0;
  }

  /** A new lane holding `units` (queued unit indices, any order), led by the unit `lead` if given. */
  create(owner: WorkerRecord | undefined, units: readonly number[], lead?: number): Lane {
    const lane: Lane = { owner, units: [], head: 0, work: 0, count: 0, lead: lead === undefined ? -1 : (this.rank[lead] as number) };
    this.all.push(lane);
    this.add(lane, units);
    return lane;
  }

  /** Leads a lane by one of its queued units from now on (see Lane). */
  lead(lane: Lane, unit: number): void {
    lane.lead = this.rank[unit] as number;
    this.order(lane, this.live(lane));
  }

  /** The lane holding a queued unit. */
  of(unit: number): Lane | undefined {
    return this.laneOf[unit];
  }

  /** Moves queued units into `lane`, keeping it in discovery order. */
  add(lane: Lane, units: readonly number[]): void {
    if (units.length === 0) return;
    for (const u of units) {
      this.detach(u);
      this.laneOf[u] = lane;
      lane.work += this.estimates[u] as number;
      this.total += this.estimates[u] as number;
      lane.count++;
    }
    this.order(lane, this.live(lane).concat(units));
  }

  /** Makes `units` the lane's queue, in discovery order from its lead. */
  private order(lane: Lane, units: number[]): void {
    const key = (u: number): number => {
      const r = this.rank[u] as number;
      return r >= lane.lead ? r : r + WRAP;
    };
    units.sort((a, b) => key(a) - key(b));
    lane.units = units;
    lane.head = 0;
  }

  /**
   * Takes units from the head of the lane, in discovery order, until their estimates
   * reach `target` (at least one unit), and before a unit that would take them past `cap`;
   * returns them, no longer in any lane. A batch stops where a led lane wraps round, so
   * that no Run mixes the two processes' work.
   */
  take(lane: Lane, target: number, cap: number = Infinity): number[] {
    const out: number[] = [];
    let taken = 0;
    while (lane.head < lane.units.length && (taken < target || out.length === 0)) {
      const u = lane.units[lane.head] as number;
      if (this.laneOf[u] !== lane) {
        lane.head++;
        continue;
      }
      if (out.length > 0 && taken + (this.estimates[u] as number) > cap) break;
      if ((this.rank[u] as number) < lane.lead) {
        if (out.length > 0) break;
        // Wrapped round: the rest is in plain discovery order.
        lane.lead = -1;
      }
      lane.head++;
      taken += this.estimates[u] as number;
      this.detach(u);
      out.push(u);
    }
    return out;
  }

  /** Takes a queued unit out of its lane (it was stolen or dispatched). */
  detach(unit: number): void {
    const lane = this.laneOf[unit];
    if (lane === undefined) return;
    this.laneOf[unit] = undefined;
    lane.work -= this.estimates[unit] as number;
    this.total -= this.estimates[unit] as number;
    lane.count--;
    if (lane.count === 0) {
      lane.work = 0;
      lane.units = [];
      lane.head = 0;
    }
  }

  /** The queued units of a lane, in discovery order. */
  live(lane: Lane): number[] {
    const out: number[] = [];
    for (let i = lane.head; i < lane.units.length; i++) {
      const u = lane.units[i] as number;
      if (this.laneOf[u] === lane) out.push(u);
    }
    return out;
  }

  /** The first queued unit of a lane (skipping what left it), or undefined when it is empty. */
  head(lane: Lane): number | undefined {
    while (lane.head < lane.units.length && this.laneOf[lane.units[lane.head] as number] !== lane) lane.head++;
    return lane.units[lane.head];
  }

  /** Sets a queued unit's estimate, keeping its lane's work in step. */
  setEstimate(unit: number, estimate: number): void {
    const lane = this.laneOf[unit];
    if (lane !== undefined) {
      lane.work += estimate - (this.estimates[unit] as number);
      this.total += estimate - (this.estimates[unit] as number);
    }
    this.estimates[unit] = estimate;
  }
}
