import type { StoredResult } from '@baton/store';

/** What the failing test's process ran before it. */
export interface Prefix {
  /** The tests, in the order they ran. */
  readonly tests: readonly string[];
  /** Results before it on its worker that name no test of the project (a fixture's error holder, a test since removed): not run again. */
  readonly unknown: readonly string[];
}

/**
 * The tests that the process which ran `target` ran before it, as the repository recorded
 * them: its worker's results (a `baton run` slot, a stestr `worker-N`), in their order,
 * back to where that worker's process started. A process runs its tests in increasing
 * discovery order, so an earlier result that comes at or after the next one in discovery
 * order ran in an earlier process (a slot's fresh process for going back, or a test
 * retried). `discovery` is each test's position in the project's discovery order.
 */
export function prefixOf(results: readonly StoredResult[], target: StoredResult, discovery: ReadonlyMap<string, number>): Prefix {
  const before = results.filter((r) => r.worker === target.worker && r.seq < target.seq).sort((a, b) => a.seq - b.seq);
  const tests: string[] = [];
  const unknown: string[] = [];
  let next = discovery.get(target.testId) ?? Infinity;
  for (let i = before.length - 1; i >= 0; i--) {
    const id = before[i]!.testId;
    const at = discovery.get(id);
    if (at === undefined) unknown.push(id);
    else if (at >= next) break;
    else {
      tests.push(id);
      next = at;
    }
  }
  return { tests: tests.reverse(), unknown: unknown.reverse() };
}
