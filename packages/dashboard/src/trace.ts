// A run as Chrome's trace-event JSON (the format chrome://tracing, Perfetto and speedscope
// open): one process for the run, one thread (track) per worker slot, one complete event
// per timed result, an instant event where baton failed a test itself, and one where a
// slot continued on a fresh test server process.
import type { Timeline, TimelineProcess } from './timeline.js';

/** Trace-event colour names by status (the catapult viewer's palette; Perfetto picks its own). */
const COLOURS: Readonly<Record<string, string>> = {
  success: 'good',
  xfail: 'good',
  skip: 'grey',
  fail: 'terrible',
  uxsuccess: 'bad',
  inprogress: 'bad',
};

const PID = 1;

/** What a slot's track calls the moment it continued on a new test server process. */
const PROCESS_NAMES: Readonly<Record<TimelineProcess['cause'], string>> = {
  fresh: 'fresh test server (back in discovery order)',
  restart: 'test server replaced',
};

/** Milliseconds to the microsecond. */
const round = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * The trace of a timeline as JSON text, one event a line so that a trace of 100,000
 * results can be read with grep. Times are µs from the run's start.
 */
export function traceJson(t: Timeline): string {
  const events: string[] = [];
  const add = (e: Record<string, unknown>) => events.push(JSON.stringify(e));
  add({ name: 'process_name', ph: 'M', pid: PID, tid: 0, args: { name: `baton run ${t.run.id} (${t.run.profile})` } });
  t.lanes.forEach((name, i) => {
    add({ name: 'thread_name', ph: 'M', pid: PID, tid: i + 1, args: { name } });
    add({ name: 'thread_sort_index', ph: 'M', pid: PID, tid: i + 1, args: { sort_index: i } });
  });
  const us = (ms: number) => Math.round(ms * 1000);
  for (let i = 0; i < t.tests.length; i++) {
    const start = t.start[i];
    const stop = t.stop[i];
    if (start === null || start === undefined || stop === null || stop === undefined) continue;
    const status = t.statuses[t.status[i]!]!;
    add({
      name: t.tests[i], cat: status, ph: 'X', pid: PID, tid: t.lane[i]! + 1,
      ts: us(start), dur: Math.max(0, us(stop) - us(start)), cname: COLOURS[status], args: { status },
    });
  }
  for (const m of t.marks) {
    const at = t.stop[m.index] ?? t.start[m.index];
    if (at === null || at === undefined) continue;
    add({ name: m.kind === 'lost' ? 'worker lost' : `test server restarted (${m.kind})`, ph: 'i', s: 't', pid: PID, tid: t.lane[m.index]! + 1, ts: us(at), args: { test: t.tests[m.index] } });
  }
  // Instants, not slices: a fork is asked for while the old process still runs its last
  // tests, and a slice across their ends would not nest on the slot's track.
  for (const p of t.processes) {
    add({
      name: PROCESS_NAMES[p.cause], cat: 'process', ph: 'i', s: 't', pid: PID, tid: p.lane + 1, ts: us(p.from),
      args: { cause: p.cause, startMs: round(p.ready - p.asked), askedAtMs: round(p.asked), readyAtMs: round(p.ready) },
    });
  }
  const meta = { run: t.run.id, profile: t.run.profile, start: t.run.start, lowerBoundSeconds: t.bound.seconds, efficiency: t.bound.efficiency };
  return `{"displayTimeUnit":"ms","otherData":${JSON.stringify(meta)},"traceEvents":[\n${events.join(',\n')}\n]}\n`;
}
