import type { Segment } from './plan.js';
import type { UnitRecord } from './state.js';

/**
 * The run's segments with each unit's tests in discovery order, and the discovery rank
 * of every unit's first test: what keeps each test process moving forward. A test the
 * discovery list does not name ranks after every named one, in the run's order.
 */
export function rankUnits(
  segments: readonly Segment[],
  discovery: readonly string[] | undefined,
): { segments: readonly Segment[]; unitRanks(units: readonly UnitRecord[]): Int32Array; rankOf(test: string): number } {
  const ranks = new Map<string, number>();
  if (discovery !== undefined) discovery.forEach((id, i) => ranks.set(id, i));
  let next = discovery?.length ?? 0;
  for (const s of segments) for (const u of s.units) for (const id of u) if (!ranks.has(id)) ranks.set(id, next++);
  const rankOf = (id: string): number => ranks.get(id) as number;
  const sorted =
    discovery === undefined
      ? segments
      : segments.map((s) => ({ ...s, units: s.units.map((u) => (isSorted(u, rankOf) ? u : [...u].sort((a, b) => rankOf(a) - rankOf(b)))) }));
  return {
    segments: sorted,
    rankOf,
    unitRanks: (units) => {
      const out = new Int32Array(units.length);
      for (const u of units) out[u.index] = rankOf(u.tests[0] as string);
      return out;
    },
  };
}

function isSorted(tests: readonly string[], rankOf: (id: string) => number): boolean {
  for (let i = 1; i < tests.length; i++) if (rankOf(tests[i - 1] as string) > rankOf(tests[i] as string)) return false;
  return true;
}
