// A run laid out for drawing: one lane per worker slot, one bar per result, in columns
// (a run of 100,000 results is a few arrays, not 100,000 objects), and what the
// schedule could at best have done (the lower bound) beside what it did.
import { infrastructureOf, type RunResult } from '@baton/coordinator';
import { lowerBound } from '@baton/scheduler';
import type { ProcessStartCause, ResultStatus, StoredProcessStart, StoredRun, Span, SqliteRepository, StoredResult } from '@baton/store';
import { FAILING_STATUSES, isFailing, timestampToMillis, type Timestamp } from '@baton/subunit';
import { runJson, type RunJson } from './json.js';

/** The lane of results that name no worker (an imported stream without route codes or worker tags). */
export const NO_WORKER = '(no worker)';

/** A result baton failed itself, which ended its test server process (or its whole worker). */
export interface TimelineMark {
  /** The result's position in the timeline's columns. */
  readonly index: number;
  readonly kind: NonNullable<RunResult['infrastructure']>;
}

/**
 * A test server process a slot continued on, beyond its first (a fork of the fork
 * server): `fresh` to go back in discovery order after a steal, `restart` after a death.
 * Times in ms from the timeline's origin.
 */
export interface TimelineProcess {
  /** Index into `lanes`. */
  readonly lane: number;
  readonly cause: ProcessStartCause;
  /** When the worker asked for it; `ready - asked` is what starting it cost. */
  readonly asked: number;
  readonly ready: number;
  /** When the slot handed it its first tests: the lane runs on it from then on. */
  readonly from: number;
}

export interface Timeline {
  readonly run: RunJson;
  /** Milliseconds since the epoch that every time below counts from: the run's start. */
  readonly origin: number;
  /** Milliseconds from `origin` to the run's end (its stop, or its latest result's while it is recorded). */
  readonly end: number;
  /** Worker slots, in order (`host/0`, `host/1`, … `host/10`). */
  readonly lanes: readonly string[];
  /** What the codes in `status` stand for. */
  readonly statuses: readonly ResultStatus[];
  /** Per result, in the order they were recorded: */
  readonly tests: readonly string[];
  /** index into `lanes`; */
  readonly lane: readonly number[];
  /** ms from origin, null when the result has no time; */
  readonly start: readonly (number | null)[];
  readonly stop: readonly (number | null)[];
  /** index into `statuses`. */
  readonly status: readonly number[];
  readonly marks: readonly TimelineMark[];
  /** Processes the slots continued on beyond their first, in the order recorded. */
  readonly processes: readonly TimelineProcess[];
  /** The shortest wall time any schedule of the run's tests could have taken, and that over its wall time. */
  readonly bound: RunBound;
}

/**
 * The shortest wall time a run's tests allowed (the scheduler's `lowerBound` over their
 * measured durations on the run's slots), and how close the run came to it. `basis`
 * says how the tests were counted: `run`, as the run's coordinator recorded it at its
 * end, with its plan's segments and its groups as units; `tests`, each test a unit of its
 * own and the run one segment (a run that recorded no bound: imported, cut short, or
 * older), which for a planned or grouped run is lower than the true bound.
 */
export interface RunBound {
  /** Seconds. */
  readonly seconds: number;
  /** `seconds` over the run's wall time; null for a run that took no time. */
  readonly efficiency: number | null;
  readonly basis: 'run' | 'tests';
}

/** The bound a run's coordinator recorded, `seconds`, over its wall time of `wallMs`. */
export function recordedBound(seconds: number, wallMs: number): RunBound {
  return { seconds, efficiency: wallMs > 0 ? (seconds * 1000) / wallMs : null, basis: 'run' };
}

/** The bound of a run whose timed tests took `durations` (seconds), each on its own, on `slots` slots in `wallMs`. */
export function runBound(durations: readonly number[], slots: number, wallMs: number): RunBound {
  const seconds = slots === 0 ? 0 : lowerBound([{ units: durations }], Array.from({ length: slots }, () => ({})));
  return { seconds, efficiency: wallMs > 0 ? (seconds * 1000) / wallMs : null, basis: 'tests' };
}

/** `host/2` before `host/10`: names compared by what precedes their trailing number, then by it. */
export function laneOrder(a: string, b: string): number {
  const ma = /^(.*?)(\d+)$/.exec(a);
  const mb = /^(.*?)(\d+)$/.exec(b);
  const pa = ma ? ma[1]! : a;
  const pb = mb ? mb[1]! : b;
  if (pa !== pb) return pa < pb ? -1 : 1;
  if (ma && mb) return Number(ma[2]) - Number(mb[2]);
  return ma ? 1 : mb ? -1 : 0;
}

/**
 * Lays a run out. `failures` are its failing results with their attachments (few, next
 * to the spans): the ones baton failed itself are marked where their process ended.
 * `processes` are the test server processes its slots continued on.
 */
export function buildTimeline(run: StoredRun, spans: readonly Span[], failures: readonly StoredResult[], processes: readonly StoredProcessStart[] = []): Timeline {
  const origin = timestampToMillis(run.start);
  // Differences of whole µs, then ms: exact, where µs / 1000 - origin would carry the
  // rounding of numbers near 1.7e12 into every time (4329.429931640625 for 4329.43).
  const micros = (t: Timestamp) => t.seconds * 1e6 + Math.floor(t.nanos / 1000);
  const originUs = micros(run.start);
  const sinceOrigin = (t: Timestamp) => (micros(t) - originUs) / 1000;
  const lanes = [...new Set([...spans.map((s) => s.worker ?? NO_WORKER), ...processes.map((p) => p.worker)])].sort(laneOrder);
  const laneOf = new Map(lanes.map((name, i) => [name, i]));
  const statuses: ResultStatus[] = [];
  const codeOf = new Map<ResultStatus, number>();
  const n = spans.length;
  const tests = new Array<string>(n);
  const lane = new Array<number>(n);
  const start = new Array<number | null>(n);
  const stop = new Array<number | null>(n);
  const status = new Array<number>(n);
  const indexOf = new Map<string, number>();
  const durations: number[] = [];
  let last = 0;
  spans.forEach((s, i) => {
    tests[i] = s.testId;
    lane[i] = laneOf.get(s.worker ?? NO_WORKER)!;
    start[i] = s.startUs === undefined ? null : (s.startUs - originUs) / 1000;
    stop[i] = s.stopUs === undefined ? null : (s.stopUs - originUs) / 1000;
    let code = codeOf.get(s.status);
    if (code === undefined) codeOf.set(s.status, (code = statuses.push(s.status) - 1));
    status[i] = code;
    if (isFailing(s.status)) indexOf.set(`${s.worker ?? ''}\n${s.seq}`, i);
    if (s.startUs !== undefined && s.stopUs !== undefined) durations.push(Math.max(0, s.stopUs - s.startUs) / 1e6);
    if (stop[i] !== null) last = Math.max(last, stop[i]!);
  });
  const marks: TimelineMark[] = [];
  for (const f of failures) {
    const kind = infrastructureOf(f.attachments);
    const index = indexOf.get(`${f.worker ?? ''}\n${f.seq}`);
    if (kind !== undefined && index !== undefined) marks.push({ index, kind });
  }
  const end = run.stop === undefined ? last : timestampToMillis(run.stop) - origin;
  return {
    run: runJson(run),
    origin,
    end,
    lanes,
    statuses,
    tests,
    lane,
    start,
    stop,
    status,
    marks: marks.sort((a, b) => a.index - b.index),
    processes: processes.map((p) => ({ lane: laneOf.get(p.worker)!, cause: p.cause, asked: sinceOrigin(p.asked), ready: sinceOrigin(p.ready), from: sinceOrigin(p.from) })),
    bound: run.lowerBound === undefined ? runBound(durations, lanes.length, end) : recordedBound(run.lowerBound, end),
  };
}

/** A recorded run laid out, read from the repository: its spans, its failures for the marks, and its process starts. */
export function layoutRun(repo: SqliteRepository, run: StoredRun): Timeline {
  // LIMIT -1 is SQLite's "no limit": a run's failures are few beside its results.
  const failures = repo.resultPage(run.id, { offset: 0, limit: -1, statuses: [...FAILING_STATUSES] }).results;
  return buildTimeline(run, repo.spans(run.id), failures, repo.processStarts(run.id));
}
