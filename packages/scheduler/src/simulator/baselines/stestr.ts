import type { Unit } from '../../groups.js';

/**
 * stestr 3.2.1 `scheduler.partition_tests`, ported line by line over units
 * (stestr's groups from `group_callback`): groups whose tests all have
 * history are "timed", groups with some history are "partial", the rest
 * "unknown". Timed, then partial, groups go longest first (a stable sort)
 * into the partition with the lowest (time, number of tests), the partitions
 * being re-sorted stably after each step; unknown groups go round-robin over
 * the partitions in their original order. Returns unit indices per partition.
 */
export function partitionTests(units: readonly Unit[], concurrency: number, times: ReadonlyMap<string, number>): number[][] {
  const partitions: number[][] = Array.from({ length: concurrency }, () => []);
  // timed_partitions: [time, partition], kept sorted by (time, len(partition tests)).
  const timed: { time: number; tests: number; part: number }[] = partitions.map((_, i) => ({ time: 0, tests: 0, part: i }));
  const fully: [number, number][] = [];
  const partial: [number, number][] = [];
  const unknown: number[] = [];
  units.forEach((tests, g) => {
    let untimed = 0;
    let time = 0;
    for (const t of tests) {
      const d = times.get(t);
      if (d === undefined) untimed++;
      else time += d;
    }
    if (untimed === 0) fully.push([g, time]);
    else if (time) partial.push([g, time]);
    else unknown.push(g);
  });
  const before = (a: { time: number; tests: number }, b: { time: number; tests: number }): boolean => a.time < b.time || (a.time === b.time && a.tests < b.tests);
  const consumeQueue = (groups: [number, number][]): void => {
    // Python's sorted(..., reverse=True) keeps equal keys in insertion order.
    const queue = groups.map((g, i) => ({ g, i })).sort((a, b) => b.g[1] - a.g[1] || a.i - b.i);
    for (const { g: [group, duration] } of queue) {
      const head = timed.shift() as (typeof timed)[number];
      head.time += duration;
      head.tests += (units[group] as Unit).length;
      (partitions[head.part] as number[]).push(group);
      // Re-sorting stably after changing only the first element puts it before
      // every element with an equal key: a binary-search insert does the same.
      let lo = 0;
      let hi = timed.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (before(timed[mid] as (typeof timed)[number], head)) lo = mid + 1;
        else hi = mid;
      }
      timed.splice(lo, 0, head);
    }
  };
  consumeQueue(fully);
  consumeQueue(partial);
  unknown.forEach((group, i) => (partitions[i % concurrency] as number[]).push(group));
  return partitions;
}
