/** A worker for the bound: relative speed and presence window. */
export interface BoundWorker {
  /** Relative speed; a test of duration d takes d / speed. @default 1 */
  readonly speed?: number | undefined;
  /** When it can first start a test. @default 0 */
  readonly join?: number | undefined;
  /** When it stops starting tests (it may finish the one it runs). @default never */
  readonly leave?: number | undefined;
  /** When it dies (the test it runs is lost, so that work is not needed). @default never */
  readonly die?: number | undefined;
}

/** A segment for the bound: the true durations of its units (on a speed-1 worker). */
export interface BoundSegment {
  readonly units: readonly number[];
  readonly concurrency?: number | undefined;
}

/**
 * A lower bound on the makespan of any schedule, online or not, ignoring
 * message latency. Segments run one after the other, so the bound chains:
 * segment s cannot end before `end(s) = E(end(s-1), s)`, where E(t0, s) is the
 * larger of
 *
 * - the capacity term: the first T at which the work the workers can do in
 *   [t0, T] reaches the segment's total work. At each moment the capacity is
 *   the sum of the speeds of the `concurrency` fastest present workers; a
 *   worker that left before T may still finish the one unit it had started,
 *   so each such worker adds one unit, counted generously as the largest
 *   units of the segment;
 * - the longest-unit term: the longest unit must start on some worker w no
 *   earlier than max(t0, join_w) and before leave_w, and takes longest/speed_w.
 *   A worker that dies loses the test it runs, which then need not finish:
 *   with D deaths the term uses the (D+1)-th longest unit, and each death
 *   counts like a departure in the capacity term (the lost unit's work).
 *
 * With W equal workers present throughout this is DESIGN.md's
 * `sum over segments of max(work / min(W, concurrency), longest unit)`.
 * Returns Infinity if some segment cannot finish (no worker ever present).
 */
export function lowerBound(segments: readonly BoundSegment[], workers: readonly BoundWorker[]): number {
  return chainedEnd(segments, workers, true);
}

/**
 * The same sum as if nobody knew who will leave or die: a worker stops adding work when it
 * goes, and no test is lost with it. Not a lower bound (a schedule may happen to have a
 * long test running on a worker when it leaves), but the end a schedule without that
 * knowledge can be held to: `lowerBound` credits each departure with one of the longest
 * units, which only foresight can place there.
 */
export function unforeseenBound(segments: readonly BoundSegment[], workers: readonly BoundWorker[]): number {
  return chainedEnd(segments, workers, false);
}

function chainedEnd(segments: readonly BoundSegment[], workers: readonly BoundWorker[], foresight: boolean): number {
  const ws = workers
    .map((w) => ({ speed: w.speed ?? 1, join: w.join ?? 0, leave: Math.min(w.leave ?? Infinity, w.die ?? Infinity), dies: foresight && w.die !== undefined }))
    .filter((w) => w.speed > 0 && w.leave > w.join);
  let t = 0;
  for (const segment of segments) {
    if (segment.units.length === 0) continue;
    t = segmentEnd(t, segment, ws, foresight);
    if (!Number.isFinite(t)) return Infinity;
  }
  return t;
}

interface Window {
  readonly speed: number;
  readonly join: number;
  readonly leave: number;
  readonly dies: boolean;
}

function segmentEnd(start: number, segment: BoundSegment, workers: readonly Window[], foresight: boolean): number {
  const sorted = [...segment.units].sort((a, b) => b - a);
  const deaths = workers.filter((w) => w.dies && w.leave > start).length;
  const longest = sorted[deaths] ?? 0;
  const work = sorted.reduce((a, b) => a + b, 0);
  const limit = segment.concurrency ?? Infinity;

  let longestEnd = Infinity;
  for (const w of workers) {
    const from = Math.max(start, w.join);
    if (from < w.leave) longestEnd = Math.min(longestEnd, from + longest / w.speed);
  }

  // Work of the k largest units: what k departed workers may still finish.
  const extra: number[] = [0];
  for (const d of sorted) extra.push((extra[extra.length - 1] as number) + d);
  const extraFor = (k: number): number => (foresight ? (extra[Math.min(k, sorted.length)] as number) : 0);

  const points = [...new Set(workers.flatMap((w) => [w.join, w.leave]).filter((p) => p > start && Number.isFinite(p)))].sort((a, b) => a - b);
  points.push(Infinity);
  let t = start;
  let done = 0;
  let departed = 0;
  for (const next of points) {
    if (done + extraFor(departed) >= work) return Math.max(t, longestEnd);
    const speeds = workers.filter((w) => w.join <= t && w.leave > t).map((w) => w.speed);
    if (Number.isFinite(limit) && speeds.length > limit) speeds.sort((a, b) => b - a).length = limit;
    const rate = speeds.reduce((a, b) => a + b, 0);
    const need = work - done - extraFor(departed);
    if (rate > 0 && rate * (next - t) >= need) return Math.max(t + need / rate, longestEnd);
    if (!Number.isFinite(next)) return Infinity;
    done += rate * (next - t);
    t = next;
    departed += workers.filter((w) => w.leave === next && w.join < next).length;
  }
  return Infinity;
}
