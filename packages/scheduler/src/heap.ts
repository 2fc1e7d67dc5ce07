/**
 * The sifting of a binary heap over positions `0 … size - 1`, with the
 * storage left to subclasses: `Heap` keeps items in an array, the scheduler's
 * unit queue keeps units and their keys side by side in typed arrays. The
 * scheduler's queues and the simulator's event list need O(log n) push/pop
 * over 100,000 entries; an array kept sorted would cost O(n) per insert.
 */
export abstract class BinaryHeap {
  protected count = 0;

  get size(): number {
    return this.count;
  }

  /** True when the entry at position `i` must come out before the one at `j`. */
  protected abstract beforeAt(i: number, j: number): boolean;

  protected abstract swap(i: number, j: number): void;

  /** Moves the entry at `i` up to its place. */
  protected siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.beforeAt(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Moves the entry at `i` down to its place. */
  protected siftDown(i: number): void {
    const n = this.count;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const child = l + 1 < n && this.beforeAt(l + 1, l) ? l + 1 : l;
      if (!this.beforeAt(child, i)) break;
      this.swap(i, child);
      i = child;
    }
  }

  /** Puts every entry in its place after many keys changed; O(n) (Floyd). */
  protected heapify(): void {
    for (let i = (this.count >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }
}

/** A binary heap of items; `before(a, b)` is true when `a` must come out first. */
export class Heap<T> extends BinaryHeap {
  private readonly items: T[] = [];
  private readonly before: (a: T, b: T) => boolean;

  constructor(before: (a: T, b: T) => boolean) {
    super();
    this.before = before;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    this.items.push(item);
    this.siftUp(this.count++);
  }

  pop(): T | undefined {
    if (this.count === 0) return undefined;
    const items = this.items;
    const top = items[0];
    const last = items.pop() as T;
    if (--this.count > 0) {
      items[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  protected beforeAt(i: number, j: number): boolean {
    return this.before(this.items[i] as T, this.items[j] as T);
  }

  protected swap(i: number, j: number): void {
    const items = this.items;
    const t = items[i] as T;
    items[i] = items[j] as T;
    items[j] = t;
  }
}
