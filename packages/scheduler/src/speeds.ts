/** How many recent observations per worker feed its speed; old ones age out. */
export const SPEED_WINDOW = 16;
/** Below this many observations a worker's own speed is blended with the others'. */
export const SPEED_MIN_SAMPLES = 3;

/** What WorkerSpeeds knows of one worker; callers hold it and pass it back. */
export interface WorkerSpeed {
  readonly prior: number;
  /** The window in arrival order (a ring: `next` is where the oldest is, once full) … */
  readonly ring: Float64Array;
  next: number;
  /** … and the same values sorted, so the median is read, not sorted, on every observation. */
  readonly sorted: Float64Array;
  count: number;
  /** Computed when asked, NaN until then (a number, so V8 stores it unboxed). */
  slowness: number;
}

/**
 * Learns each worker's slowness: how many seconds it takes per estimated
 * second (observed / estimated). A robust median over the last SPEED_WINDOW
 * log-ratios, so that one stale estimate (a test now 20× slower) does not
 * brand a worker slow. A worker with few observations takes the median of the
 * others, or its prior (`1 / speed hint`).
 */
export class WorkerSpeeds {
  private readonly workers = new Map<string, WorkerSpeed>();
  private typical: number | undefined;
  private typicalStale = true;
  private sinceTypical = 0;

  /**
   * Starts tracking a worker (again, if it rejoins); `speedHint` is a prior
   * relative speed (2 = twice as fast). The caller passes what it returns to
   * the other methods, which spares a lookup by id on every event.
   */
  join(worker: string, speedHint?: number): WorkerSpeed {
    const prior = speedHint !== undefined && speedHint > 0 && Number.isFinite(speedHint) ? 1 / speedHint : Number.NaN;
    const s: WorkerSpeed = { prior, ring: new Float64Array(SPEED_WINDOW), next: 0, sorted: new Float64Array(SPEED_WINDOW), count: 0, slowness: Number.NaN };
    this.workers.set(worker, s);
    return s;
  }

  /** Records that a test estimated at `estimated` seconds took `observed` on the worker. */
  observe(s: WorkerSpeed, observed: number, estimated: number): void {
    if (!(observed > 0) || !(estimated > 0)) return;
    const r = Math.max(-5, Math.min(5, Math.log(observed / estimated)));
    if (s.count === SPEED_WINDOW) remove(s.sorted, s.count--, s.ring[s.next] as number);
    insert(s.sorted, s.count++, r);
    s.ring[s.next] = r;
    s.next = (s.next + 1) % SPEED_WINDOW;
    s.slowness = Number.NaN;
    // The typical slowness costs O(workers) to recompute; refreshing it once
    // per `workers` observations keeps a decision O(1) amortised.
    if (++this.sinceTypical >= Math.max(SPEED_WINDOW, this.workers.size) || this.typical === undefined) this.typicalStale = true;
  }

  /** True when the worker's speed rests on a prior or on enough observations of its own. */
  isKnown(s: WorkerSpeed): boolean {
    return !Number.isNaN(s.prior) || s.count >= SPEED_MIN_SAMPLES;
  }

  /**
   * Seconds per estimated second on this worker from its own results alone (or its
   * prior): NaN while it has neither. Where a choice turns on which worker is fast, a
   * guess blended with the others' would hide the answer.
   */
  measured(s: WorkerSpeed): number {
    return s.count > 0 ? Math.exp(median(s.sorted, s.count)) : s.prior;
  }

  /** Expected seconds per estimated second on this worker. */
  slowness(s: WorkerSpeed): number {
    if (Number.isNaN(s.slowness)) s.slowness = this.compute(s);
    return s.slowness;
  }

  /** `slowness` of the worker that last joined as `worker`; the typical one for a stranger. */
  slownessOf(worker: string): number {
    const s = this.workers.get(worker);
    return s ? this.slowness(s) : this.typicalSlowness();
  }

  private compute(s: WorkerSpeed): number {
    const fallback = Number.isNaN(s.prior) ? this.typicalSlowness() : s.prior;
    if (s.count === 0) return fallback;
    const own = this.measured(s);
    if (s.count >= SPEED_MIN_SAMPLES) return own;
    const w = s.count / SPEED_MIN_SAMPLES;
    return Math.exp(w * Math.log(own) + (1 - w) * Math.log(fallback));
  }

  /** The median slowness of the workers with enough observations (1 before any). */
  typicalSlowness(): number {
    if (this.typicalStale) {
      const logs = new Float64Array(this.workers.size);
      let n = 0;
      for (const s of this.workers.values()) if (s.count >= SPEED_MIN_SAMPLES) logs[n++] = median(s.sorted, s.count);
      // A typed array sorts numbers natively, without calling a comparison.
      const sorted = logs.subarray(0, n).sort();
      this.typical = n > 0 ? Math.exp(median(sorted, n)) : undefined;
      this.typicalStale = false;
      this.sinceTypical = 0;
      // Workers that lean on the typical value must recompute.
      for (const s of this.workers.values()) if (s.count < SPEED_MIN_SAMPLES) s.slowness = Number.NaN;
    }
    return this.typical ?? 1;
  }
}

/** The median of the first `n` values of a sorted array. */
function median(sorted: ArrayLike<number>, n: number): number {
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Inserts `value` into the first `n` values of `sorted`, keeping them sorted. */
function insert(sorted: Float64Array, n: number, value: number): void {
  let i = n;
  for (; i > 0 && (sorted[i - 1] as number) > value; i--) sorted[i] = sorted[i - 1] as number;
  sorted[i] = value;
}

/** Removes one `value` from the first `n` values of `sorted`. */
function remove(sorted: Float64Array, n: number, value: number): void {
  let i = 0;
  while (i < n - 1 && sorted[i] !== value) i++;
  for (; i < n - 1; i++) sorted[i] = sorted[i + 1] as number;
}
