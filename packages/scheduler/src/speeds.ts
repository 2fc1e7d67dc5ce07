/** How many recent observations per worker feed its speed; old ones age out. */
export const SPEED_WINDOW = 16;
/** Below this many observations a worker's own speed is blended with the others'. */
export const SPEED_MIN_SAMPLES = 3;

interface Samples {
  prior: number;
  logs: number[];
  slowness: number | undefined;
}

/**
 * Learns each worker's slowness: how many seconds it takes per estimated
 * second (observed / estimated). A robust median over the last SPEED_WINDOW
 * log-ratios, so that one stale estimate (a test now 20× slower) does not
 * brand a worker slow. A worker with few observations takes the median of the
 * others, or its prior (`1 / speed hint`).
 */
export class WorkerSpeeds {
  private readonly workers = new Map<string, Samples>();
  private typical: number | undefined;
  private typicalStale = true;
  private sinceTypical = 0;

  /** Starts tracking a worker; `speedHint` is a prior relative speed (2 = twice as fast). */
  join(worker: string, speedHint?: number): void {
    const prior = speedHint !== undefined && speedHint > 0 && Number.isFinite(speedHint) ? 1 / speedHint : Number.NaN;
    this.workers.set(worker, { prior, logs: [], slowness: undefined });
  }

  /** Records that a test estimated at `estimated` seconds took `observed` on the worker. */
  observe(worker: string, observed: number, estimated: number): void {
    const s = this.workers.get(worker);
    if (!s || !(observed > 0) || !(estimated > 0)) return;
    const r = Math.log(observed / estimated);
    s.logs.push(Math.max(-5, Math.min(5, r)));
    if (s.logs.length > SPEED_WINDOW) s.logs.shift();
    s.slowness = undefined;
    // The typical slowness costs O(workers) to recompute; refreshing it once
    // per `workers` observations keeps a decision O(1) amortised.
    if (++this.sinceTypical >= Math.max(SPEED_WINDOW, this.workers.size) || this.typical === undefined) this.typicalStale = true;
  }

  /** True when the worker's speed rests on a prior or on enough observations of its own. */
  isKnown(worker: string): boolean {
    const s = this.workers.get(worker);
    return s !== undefined && (!Number.isNaN(s.prior) || s.logs.length >= SPEED_MIN_SAMPLES);
  }

  /** Expected seconds per estimated second on this worker. */
  slowness(worker: string): number {
    const s = this.workers.get(worker);
    if (!s) return this.typicalSlowness();
    if (s.slowness === undefined) s.slowness = this.compute(s);
    return s.slowness;
  }

  private compute(s: Samples): number {
    const fallback = Number.isNaN(s.prior) ? this.typicalSlowness() : s.prior;
    if (s.logs.length === 0) return fallback;
    const own = Math.exp(median(s.logs));
    if (s.logs.length >= SPEED_MIN_SAMPLES) return own;
    const w = s.logs.length / SPEED_MIN_SAMPLES;
    return Math.exp(w * Math.log(own) + (1 - w) * Math.log(fallback));
  }

  /** The median slowness of the workers with enough observations (1 before any). */
  typicalSlowness(): number {
    if (this.typicalStale) {
      const logs: number[] = [];
      for (const s of this.workers.values()) if (s.logs.length >= SPEED_MIN_SAMPLES) logs.push(median(s.logs));
      this.typical = logs.length > 0 ? Math.exp(median(logs)) : undefined;
      this.typicalStale = false;
      this.sinceTypical = 0;
      // Workers that lean on the typical value must recompute.
      for (const s of this.workers.values()) if (s.logs.length < SPEED_MIN_SAMPLES) s.slowness = undefined;
    }
    return this.typical ?? 1;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
