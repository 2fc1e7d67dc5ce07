import { ExitCode } from '@baton/protocol';
import type { ResultStatus } from '@baton/store';
import type { RunResult, RunStats, RunSummary, TimedTest } from './events.js';

/** How many of the slowest tests a summary lists. */
export const SLOWEST_SHOWN = 10;

const PASSED: ReadonlySet<ResultStatus> = new Set<ResultStatus>(['success', 'xfail']);
const FAILED: ReadonlySet<ResultStatus> = new Set<ResultStatus>(['fail', 'uxsuccess', 'inprogress']);

/**
 * The run's books: which selected tests are done, running or still to run, the counts
 * reporters show, the estimated work left, and what the summary needs. It is what
 * enforces "exactly one result per test": a test can be finished once.
 */
export class Ledger {
  readonly total: number;
  readonly unknown: number;
  private readonly estimateOf: (id: string) => number;
  private readonly pending: Set<string>;
  private readonly selected: ReadonlySet<string>;
  private readonly startedAt_ = new Map<string, number>();
  private readonly seqs = new Map<string, number>();
  private readonly counts: Partial<Record<ResultStatus, number>> = {};
  private readonly failures: RunResult[] = [];
  private readonly timed: TimedTest[] = [];
  private passed = 0;
  private failed = 0;
  private skipped = 0;
  private work = 0;

  constructor(tests: readonly string[], estimateOf: (id: string) => number, unknown: number) {
    this.total = tests.length;
    this.unknown = unknown;
    this.estimateOf = estimateOf;
    this.pending = new Set(tests);
    this.selected = new Set(tests);
    for (const id of tests) this.work += estimateOf(id);
  }

  /** Estimated seconds of work not finished (on a speed-1 worker). */
  get remainingWork(): number {
    return this.work;
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

  /** Books a test's one result; returns it with its position in its worker's sequence. */
  finish(draft: RunResult): RunResult {
    if (!this.pending.delete(draft.id)) throw new Error(`${draft.id} already has a result`);
    this.startedAt_.delete(draft.id);
    return this.book(draft);
  }

  /**
   * Books the result of an id outside the selection (a failing class or module
   * fixture): it counts among the failures, not among the selected tests.
   */
  extra(draft: RunResult): RunResult {
    return this.book(draft);
  }

  private book(draft: RunResult): RunResult {
    const seq = this.seqs.get(draft.worker) ?? 0;
    this.seqs.set(draft.worker, seq + 1);
    const result: RunResult = { ...draft, seq };
    if (this.selected.has(draft.id)) this.work = Math.max(0, this.work - this.estimateOf(draft.id));
    this.counts[result.status] = (this.counts[result.status] ?? 0) + 1;
    if (PASSED.has(result.status)) this.passed++;
    else if (result.status === 'skip') this.skipped++;
    else if (FAILED.has(result.status)) {
      this.failed++;
      this.failures.push(result);
    }
    if (result.duration !== undefined) this.timed.push({ id: result.id, duration: result.duration, status: result.status });
    return result;
  }

  /** Selected tests with no result. */
  notRun(): string[] {
    return [...this.pending];
  }

  stats(elapsedMs: number, slots: number): RunStats {
    return {
      total: this.total,
      done: this.total - this.pending.size,
      passed: this.passed,
      failed: this.failed,
      skipped: this.skipped,
      running: this.startedAt_.size,
      elapsedMs,
      etaMs: slots > 0 ? (this.work / slots) * 1000 : undefined,
    };
  }

  summary(fields: Pick<RunSummary, 'run' | 'profile' | 'wallMs' | 'workers' | 'processes' | 'infrastructureProblem' | 'stats'>): RunSummary {
    const slowest = [...this.timed].sort((a, b) => b.duration - a.duration).slice(0, SLOWEST_SHOWN);
    const exitCode = fields.infrastructureProblem !== undefined ? ExitCode.INFRA : this.failed > 0 ? ExitCode.TESTS_FAILED : ExitCode.OK;
    const cutShort = [...this.startedAt_.keys()].filter((id) => this.pending.has(id));
    return { ...fields, counts: { ...this.counts }, notRun: this.notRun(), cutShort, failures: [...this.failures], slowest, exitCode };
  }
}
