/**
 * Which worker slot holds each dispatched, unfinished test, and in what order each slot
 * was given its tests: the order tells which test a slot would have started next, which
 * is what a worker that dies before reporting a start was most likely running.
 */
export class Assignments {
  private readonly slotOf_ = new Map<string, string>();
  /** Per slot, tests in dispatch order; entries that left are skipped lazily. */
  private readonly queues = new Map<string, { tests: string[]; next: number }>();

  assign(slot: string, tests: readonly string[]): void {
    let queue = this.queues.get(slot);
    if (queue === undefined) this.queues.set(slot, (queue = { tests: [], next: 0 }));
    for (const id of tests) {
      this.slotOf_.set(id, slot);
      queue.tests.push(id);
    }
  }

  /** The slot holding a test, if one does. */
  slotOf(test: string): string | undefined {
    return this.slotOf_.get(test);
  }

  /** The test left its slot: finished, given back, or lost. */
  remove(test: string): void {
    this.slotOf_.delete(test);
  }

  /** The earliest-dispatched test a slot still holds. */
  head(slot: string): string | undefined {
    const queue = this.queues.get(slot);
    if (queue === undefined) return undefined;
    while (queue.next < queue.tests.length && this.slotOf_.get(queue.tests[queue.next]!) !== slot) queue.next++;
    // Drop the consumed prefix now and then, so a long run does not keep every id here.
    if (queue.next > 1024 && queue.next * 2 > queue.tests.length) {
      queue.tests.splice(0, queue.next);
      queue.next = 0;
    }
    return queue.tests[queue.next];
  }

  /** Whether a slot holds any test. */
  holds(slot: string): boolean {
    return this.head(slot) !== undefined;
  }
}
