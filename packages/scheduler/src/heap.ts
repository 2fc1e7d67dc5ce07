/**
 * The sifting of a binary heap, with the storage left to subclasses: `Heap`
 * keeps items in an array, the scheduler's unit queue keeps units and their
 * keys side by side in typed arrays. The scheduler's queues and the
 * simulator's event list need O(log n) push/pop over 100,000 entries; an
 * array kept sorted would cost O(n) per insert.
 *
 * Entries are at positions 1 … size (the parent of i is i >> 1); position 0
 * holds the entry being sifted while the others move into its way, so a step
 * down or up copies one entry rather than swapping two.
 */
export abstract class BinaryHeap {
  protected count = 0;

  get size(): number {
    return this.count;
  }

  /** True when the entry at position `i` must come out before the one at `j`. */
  protected abstract beforeAt(i: number, j: number): boolean;

  /** Copies the entry at position `from` over the one at `to`. */
  protected abstract move(from: number, to: number): void;

  /** Moves the entry at `i` up to its place. */
  protected siftUp(i: number): void {
    this.move(i, 0);
    while (i > 1) {
      const parent = i >> 1;
      if (!this.beforeAt(0, parent)) break;
      this.move(parent, i);
      i = parent;
    }
    this.move(0, i);
  }

  /** Moves the entry at `i` down to its place. */
  protected siftDown(i: number): void {
    const n = this.count;
    this.move(i, 0);
    for (;;) {
      let child = 2 * i;
      if (child > n) break;
      if (child < n && this.beforeAt(child + 1, child)) child++;
      if (!this.beforeAt(child, 0)) break;
      this.move(child, i);
      i = child;
    }
    this.move(0, i);
  }

  /** Puts every entry in its place after many keys changed; O(n) (Floyd). */
  protected heapify(): void {
    for (let i = this.count >> 1; i >= 1; i--) this.siftDown(i);
  }
}

/** A binary heap of items; `before(a, b)` is true when `a` must come out first. */
export class Heap<T> extends BinaryHeap {
  private readonly items: (T | undefined)[] = [undefined];
  private readonly before: (a: T, b: T) => boolean;

  constructor(before: (a: T, b: T) => boolean) {
    super();
    this.before = before;
  }

  peek(): T | undefined {
    return this.items[1];
  }

  push(item: T): void {
    this.items.push(item);
    this.siftUp(++this.count);
  }

  pop(): T | undefined {
    if (this.count === 0) return undefined;
    const items = this.items;
    const top = items[1];
    const last = items.pop();
    if (--this.count > 0) {
      items[1] = last;
      this.siftDown(1);
    }
    return top;
  }

  protected beforeAt(i: number, j: number): boolean {
    return this.before(this.items[i] as T, this.items[j] as T);
  }

  protected move(from: number, to: number): void {
    this.items[to] = this.items[from];
  }
}
