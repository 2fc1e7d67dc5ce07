/**
 * The numbers and formulas of baton's dispatch policy, apart from the
 * bookkeeping, so that each can be read and tested on its own.
 */

/**
 * Guided self-scheduling divides the remaining work by `GUIDED_FACTOR × workers`
 * (Polychronopoulos & Kuck's GSS uses 1; factoring uses 2): big batches of
 * cheap tests early, single tests near the end, so per-message overhead stays
 * low without a tail of over-committed workers.
 */
export const GUIDED_FACTOR = 2;
/**
 * Units without history get smaller batches (factoring shrinks batches as the
 * variance of task times grows): less work is committed blind, and the
 * neighbour estimates learnt from the first results reorder the rest.
 */
export const GUIDED_FACTOR_UNKNOWN = 8;
/**
 * A lane with history is sent guided batches of at most this many times the average
 * ready worker's share of all queued work, however much more it holds.
 */
export const LANE_SHARE_CAP = 2;
/** Keep this many round trips of queued work on a worker, so it never waits for the next message. */
export const PREFETCH_ROUND_TRIPS = 1.5;
/** A worker whose queue fell below one prefetch horizon is filled up to this many. */
export const PREFETCH_REFILL = 2;
/** Taking work back costs a reclaim, the worker's answer and a new dispatch: one and a half round trips. */
export const STEAL_ROUND_TRIPS = 1.5;
/**
 * What continuing on a fresh test process costs a worker, until the caller says: a fork
 * of the fork server (measured at 10–20 ms on the Python server) and the class and
 * module fixtures of what it runs set up again.
 */
export const FRESH_PROCESS_SECONDS = 0.05;
/**
 * A planned lane starts with its longest unit when the work before that unit in
 * discovery order is at least this many fresh processes (what wrapping round costs).
 */
export const LEAD_MIN_FRESH_PROCESSES = 4;
/**
 * A running unit that reaches this many times its estimated time (and again at each
 * doubling since its start) makes idle workers look again at what its worker holds.
 */
export const OVERRUN_WAKE_FACTOR = 2;
/**
 * While worker speeds are unknown, a unit whose estimate is at least this fraction of
 * the planned run is held back until results show which workers are fast: on a worker
 * a quarter as fast (fleets mix machines three times apart) it alone would make the run longer.
 */
export const PROBE_CRITICAL_FRACTION = 0.25;
/** Held-back units are placed once this fraction of the workers has a measured speed … */
export const PROBE_QUORUM = 0.125;
/** … or once they have waited this fraction of the longest one's estimate. */
export const PROBE_WAIT_FRACTION = 0.02;
/**
 * Lanes planned before speeds were known are levelled when the held-back units are placed,
 * once this fraction of the workers has a result of its own, and each time the rest halves.
 */
export const LEVEL_MEASURED = 0.5;
/** A lane gives work to others when its worker would end it this much after the level. */
export const LEVEL_MARGIN = 0.1;
/** How often one unit may be taken back to move elsewhere. */
export const MAX_UNIT_STEALS = 4;
/** The round trip assumed until one is measured. */
export const DEFAULT_ROUND_TRIP_SECONDS = 0.01;
/** Weight of a new round-trip sample in the moving average. */
export const ROUND_TRIP_SMOOTHING = 0.25;

/**
 * How much estimated work (speed-1 seconds) to send a worker now: its guided
 * share of the queue (`queued × share / factor`, where share is its fraction
 * of the total speed) less what it is still busy with (`runningWork`, the rest
 * of its running unit, and `heldWork`, its unstarted units), but at least
 * enough to fill it up to PREFETCH_REFILL horizons — unless its running unit
 * alone covers the horizon, when it may get nothing (≤ 0). The caller asks only
 * once what it holds fell below one horizon: filling to exactly one horizon
 * would send one test per finished test wherever tests are shorter than the
 * round trip (measured: 70,000 one-test Runs for 100,000 no-op tests on 10
 * workers), each Run a message, a Done and a turn of the slot.
 * `unknown`: the units at the head of the queue have no history.
 */
export function batchTarget(queuedWork: number, share: number, horizonWork: number, heldWork: number, runningWork: number, unknown: boolean): number {
  const guided = (queuedWork * share) / (unknown ? GUIDED_FACTOR_UNKNOWN : GUIDED_FACTOR) - runningWork - heldWork;
  const prefetch = runningWork >= horizonWork ? 0 : PREFETCH_REFILL * horizonWork - heldWork;
  return Math.max(guided, prefetch);
}

/**
 * Which units an idle thief takes from a victim, given the victim's backlog (seconds
 * until it would finish everything), both slownesses (seconds per estimated second),
 * the delay before the thief could start each candidate (`delayOf(i)`: a Reclaim's
 * round trip, a fresh process), and the candidates' estimates, longest first. Best fit
 * decreasing: each candidate is taken if it lowers the later of the two finish times,
 * so the long unit in the middle of a lane moves if that is what balances, and an
 * unhelpful steal is never made. Returns the indices taken.
 */
export function stealChoice(
  backlog: number,
  victimSlowness: number,
  thiefSlowness: number,
  delayOf: (i: number) => number,
  estimates: readonly number[],
): number[] {
  const taken: number[] = [];
  let moved = 0;
  let delay = 0;
  let best = backlog;
  for (let i = 0; i < estimates.length; i++) {
    const next = moved + (estimates[i] as number);
    const d = Math.max(delay, delayOf(i));
    const finish = Math.max(backlog - next * victimSlowness, d + next * thiefSlowness);
    if (finish >= best) continue;
    best = finish;
    moved = next;
    delay = d;
    taken.push(i);
  }
  return taken;
}
