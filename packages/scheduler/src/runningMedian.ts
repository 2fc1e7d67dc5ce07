import { BinaryHeap } from './heap.js';

/**
 * The median of a growing multiset in O(log n) per insert: the lower half in a
 * max-heap, the upper half in another of the negated values. Neighbour
 * estimates are medians over prefixes that keep growing as tests finish, so
 * re-sorting would be too slow.
 *
 * Values wait in a list until the median is read: every finished test adds to
 * the medians of its class, module, package and suite, but only the nearest
 * one with durations is read, so the others are kept up to date only if they
 * are ever needed.
 */
export class RunningMedian {
  private readonly low = new MaxHeap();
  /** Negated, so that its largest is the smallest of the upper half. */
  private readonly high = new MaxHeap();
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
    if (this.low.size === 0) return undefined;
    if (this.low.size > this.high.size) return this.low.top;
    return (this.low.top - this.high.top) / 2;
  }

  private insert(value: number): void {
    if (this.low.size === 0 || value <= this.low.top) this.low.push(value);
    else this.high.push(-value);
    if (this.low.size > this.high.size + 1) this.high.push(-this.low.pop());
    else if (this.high.size > this.low.size) this.low.push(-this.high.pop());
  }
}

/**
 * Doubles, largest first, in a typed array: the generic Heap would box every
 * number it compares, and a class's median takes an insert for each of its
 * tests that finishes.
 */
class MaxHeap extends BinaryHeap {
  private items = new Float64Array(16);

  /** The largest value; only when not empty. */
  get top(): number {
    return this.items[1] as number;
  }

  push(value: number): void {
    if (this.count + 1 === this.items.length) {
      const grown = new Float64Array(2 * this.items.length);
      grown.set(this.items);
      this.items = grown;
    }
    this.items[++this.count] = value;
    this.siftUp(this.count);
  }

  /** Removes and returns the largest value; only when not empty. */
  pop(): number {
    const top = this.items[1] as number;
    if (--this.count > 0) {
      this.move(this.count + 1, 1);
      this.siftDown(1);
    }
    return top;
  }

  protected beforeAt(i: number, j: number): boolean {
    return (this.items[i] as number) > (this.items[j] as number);
  }

  protected move(from: number, to: number): void {
    this.items[to] = this.items[from] as number;
  }
}
