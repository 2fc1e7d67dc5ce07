import { Heap } from './heap.js';

/**
 * The median of a growing multiset in O(log n) per insert: the lower half in a
 * max-heap, the upper half in a min-heap. Neighbour estimates are medians over
 * prefixes that keep growing as tests finish, so re-sorting would be too slow.
 *
 * Values wait in a list until the median is read: every finished test adds to
 * the medians of its class, module, package and suite, but only the nearest
 * one with durations is read, so the others are kept up to date only if they
 * are ever needed.
 */
export class RunningMedian {
  private readonly low = new Heap<number>((a, b) => a > b);
  private readonly high = new Heap<number>((a, b) => a < b);
  private readonly pending: number[] = [];

  get count(): number {
    return this.low.size + this.high.size + this.pending.length;
  }

  add(value: number): void {
    this.pending.push(value);
  }

  /** The median, or undefined when empty (the mean of the two middles for an even count). */
  get median(): number | undefined {
    for (const value of this.pending) this.insert(value);
    this.pending.length = 0;
    const lo = this.low.peek();
    if (lo === undefined) return undefined;
    if (this.low.size > this.high.size) return lo;
    return (lo + (this.high.peek() as number)) / 2;
  }

  private insert(value: number): void {
    const top = this.low.peek();
    if (top === undefined || value <= top) this.low.push(value);
    else this.high.push(value);
    if (this.low.size > this.high.size + 1) this.high.push(this.low.pop() as number);
    else if (this.high.size > this.low.size) this.low.push(this.high.pop() as number);
  }
}
