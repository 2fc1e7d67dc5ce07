// The timing arithmetic both repositories share; SqliteRepository's fold (fold.ts) repeats
// `nextTiming` as one SQL upsert, and the tests hold the two to the same numbers.
import { FAILING_STATUSES, STATUSES, isFailing, type Timestamp } from '@baton/subunit';
import type { ResultStatus, Timing } from './types.js';

/**
 * Weight of the newest duration in the smoothed estimate. 0.3 follows a real change in a
 * test's speed within three or four runs while one outlier moves the estimate by < 1/3.
 */
export const EWMA_ALPHA = 0.3;

/** @baton/subunit's FAILING_STATUSES as SQL reads them: `(2, 4, 6)`. */
export const FAILING_CODES_SQL: string = `(${FAILING_STATUSES.map(statusToCode).sort().join(', ')})`;

/** The 3-bit subunit code of a status, which is also how SQLite stores it. */
export function statusToCode(status: ResultStatus): number {
  return STATUSES.indexOf(status);
}

/** The status for a stored code. */
export function statusFromCode(code: number): ResultStatus {
  const status = STATUSES[code];
  if (status === undefined || status === 'exists') throw new RangeError(`no result status has code ${code}`);
  return status;
}

/** Microseconds since the epoch: exact in a double until the year 2255, and all Python keeps. */
export function toMicros(t: Timestamp): number {
  return t.seconds * 1e6 + Math.floor(t.nanos / 1000);
}

export function fromMicros(us: number): Timestamp {
  const seconds = Math.floor(us / 1e6);
  return { seconds, nanos: (us - seconds * 1e6) * 1000 };
}

/** `t` cut to whole microseconds, the precision the repository keeps. */
export function atMicros(t: Timestamp): Timestamp {
  return fromMicros(toMicros(t));
}

/** Seconds from start to stop, never negative (clocks of different workers may disagree). */
export function durationSeconds(startUs: number | undefined, stopUs: number | undefined): number | undefined {
  return startUs === undefined || stopUs === undefined ? undefined : Math.max(0, stopUs - startUs) / 1e6;
}

/** What one result contributes to its test's timing. */
export interface TimingUpdate {
  readonly status: ResultStatus;
  readonly duration: number | undefined;
  readonly run: number;
  readonly stopUs: number | undefined;
}

/** The timing after one more result. */
export function nextTiming(prev: Timing | undefined, update: TimingUpdate): Timing {
  const d = update.duration;
  let estimate = prev?.estimate;
  if (d !== undefined) estimate = estimate === undefined ? d : estimate + EWMA_ALPHA * (d - estimate);
  return {
    estimate,
    last: d ?? prev?.last,
    count: (prev?.count ?? 0) + (d === undefined ? 0 : 1),
    failures: (prev?.failures ?? 0) + (isFailing(update.status) ? 1 : 0),
    lastStatus: update.status,
    lastRun: update.run,
    updated: update.stopUs ?? prev?.updated,
  };
}

/**
 * Merges an imported timing into ours. Timings files usually come from CI caches that
 * grew from a common ancestor, so summing counts would count the shared history twice;
 * instead the more recent record wins and counts take the larger side, which also makes
 * importing the same file twice harmless.
 */
export function mergeTiming(ours: Timing | undefined, theirs: Timing): Timing {
  if (ours === undefined) return { ...theirs, lastRun: undefined };
  const theirsNewer = (theirs.updated ?? -Infinity) > (ours.updated ?? -Infinity) ||
    (ours.estimate === undefined && theirs.estimate !== undefined);
  const newer = theirsNewer ? { ...theirs, lastRun: undefined } : ours;
  return {
    ...newer,
    count: Math.max(ours.count, theirs.count),
    failures: Math.max(ours.failures, theirs.failures),
  };
}
