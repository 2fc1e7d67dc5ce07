import type { UnitRecord } from './state.js';

/**
 * The units a worker holds, in the order they were sent, linked through the
 * units themselves (`prevOnWorker`, `nextOnWorker`): a unit joins and leaves
 * on every dispatch and finish, and a Set would hash it both times, and
 * rehash as it grows and shrinks.
 */
export class UnitList implements Iterable<UnitRecord> {
  /** The unit sent first: the one running, or the next to start. */
  first: UnitRecord | undefined;
  private last: UnitRecord | undefined;
  size = 0;

  add(unit: UnitRecord): void {
    unit.prevOnWorker = this.last;
    unit.nextOnWorker = undefined;
    if (this.last) this.last.nextOnWorker = unit;
    else this.first = unit;
    this.last = unit;
    this.size++;
  }

  /** Removes a unit of this list. */
  delete(unit: UnitRecord): void {
    const { prevOnWorker: prev, nextOnWorker: next } = unit;
    if (prev) prev.nextOnWorker = next;
    else this.first = next;
    if (next) next.prevOnWorker = prev;
    else this.last = prev;
    unit.prevOnWorker = unit.nextOnWorker = undefined;
    this.size--;
  }

  *[Symbol.iterator](): Iterator<UnitRecord> {
    for (let u = this.first; u; u = u.nextOnWorker) yield u;
  }
}
