// When is a run of passes evidence enough that a set of tests does not make a flaky test
// fail? A set that does make it fail does so at some rate q per execution, known only from
// what was seen; after n passes in a row the chance that such a set still makes it fail is
// E[(1-q)^n] over what q may be. With q ~ Beta(f + 1, p + 1), the posterior of f failures
// and p passes under a uniform prior, that is the product below: wide while little was
// seen, so a set needs more passes to be cleared early in a bisection than late.
import type { BisectEvidence } from '@baton/store';

/**
 * What clears a candidate: passes enough for a confidence (0 < c < 1) at the failure rate
 * seen, or, `DETERMINISTIC`, a single pass: for failures that happen every time the tests
 * that cause them ran before (testr's and stestr's `--analyze-isolation`).
 */
export type Clearance = number | typeof DETERMINISTIC;

/** One pass clears a candidate (see Clearance). */
export const DETERMINISTIC = 'deterministic';

/** The chance of `passes` passes in a row from a set that makes the test fail at the rate `seen` shows. */
export function chanceOfPasses(passes: number, seen: BisectEvidence): number {
  const a = seen.failures + 1;
  const b = seen.runs - seen.failures + 1;
  let chance = 1;
  for (let i = 0; i < passes; i++) chance *= (b + i) / (a + b + i);
  return chance;
}

/**
 * How many passes in a row clear a set with `confidence` (0 < confidence < 1): the fewest
 * whose chance from a set that makes the test fail is at most 1 - confidence. One when
 * failures are deterministic.
 */
export function passesNeeded(confidence: Clearance, seen: BisectEvidence): number {
  if (confidence === DETERMINISTIC) return 1;
  const a = seen.failures + 1;
  const b = seen.runs - seen.failures + 1;
  // Rounding (of 1 - 0.9, and in the product) must not cost a pass when the chance lands on the bound.
  const bound = (1 - confidence) * (1 + 1e-9);
  let chance = 1;
  let passes = 0;
  for (; chance > bound; passes++) chance *= (b + passes) / (a + b + passes);
  return passes;
}
