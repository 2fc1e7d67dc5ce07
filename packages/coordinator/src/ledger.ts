import { ExitCode } from '@baton/protocol';
import { lowerBound, type Segment } from '@baton/scheduler';
import type { ResultStatus } from '@baton/store';
import { isFailing, isPassing } from '@baton/subunit';
import type { RunResult, RunStats, RunSummary, TimedTest } from './events.js';

/** How many of the slowest tests a summary lists. */
export const SLOWEST_SHOWN = 10;

/** What the ledger knows of the tests' durations before any of them ran. */
export interface RunLedgerEstimates {
  /** Seconds per test with history. */
  readonly history: ReadonlyMap<string, number>;
  /** Seconds for any test, those without history estimated from their neighbours' history. */
  readonly estimateOf: (id: string) => number;
}

/** What the ledger's verdict on a run depends on beyond its results. */
export interface RunLedgerOptions {
  /** A test that passed only when tried again fails the run. @default false */
  readonly flakyFails?: boolean;
}

/**
 * The run's books: which selected tests are done, running or still to run, the counts
 * reporters show, the estimated work left, and what the summary needs. It is what
 * enforces "exactly one result per test": a test can be finished once.
 *
 * The work left is the history of the tests with history, plus, for each test without,
 * the mean duration of those of them that finished: in a run with no history at all an
 * estimate from nothing (a second a test) would promise an ETA many times the truth.
 */
export class RunLedger {
  readonly total: number;
  readonly unknown: number;
  private readonly history: ReadonlyMap<string, number>;
  /** Seconds per test without history before any of them finished; undefined with no history at all. */
  private readonly guess: number | undefined;
  private readonly pending: Set<string>;
  private readonly selected: ReadonlySet<string>;
  private readonly startedAt_ = new Map<string, number>();
  private readonly seqs = new Map<string, number>();
  private readonly counts: Partial<Record<ResultStatus, number>> = {};
  private readonly failures: RunResult[] = [];
  /** Failed attempts tried again, per test still without a result. */
  private readonly attempts = new Map<string, RunResult[]>();
  private retried = 0;
  private readonly flaky: RunResult[] = [];
  private readonly flakyFails: boolean;
  private readonly timed: TimedTest[] = [];
  private passed = 0;
  private failed = 0;
  private skipped = 0;
  /** Estimated seconds of the unfinished tests with history. */
  private knownWork = 0;
  private unknownLeft = 0;
  /** Measured seconds and count of the finished tests without history. */
  private learnedSeconds = 0;
  private learned = 0;
  /** Measured seconds of the selected tests that have them. */
  private readonly durations = new Map<string, number>();

  constructor(tests: readonly string[], estimates: RunLedgerEstimates, options: RunLedgerOptions = {}) {
    this.flakyFails = options.flakyFails ?? false;
    this.total = tests.length;
    this.history = estimates.history;
    this.pending = new Set(tests);
    this.selected = new Set(tests);
    let guessed = 0;
    for (const id of tests) {
      const seconds = this.history.get(id);
      if (seconds !== undefined) this.knownWork += seconds;
      else {
        this.unknownLeft++;
        guessed += estimates.estimateOf(id);
      }
    }
    this.unknown = this.unknownLeft;
    this.guess = this.history.size > 0 && this.unknown > 0 ? guessed / this.unknown : undefined;
  }

  /**
   * Estimated seconds of work not finished (on a speed-1 worker); undefined while tests
   * without history are left and nothing tells how long they take.
   */
  get remainingWork(): number | undefined {
    if (this.unknownLeft === 0) return this.knownWork;
    const each = this.learned > 0 ? this.learnedSeconds / this.learned : this.guess;
    return each === undefined ? undefined : this.knownWork + this.unknownLeft * each;
  }


  isDone(id: string): boolean {
    return !this.pending.has(id);
  }

  /** Whether the run selected this id (a fixture's error holder is not selected). */
  isSelected(id: string): boolean {
    return this.selected.has(id);
  }

  start(id: string, at: number): void {
    if (!this.startedAt_.has(id)) this.startedAt_.set(id, at);
  }

  /** The running tests and when they started. */
  running(): IterableIterator<[string, number]> {
    return this.startedAt_.entries();
  }

  /** When a running test started (coordinator clock, ms), if it did. */
  startedAt(id: string): number | undefined {
    return this.startedAt_.get(id);
  }

  /**
   * Books a test's one result; returns it with its position in its worker's sequence and,
   * after failed attempts, its attempt number and those attempts.
   */
  finish(draft: RunResult): RunResult {
    if (!this.pending.delete(draft.id)) throw new Error(`${draft.id} already has a result`);
    this.startedAt_.delete(draft.id);
    const failedAttempts = this.attempts.get(draft.id);
    if (failedAttempts === undefined) return this.book(draft);
    this.attempts.delete(draft.id);
    const result = this.book({ ...draft, attempt: failedAttempts.length + 1, failedAttempts });
    if (isPassing(result.status)) this.flaky.push(result);
    return result;
  }

  /** Failed attempts of a test without a result that were tried again. */
  attemptsOf(id: string): number {
    return this.attempts.get(id)?.length ?? 0;
  }

  /**
   * Books a failed attempt at a test that runs again: it takes its place in its worker's
   * sequence, and the test stays without a result (and no longer running). Returns the
   * attempt, numbered.
   */
  retry(draft: RunResult): RunResult {
    if (!this.pending.has(draft.id)) throw new Error(`${draft.id} already has a result`);
    this.startedAt_.delete(draft.id);
    const earlier = this.attempts.get(draft.id) ?? [];
    const attempt = this.sequenced({ ...draft, attempt: earlier.length + 1 });
    earlier.push(attempt);
    this.attempts.set(draft.id, earlier);
    this.retried++;
    return attempt;
  }

  /**
   * Books the result of an id outside the selection (a failing class or module
   * fixture): it counts among the failures, not among the selected tests.
   */
  extra(draft: RunResult): RunResult {
    return this.book(draft);
  }

  /** The draft at the next position of its worker's sequence. */
  private sequenced(draft: RunResult): RunResult {
    const seq = this.seqs.get(draft.worker) ?? 0;
    this.seqs.set(draft.worker, seq + 1);
    return { ...draft, seq };
  }

  private book(draft: RunResult): RunResult {
    const result = this.sequenced(draft);
    if (this.selected.has(draft.id)) this.learn(result);
    this.counts[result.status] = (this.counts[result.status] ?? 0) + 1;
    if (isPassing(result.status)) this.passed++;
    else if (result.status === 'skip') this.skipped++;
    else if (isFailing(result.status)) {
      this.failed++;
      this.failures.push(result);
    }
    if (result.duration !== undefined) this.timed.push({ id: result.id, duration: result.duration, status: result.status });
    return result;
  }

  /**
   * The shortest wall time any schedule of `segments` could have had on `slots` equal
   * slots present throughout, each unit as long as its tests took (DESIGN.md's bound, the
   * scheduler's `lowerBound`), milliseconds; undefined when no test was timed.
   */
  lowerBoundMs(segments: readonly Segment[], slots: number): number | undefined {
    if (this.durations.size === 0 || slots === 0) return undefined;
    const units = (segment: Segment) => segment.units.map((unit) => unit.reduce((sum, id) => sum + Math.max(0, this.durations.get(id) ?? 0), 0));
    const bound = lowerBound(
      segments.map((segment) => ({ units: units(segment), concurrency: segment.concurrency })),
      Array.from({ length: slots }, () => ({})),
    );
    return Number.isFinite(bound) ? bound * 1000 : undefined;
  }

  /** A selected test's result leaves the work left, and teaches how long tests take. */
  private learn(result: RunResult): void {
    const seconds = this.history.get(result.id);
    if (seconds !== undefined) this.knownWork = Math.max(0, this.knownWork - seconds);
    else this.unknownLeft--;
    if (result.duration === undefined) return;
    this.durations.set(result.id, result.duration);
    if (seconds === undefined) {
      this.learnedSeconds += result.duration;
      this.learned++;
    }
  }

  /** Selected tests with no result. */
  notRun(): string[] {
    return [...this.pending];
  }

  stats(elapsedMs: number, slots: number): RunStats {
    const work = this.remainingWork;
    return {
      total: this.total,
      done: this.total - this.pending.size,
      passed: this.passed,
      failed: this.failed,
      skipped: this.skipped,
      running: this.startedAt_.size,
      elapsedMs,
      etaMs: slots > 0 && work !== undefined ? (work / slots) * 1000 : undefined,
    };
  }

  summary(
    fields: Pick<RunSummary, 'run' | 'profile' | 'wallMs' | 'workers' | 'processes' | 'infrastructureProblem' | 'stats' | 'lowerBoundMs' | 'baseline'>,
  ): RunSummary {
    const slowest = [...this.timed].sort((a, b) => b.duration - a.duration).slice(0, SLOWEST_SHOWN);
    const failed = this.failed > 0 || (this.flakyFails && this.flaky.length > 0);
    const exitCode = fields.infrastructureProblem !== undefined ? ExitCode.INFRA : failed ? ExitCode.TESTS_FAILED : ExitCode.OK;
    const cutShort = [...this.startedAt_.keys()].filter((id) => this.pending.has(id));
    return {
      ...fields,
      unknown: this.unknown,
      counts: { ...this.counts },
      notRun: this.notRun(),
      cutShort,
      failures: [...this.failures],
      flaky: [...this.flaky],
      retriedAttempts: this.retried,
      slowest,
      exitCode,
    };
  }
}
