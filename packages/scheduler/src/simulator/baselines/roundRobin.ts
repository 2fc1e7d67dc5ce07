import type { Unit } from '../../groups.js';

/** Unit i goes to partition i mod n, in input order; no history. */
export function roundRobinPartition(units: readonly Unit[], count: number): number[][] {
  const partitions: number[][] = Array.from({ length: count }, () => []);
  units.forEach((_, i) => (partitions[i % count] as number[]).push(i));
  return partitions;
}
