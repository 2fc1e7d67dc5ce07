import type { RunSummary } from '@baton/coordinator';

/**
 * How close a run came to the best possible: its lower bound (from the tests' own
 * durations) over its wall time, 1 at best; undefined when either is unknown.
 */
export function efficiency(summary: RunSummary): number | undefined {
  if (summary.lowerBoundMs === undefined || summary.wallMs <= 0) return undefined;
  return summary.lowerBoundMs / summary.wallMs;
}

/** How many times faster than its baseline (the last run of its tests without history) the run was. */
export function speedup(summary: RunSummary): number | undefined {
  if (summary.baseline === undefined || summary.wallMs <= 0) return undefined;
  return summary.baseline.wallMs / summary.wallMs;
}
