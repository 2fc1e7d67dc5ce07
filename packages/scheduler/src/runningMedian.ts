/**
 * The median of a growing multiset in O(log n) per insert: the lower half in a
 * max-heap, the upper half in a max-heap of the negated values. Neighbour
 * estimates are medians over prefixes that keep growing as tests finish, so
 * re-sorting would be too slow.
 */
export class RunningMedian {
  private readonly low = new MaxHeap();
  private readonly high = new MaxHeap();

  get count(): number {
    return this.low.size + this.high.size;
  }

  add(value: number): void {
    if (this.low.size === 0 || value <= this.low.top) this.low.push(value);
    else this.high.push(-value);
    if (this.low.size > this.high.size + 1) this.high.push(-this.low.pop());
    else if (this.high.size > this.low.size) this.low.push(-this.high.pop());
  }

  /** The median, or undefined when empty (the mean of the two middles for an even count). */
  get median(): number | undefined {
    if (this.low.size === 0) return undefined;
    if (this.low.size > this.high.size) return this.low.top;
    return (this.low.top - this.high.top) / 2;
  }
}

/**
 * A binary max-heap of doubles in a typed array. Every test without history
 * that finishes adds to several medians, so these heaps compare numbers inline
 * instead of calling the generic Heap's comparison function.
 */
class MaxHeap {
  private items = new Float64Array(8);
  size = 0;

  /** The largest value; only when not empty. */
  get top(): number {
    return this.items[0] as number;
  }

  push(value: number): void {
    if (this.size === this.items.length) {
      const grown = new Float64Array(this.size * 2);
      grown.set(this.items);
      this.items = grown;
    }
    const items = this.items;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as number;
      if (!(value > p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = value;
  }

  /** Removes and returns the largest value; only when not empty. */
  pop(): number {
    const items = this.items;
    const top = items[0] as number;
    const n = --this.size;
    const last = items[n] as number;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let child = l;
      if (r < n && (items[r] as number) > (items[l] as number)) child = r;
      const c = items[child] as number;
      if (!(c > last)) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
