// A run as the page holds it, whether it came whole from the repository
// (/api/runs/ID/timeline) or event by event from a run being watched (/api/live): one lane
// per worker slot, results in columns (a run of 100,000 results is a few arrays), what
// runs right now, failures with their tracebacks, and what the schedule lost.

/**
 * Statuses that fail a run: @baton/subunit's FAILING_STATUSES, mirrored here because the
 * page is plain JavaScript served as it is (src/static.test.ts holds the two together).
 */
export const FAILING = new Set(['fail', 'uxsuccess', 'inprogress']);

/** Which colour wins when many results share one pixel: the one a reader must not miss. */
export const SEVERITY = { success: 0, xfail: 1, skip: 2, inprogress: 3, uxsuccess: 4, fail: 5 };

export class RunModel {
  constructor() {
    /** The run as /api/runs describes it, or what the live stream said of it. */
    this.run = null;
    /** ms since the epoch that every other time counts from. */
    this.origin = 0;
    /** ms from origin to the run's end (while live: to the latest event). */
    this.end = 0;
    this.lanes = [];
    this.laneIndex = new Map();
    /** Per lane, ms from origin when it joined and left (null: it stayed). */
    this.laneFrom = [];
    this.laneTo = [];
    this.tests = [];
    this.lane = [];
    this.start = [];
    this.stop = [];
    this.status = [];
    /** { index, kind }: results baton failed itself (a timeout, a crash, a lost worker). */
    this.marks = [];
    /**
     * { lane, cause, asked, ready, from }: test server processes a slot continued on beyond
     * its first (cause 'fresh' after a steal, 'restart' after a death), times from origin.
     */
    this.processes = [];
    /** lane → { test, start } while a test runs there. */
    this.running = new Map();
    /** { index, attachments }: attachments null when they are still in the repository. */
    this.failures = [];
    this.stats = null;
    this.total = 0;
    this.bound = null;
    this.summary = null;
    this.live = false;
    this.finished = false;
    /** Bumped by every change, so that what is derived from it is computed again. */
    this.version = 0;
    this.sortedFor = -1;
    this.sorted = [];
  }

  /** A run the repository holds, as /api/runs/ID/timeline lays it out. */
  static fromTimeline(t) {
    const m = new RunModel();
    m.run = t.run;
    m.origin = t.origin;
    m.end = t.end;
    m.lanes = t.lanes.slice();
    m.lanes.forEach((name, i) => m.laneIndex.set(name, i));
    m.laneFrom = m.lanes.map(() => 0);
    m.laneTo = m.lanes.map(() => null);
    m.tests = t.tests;
    m.lane = t.lane;
    m.start = t.start;
    m.stop = t.stop;
    m.status = t.status.map((code) => t.statuses[code]);
    m.marks = t.marks;
    m.processes = t.processes;
    m.status.forEach((s, i) => {
      if (FAILING.has(s)) m.failures.push({ index: i, attachments: null });
    });
    m.total = t.tests.length;
    m.bound = t.bound;
    m.finished = t.run.complete;
    m.version++;
    return m;
  }

  laneOf(name, from) {
    let i = this.laneIndex.get(name);
    if (i === undefined) {
      i = this.lanes.push(name) - 1;
      this.laneIndex.set(name, i);
      this.laneFrom.push(from);
      this.laneTo.push(null);
    }
    return i;
  }

  /** Applies events of the live stream, in order. */
  apply(events) {
    for (const e of events) {
      if (e.type === 'runStarted') {
        this.live = true;
        this.origin = e.at;
        this.run = { id: e.run, profile: e.profile };
        this.total = e.total;
      }
      const at = e.at - this.origin;
      switch (e.type) {
        case 'workerJoined':
          for (let s = 0; s < e.slots; s++) this.laneOf(`${e.worker}/${s}`, at);
          break;
        case 'workerGone':
          this.lanes.forEach((name, i) => {
            if (name.startsWith(`${e.worker}/`) && this.laneTo[i] === null) this.laneTo[i] = at;
          });
          break;
        case 'testStarted':
          this.running.set(this.laneOf(e.worker, at), { test: e.test, start: at });
          this.stats = e.stats;
          break;
        case 'testFinished': {
          const r = e.result;
          const lane = this.laneOf(r.worker, at);
          const run = this.running.get(lane);
          if (run !== undefined && run.test === r.id) this.running.delete(lane);
          const i = this.tests.push(r.id) - 1;
          this.lane.push(lane);
          this.start.push(r.startMs !== undefined ? r.startMs - this.origin : run !== undefined && run.test === r.id ? run.start : null);
          this.stop.push(r.stopMs !== undefined ? r.stopMs - this.origin : at);
          this.status.push(r.status);
          if (FAILING.has(r.status)) this.failures.push({ index: i, attachments: r.attachments });
          if (r.infrastructure !== undefined) this.marks.push({ index: i, kind: r.infrastructure });
          this.stats = e.stats;
          break;
        }
        case 'processStarted':
          this.processes.push({
            lane: this.laneOf(e.worker, at), cause: e.cause,
            asked: e.askedMs - this.origin, ready: e.readyMs - this.origin, from: e.fromMs - this.origin,
          });
          break;
        case 'runFinished':
          this.finished = true;
          this.summary = e.summary;
          this.stats = e.summary.stats;
          this.bound = e.bound;
          this.end = e.summary.wallMs;
          this.running.clear();
          break;
      }
      if (!this.finished) this.end = Math.max(this.end, at);
    }
    this.version++;
  }

  /** Per lane, its results' indices by start time (cached until the next change). */
  byLane() {
    if (this.sortedFor === this.version) return this.sorted;
    const counts = new Int32Array(this.lanes.length);
    for (let i = 0; i < this.tests.length; i++) if (this.start[i] !== null && this.stop[i] !== null) counts[this.lane[i]]++;
    const lists = Array.from(counts, (n) => new Int32Array(n));
    const fill = new Int32Array(this.lanes.length);
    for (let i = 0; i < this.tests.length; i++) {
      if (this.start[i] === null || this.stop[i] === null) continue;
      const l = this.lane[i];
      lists[l][fill[l]++] = i;
    }
    for (const list of lists) {
      // A slot runs one test at a time, so results usually come sorted already.
      let sorted = true;
      for (let k = 1; k < list.length && sorted; k++) sorted = this.start[list[k - 1]] <= this.start[list[k]];
      if (!sorted) list.sort((a, b) => this.start[a] - this.start[b]);
    }
    this.sorted = lists;
    this.sortedFor = this.version;
    return lists;
  }

  /** Results drawn as bars: those with both times. */
  bars() {
    return this.byLane().reduce((n, list) => n + list.length, 0);
  }

  /**
   * Per lane: ms it was there (from joining, or the run's start, to leaving or the end),
   * ms it ran tests, and ms it idled. `now` (ms from origin) counts running tests.
   */
  laneStats(now) {
    const end = this.finished ? this.end : Math.max(this.end, now);
    const busy = new Float64Array(this.lanes.length);
    for (let i = 0; i < this.tests.length; i++) {
      if (this.start[i] !== null && this.stop[i] !== null) busy[this.lane[i]] += Math.max(0, this.stop[i] - this.start[i]);
    }
    for (const [lane, r] of this.running) busy[lane] += Math.max(0, end - r.start);
    return this.lanes.map((name, i) => {
      const window = Math.max(0, (this.laneTo[i] ?? end) - this.laneFrom[i]);
      return { name, window, busy: busy[i], idle: Math.max(0, window - busy[i]) };
    });
  }

  /**
   * The tail: from when the first slot finished its last test to when the last one did,
   * while ever fewer slots had work. Null until the run is over.
   */
  tail() {
    if (!this.finished || this.lanes.length < 2) return null;
    const last = new Float64Array(this.lanes.length).fill(-Infinity);
    for (let i = 0; i < this.tests.length; i++) {
      if (this.stop[i] !== null && this.stop[i] > last[this.lane[i]]) last[this.lane[i]] = this.stop[i];
    }
    const ends = Array.from(last).filter((t) => t > -Infinity);
    if (ends.length < 2) return null;
    const start = Math.min(...ends);
    const stop = Math.max(...ends);
    return { start, stop, seconds: (stop - start) / 1000 };
  }
}
