import type { UnitRecord, WorkerRecord } from './state.js';

/**
 * Retries waiting for a worker (`SchedulerTestFinished.retry`): units of one test each,
 * run on a fresh test process, never on the worker whose attempt failed while another
 * can take them. They stay out of the lanes, so no steal moves them; each goes, as soon
 * as a worker may take it, to the one the scheduler chooses (the worker that would be
 * done soonest), so that a retry overlaps the rest of the run and delays it least.
 */
export class Retries {
  /** Retry units no worker holds, oldest first. */
  private readonly waiting: UnitRecord[] = [];
  /** By retry unit: the worker its previous attempt failed on. */
  private readonly failedOn = new Map<UnitRecord, WorkerRecord>();

  /** How many retries wait for a worker. */
  get size(): number {
    return this.waiting.length;
  }

  /** A retry made after an attempt failed on `worker`. */
  add(unit: UnitRecord, worker: WorkerRecord): void {
    this.failedOn.set(unit, worker);
    this.waiting.push(unit);
  }

  /** A retry given back by a worker that left, or left behind by one that died: it waits again. */
  requeue(unit: UnitRecord): void {
    this.waiting.push(unit);
  }

  /**
   * Sends each waiting retry to the worker `choose` names given the worker to avoid (the
   * one its attempt failed on); those it names none for keep waiting, in order.
   */
  place(choose: (avoid: WorkerRecord | undefined) => WorkerRecord | undefined, send: (unit: UnitRecord, worker: WorkerRecord) => void): void {
    let kept = 0;
    for (const unit of this.waiting) {
      const worker = choose(this.failedOn.get(unit));
      if (worker === undefined) this.waiting[kept++] = unit;
      else send(unit, worker);
    }
    this.waiting.length = kept;
  }
}
