import type { Segment } from '../plan.js';

/** What a policy may know before the run: the same facts each real tool would have. */
export interface PolicyContext {
  readonly segments: readonly Segment[];
  /** Historic durations (the workload's `estimate`s). */
  readonly history: ReadonlyMap<string, number>;
  /** The planned workers, in workload order (static partitions map onto these). */
  readonly workers: readonly string[];
  /** How many workers are there at the start (xdist's `numnodes`; baton's `expectedWorkers`). */
  readonly initialWorkers: number;
  /** One-way message latency, as configured. */
  readonly latency: number;
  /** Every test in discovery order (the workload's order). */
  readonly discovery: readonly string[];
  /** What a fresh test process costs, as configured. */
  readonly freshProcess: number | undefined;
}
