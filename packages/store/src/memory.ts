import { isFailing } from '@baton/subunit';
import { noSuchRun } from './errors.js';
import { refuseInProgress } from './writer.js';
import { checkTimingsFile } from './timings-file.js';
import { atMicros, durationSeconds, fromMicros, mergeTiming, nextTiming, toMicros } from './timing.js';
import type {
  Estimates,
  FailingTest,
  HistoryEntry,
  ProcessStartInput,
  ProfileSummary,
  RepositoryStats,
  ResultInput,
  ResultStatus,
  RunEnd,
  RunLike,
  RunRepository,
  RunStart,
  StoredProcessStart,
  StoredRun,
  SlowTest,
  StoredResult,
  Timing,
  TimingsFile,
} from './types.js';

interface MemoryRun {
  summary: Omit<StoredRun, 'counts'>;
  results: StoredResult[];
  readonly attempts: StoredResult[];
  readonly seqs: Map<string, number>;
  readonly starts: StoredProcessStart[];
  /** Of a run reopened (`RunStart.into`): how many results it held then. */
  reopenedAt?: number;
}

/**
 * The repository in plain maps: the twin of `SqliteRepository` for tests of the layers
 * above (scheduler, coordinator), which build history by recording real results.
 */
export class MemoryRepository implements RunRepository {
  private readonly runsById = new Map<number, MemoryRun>();
  /** profile → test id → timing. */
  private readonly timingsByProfile = new Map<string, Map<string, Timing>>();
  private readonly testIds = new Set<string>();

  beginRun(run: RunStart): number {
    if (run.into !== undefined) return this.reopen(run.into, run);
    const id = this.runsById.size + 1;
    this.runsById.set(id, {
      summary: {
        id,
        profile: run.profile,
        start: atMicros(run.start),
        stop: undefined,
        source: run.source,
        selectionDigest: run.selectionDigest,
        planDigest: run.planDigest,
        workers: run.workers,
        known: run.known,
        exitStatus: undefined,
        writer: run.writer,
        complete: false,
        partial: false,
        lowerBound: undefined,
      },
      results: [],
      attempts: [],
      seqs: new Map(),
      starts: [],
    });
    return id;
  }

  /** Nothing of a memory repository outlives its process, so there is nothing to stage. */
  stage(run: number): void {
    this.get(run);
  }

  recordResults(run: number, results: readonly ResultInput[]): void {
    const r = this.get(run);
    const timings = this.timings(r.summary.profile);
    for (const input of results) {
      const worker = input.worker ?? '';
      const seq = r.seqs.get(worker) ?? 0;
      r.seqs.set(worker, seq + 1);
      // Microseconds, as SQLite keeps them, so that both twins hand back the same values.
      const start = input.start && toMicros(input.start);
      const stop = input.stop && toMicros(input.stop);
      const stored: StoredResult = {
        run,
        testId: input.testId,
        status: input.status,
        start: start === undefined ? undefined : fromMicros(start),
        stop: stop === undefined ? undefined : fromMicros(stop),
        worker: input.worker,
        seq,
        tags: input.tags ?? [],
        attachments: input.attachments ?? [],
        ...((input.retried || (input.attempt ?? 1) > 1) && { attempt: input.attempt ?? 1 }),
      };
      this.testIds.add(input.testId);
      if (input.retried) {
        r.attempts.push(stored);
        continue;
      }
      r.results.push(stored);
      timings.set(input.testId, nextTiming(timings.get(input.testId), {
        status: input.status,
        duration: durationSeconds(start, stop),
        run,
        stopUs: stop,
      }));
    }
  }

  private reopen(id: number, start: RunStart): number {
    const r = this.runsById.get(id);
    if (r === undefined || r.summary.profile !== start.profile) throw noSuchRun(id, start.profile);
    refuseInProgress(this.run(id)!);
    r.summary = { ...r.summary, stop: undefined, exitStatus: undefined, complete: false, known: undefined, selectionDigest: start.selectionDigest, planDigest: start.planDigest, writer: start.writer };
    r.reopenedAt = r.results.length;
    return id;
  }

  finishRun(run: number, end: RunEnd): void {
    const r = this.get(run);
    if (r.reopenedAt !== undefined) {
      const at = r.reopenedAt;
      const again = new Set(r.results.slice(at).map((result) => result.testId));
      r.results = r.results.filter((result, i) => i >= at || !again.has(result.testId));
      r.reopenedAt = undefined;
    }
    r.summary = {
      ...r.summary,
      stop: atMicros(end.stop),
      exitStatus: end.exitStatus,
      partial: r.summary.partial || (end.partial ?? false),
      workers: end.workers ?? r.summary.workers,
      lowerBound: end.lowerBound,
      complete: true,
    };
  }

  recordProcessStarts(run: number, starts: readonly ProcessStartInput[]): void {
    const r = this.get(run);
    for (const s of starts) r.starts.push({ run, worker: s.worker, cause: s.cause, asked: atMicros(s.asked), ready: atMicros(s.ready), from: atMicros(s.from) });
  }

  processStarts(run: number): StoredProcessStart[] {
    return [...(this.runsById.get(run)?.starts ?? [])];
  }

  run(id: number): StoredRun | undefined {
    const r = this.runsById.get(id);
    if (r === undefined) return undefined;
    const counts: Partial<Record<ResultStatus, number>> = {};
    for (const result of r.results) counts[result.status] = (counts[result.status] ?? 0) + 1;
    return { ...r.summary, counts };
  }

  latestRun(profile: string): StoredRun | undefined {
    let latest: number | undefined;
    for (const r of this.runsById.values()) if (r.summary.profile === profile) latest = r.summary.id;
    return latest === undefined ? undefined : this.run(latest);
  }

  latestRunWithoutHistory(profile: string, like: RunLike): StoredRun | undefined {
    let latest: number | undefined;
    for (const { summary: s } of this.runsById.values()) {
      const matches = s.profile === profile && s.id < like.before && s.known === 0 && s.complete && s.selectionDigest === like.selectionDigest && s.workers === like.workers;
      if (matches) latest = s.id;
    }
    return latest === undefined ? undefined : this.run(latest);
  }

  hasSource(source: string): boolean {
    for (const r of this.runsById.values()) if (r.summary.source === source) return true;
    return false;
  }

  results(run: number): StoredResult[] {
    return [...(this.runsById.get(run)?.results ?? [])];
  }

  attempts(run: number): StoredResult[] {
    return [...(this.runsById.get(run)?.attempts ?? [])];
  }

  estimates(ids: readonly string[], profile: string): Estimates {
    const timings = this.timingsByProfile.get(profile);
    const known = new Map<string, number>();
    const unknown: string[] = [];
    for (const id of ids) {
      const estimate = timings?.get(id)?.estimate;
      if (estimate === undefined) unknown.push(id);
      else known.set(id, estimate);
    }
    return { known, unknown };
  }

  failing(profile: string): FailingTest[] {
    const out: FailingTest[] = [];
    for (const [testId, t] of this.timingsByProfile.get(profile) ?? []) {
      if (!isFailing(t.lastStatus)) continue;
      const results = t.lastRun === undefined ? [] : this.get(t.lastRun).results;
      out.push({ testId, result: results.findLast((r) => r.testId === testId) });
    }
    return out.sort((a, b) => compare(a.testId, b.testId));
  }

  history(testId: string, profile?: string): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    for (const r of this.runsById.values()) {
      if (profile !== undefined && r.summary.profile !== profile) continue;
      for (const result of r.results) {
        if (result.testId !== testId) continue;
        out.push({
          run: result.run,
          profile: r.summary.profile,
          status: result.status,
          duration: durationSeconds(result.start && toMicros(result.start), result.stop && toMicros(result.stop)),
          start: result.start,
          worker: result.worker,
          failedAttempts: r.attempts.filter((a) => a.testId === testId).length,
        });
      }
    }
    return out;
  }

  slowest(run: number, limit?: number): SlowTest[] {
    const timed: SlowTest[] = [];
    for (const r of this.runsById.get(run)?.results ?? []) {
      const duration = durationSeconds(r.start && toMicros(r.start), r.stop && toMicros(r.stop));
      if (duration !== undefined) timed.push({ testId: r.testId, duration, status: r.status });
    }
    timed.sort((a, b) => b.duration - a.duration || compare(a.testId, b.testId));
    return limit === undefined ? timed : timed.slice(0, limit);
  }

  profiles(): ProfileSummary[] {
    const names = new Set([...this.timingsByProfile.keys()]);
    for (const r of this.runsById.values()) names.add(r.summary.profile);
    return [...names].sort(compare).map((name) => {
      const timings = [...(this.timingsByProfile.get(name)?.values() ?? [])];
      const runs = [...this.runsById.values()].filter((r) => r.summary.profile === name);
      return {
        name,
        runs: runs.length,
        tests: timings.length,
        failing: timings.filter((t) => isFailing(t.lastStatus)).length,
        latestRun: runs.at(-1)?.summary.id,
      };
    });
  }

  stats(): RepositoryStats {
    const runs = [...this.runsById.values()];
    return {
      runs: runs.length,
      incompleteRuns: runs.filter((r) => !r.summary.complete).length,
      results: runs.reduce((n, r) => n + r.results.length, 0),
      tests: this.testIds.size,
      profiles: this.profiles(),
    };
  }

  exportTimings(profiles?: readonly string[]): TimingsFile {
    const out: Record<string, Record<string, Timing>> = {};
    for (const [profile, timings] of [...this.timingsByProfile].sort(([a], [b]) => compare(a, b))) {
      if (profiles !== undefined && !profiles.includes(profile)) continue;
      const tests: Record<string, Timing> = {};
      for (const id of [...timings.keys()].sort(compare)) tests[id] = { ...timings.get(id)!, lastRun: undefined };
      out[profile] = tests;
    }
    return { format: 'baton-timings', version: 1, profiles: out };
  }

  importTimings(file: TimingsFile): number {
    checkTimingsFile(file);
    let touched = 0;
    for (const [profile, tests] of Object.entries(file.profiles)) {
      const timings = this.timings(profile);
      for (const [id, theirs] of Object.entries(tests)) {
        timings.set(id, mergeTiming(timings.get(id), theirs));
        this.testIds.add(id);
        touched++;
      }
    }
    return touched;
  }

  close(): void {}

  private get(run: number): MemoryRun {
    const r = this.runsById.get(run);
    if (r === undefined) throw noSuchRun(run);
    return r;
  }

  private timings(profile: string): Map<string, Timing> {
    let timings = this.timingsByProfile.get(profile);
    if (timings === undefined) this.timingsByProfile.set(profile, (timings = new Map()));
    return timings;
  }
}

/** Code-unit order: SQLite's BINARY collation, but for characters beyond U+FFFF. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
