import { BinaryHeap } from './heap.js';

/**
 * The units waiting for a worker, by index: longest estimate first, ties to
 * the lower rank. Each unit is kept next to its estimate, rank and source
 * (a number saying what its estimate is re-read from, -1 for none), by
 * position: a refresh of estimates re-keys every queued unit and re-heaps,
 * and walking typed arrays in heap order keeps that pass in cache, where
 * looking each unit up by index would miss it at every step.
 *
 * While a unit is queued its estimate is its key here; `pop` writes the key
 * back to `estimates`.
 */
export class UnitQueue extends BinaryHeap {
  private readonly units: Int32Array;
  private readonly keys: Float64Array;
  private readonly ties: Int32Array;
  private readonly sources: Int32Array;
  private readonly estimates: Float64Array;
  private readonly ranks: Int32Array;
  private readonly sourceOf: Int32Array;

  /** Units are pushed with their `estimates`, `ranks` and `sources`, all by unit index. */
  constructor(estimates: Float64Array, ranks: Int32Array, sources: Int32Array) {
    super();
    this.estimates = estimates;
    this.ranks = ranks;
    this.sourceOf = sources;
    const positions = estimates.length + 1;
    this.units = new Int32Array(positions);
    this.keys = new Float64Array(positions);
    this.ties = new Int32Array(positions);
    this.sources = new Int32Array(positions);
  }

  /** The first unit, or undefined when empty. */
  peek(): number | undefined {
    return this.count === 0 ? undefined : this.units[1];
  }

  push(unit: number): void {
    this.place(++this.count, unit);
    this.siftUp(this.count);
  }

  /** Takes the first unit, or undefined when empty. */
  pop(): number | undefined {
    if (this.count === 0) return undefined;
    const top = this.units[1] as number;
    this.estimates[top] = this.keys[1] as number;
    if (--this.count > 0) {
      this.move(this.count + 1, 1);
      this.siftDown(1);
    }
    return top;
  }

  /** Replaces the content. */
  rebuild(units: Iterable<number>): void {
    this.count = 0;
    for (const u of units) this.place(++this.count, u);
    this.heapify();
  }

  /** The unit at a position (`1 … size`), for walking the queue in no particular order. */
  unitAt(i: number): number {
    return this.units[i] as number;
  }

  /** The estimate of the unit at a position. */
  keyAt(i: number): number {
    return this.keys[i] as number;
  }

  sourceAt(i: number): number {
    return this.sources[i] as number;
  }

  /** Changes the estimate of the unit at a position; `reorder` puts it in its place. */
  setKeyAt(i: number, estimate: number): void {
    this.keys[i] = estimate;
  }

  /** Copies the sources of the queued units again, after they changed. */
  reloadSources(): void {
    for (let i = 1; i <= this.count; i++) this.sources[i] = this.sourceOf[this.units[i] as number] as number;
  }

  /** Restores the order after `setKeyAt`. */
  reorder(): void {
    this.heapify();
  }

  protected beforeAt(i: number, j: number): boolean {
    const a = this.keys[i] as number;
    const b = this.keys[j] as number;
    return a > b || (a === b && (this.ties[i] as number) < (this.ties[j] as number));
  }

  protected move(from: number, to: number): void {
    this.units[to] = this.units[from] as number;
    this.keys[to] = this.keys[from] as number;
    this.ties[to] = this.ties[from] as number;
    this.sources[to] = this.sources[from] as number;
  }

  private place(i: number, unit: number): void {
    this.units[i] = unit;
    this.keys[i] = this.estimates[unit] as number;
    this.ties[i] = this.ranks[unit] as number;
    this.sources[i] = this.sourceOf[unit] as number;
  }
}
