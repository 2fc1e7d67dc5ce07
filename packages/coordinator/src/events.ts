// The one typed event stream out of a run. Every reporter (progress, subunit, JUnit,
// JSON, the dashboard) is a consumer of these and nothing else: each event carries what
// a reporter needs, running statistics included, so no reporter reaches into the
// coordinator. Times are milliseconds since the epoch on the coordinator's clock.
import type { Attachment } from '@baton/subunit';
import type { ResultStatus } from '@baton/store';
import type { ProcessStartCause, RunExitStatus } from '@baton/protocol';

/** Counts so far, carried by the events that change them. */
export interface RunStats {
  /** Tests selected for the run. */
  readonly total: number;
  /** Tests with a recorded result. */
  readonly done: number;
  readonly passed: number;
  /** Failures, unexpected successes, timeouts and lost tests. */
  readonly failed: number;
  readonly skipped: number;
  /** Tests running right now. */
  readonly running: number;
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
  /**
   * Milliseconds the rest of the run should take: the estimated work left divided by
   * the workers connected. Tests with no history count as long as those of them that
   * finished took on average. Undefined while no worker is connected, and while nothing
   * tells how long the tests take (no history, and none of them finished yet).
   */
  readonly etaMs: number | undefined;
}

/** A test's outcome as the run records it. */
export interface RunResult {
  readonly id: string;
  readonly status: ResultStatus;
  /** The worker slot that ran it (`host/slot`); every result has one. */
  readonly worker: string;
  /** Position among the results of this worker slot, from 0: the order it ran them. */
  readonly seq: number;
  readonly startMs: number | undefined;
  readonly stopMs: number | undefined;
  /** Seconds, when the worker timed it. */
  readonly duration: number | undefined;
  readonly tags: readonly string[];
  readonly attachments: readonly Attachment[];
  /** Why baton itself failed the test (it timed out, its worker was lost), if it did. */
  readonly infrastructure?: 'timeout' | 'lost' | 'crashed';
  /** Which attempt at the test this was, when not the first (`CoordinatorOptions.retries`). */
  readonly attempt?: number;
  /**
   * On a test's result after it was tried again: its failed attempts, earliest first, each
   * with its worker slot (`TestRetried` told of each as it came).
   */
  readonly failedAttempts?: readonly RunResult[];
}

export interface RunStarted {
  readonly type: 'runStarted';
  readonly at: number;
  /** The repository's id of the run. */
  readonly run: number;
  readonly profile: string;
  readonly total: number;
  /** Sum of the tests' estimated durations, seconds; undefined when none of them has history. */
  readonly estimatedWork: number | undefined;
  /** Tests with no history, estimated from their neighbours. */
  readonly unknown: number;
  /** Segments of the plan (1 without a plan). */
  readonly segments: number;
}

export interface WorkerJoined {
  readonly type: 'workerJoined';
  readonly at: number;
  /** The worker host's name (from its Hello). */
  readonly worker: string;
  readonly slots: number;
  /** Protocol version agreed with it. */
  readonly version: number;
}

/** A worker that was not let in: a different test list, a protocol mismatch, no slots. */
export interface WorkerRefused {
  readonly type: 'workerRefused';
  readonly at: number;
  readonly worker: string;
  readonly reason: string;
}

/** A worker went away. `lost` means it vanished with work in hand; `left` that it said Goodbye or was done. */
export interface WorkerGone {
  readonly type: 'workerGone';
  readonly at: number;
  readonly worker: string;
  readonly how: 'left' | 'lost';
  readonly reason: string;
}

/** Tests sent to a worker slot, in the order it will run them. */
export interface TestsDispatched {
  readonly type: 'testsDispatched';
  readonly at: number;
  readonly worker: string;
  readonly tests: readonly string[];
}

/** Tests taken back from a worker slot before they started, to run elsewhere. */
export interface TestsReclaimed {
  readonly type: 'testsReclaimed';
  readonly at: number;
  readonly worker: string;
  readonly tests: readonly string[];
}

export interface TestStarted {
  readonly type: 'testStarted';
  readonly at: number;
  readonly worker: string;
  readonly test: string;
  readonly stats: RunStats;
}

export interface TestFinished {
  readonly type: 'testFinished';
  readonly at: number;
  readonly result: RunResult;
  readonly stats: RunStats;
}

/**
 * A worker slot continued on a test server process beyond its first: `fresh`, to go back
 * in discovery order (its next tests lay behind its process, as after a steal), or
 * `restart`, after its process died or was killed. Times are milliseconds since the epoch
 * on the worker's clock, as its results' are; the event comes with the Done of the Run the
 * process first ran, so `at` is later than `fromMs`.
 */
export interface ProcessStarted {
  readonly type: 'processStarted';
  readonly at: number;
  /** The slot (`host/N`). */
  readonly worker: string;
  readonly cause: ProcessStartCause;
  /** When the worker asked for the process (a fork begins then, often while the old one still runs). */
  readonly askedMs: number;
  /** When it was ready to run tests: `readyMs - askedMs` is what starting it cost. */
  readonly readyMs: number;
  /** When the slot handed it its first tests: the slot runs on it from then on. */
  readonly fromMs: number;
}

/**
 * An attempt at a test failed and the test runs again (`CoordinatorOptions.retries`), on
 * a fresh test server process, on another slot when there is one: `result` is the failed
 * attempt (with its `attempt` number), not the test's result, which a later
 * `testFinished` brings.
 */
export interface TestRetried {
  readonly type: 'testRetried';
  readonly at: number;
  readonly result: RunResult;
  /** Attempts the test may still have after the one to come. */
  readonly retriesLeft: number;
  readonly stats: RunStats;
}

/** Output a worker sent that belongs to no test. */
export interface WorkerOutput {
  readonly type: 'output';
  readonly at: number;
  readonly worker: string;
  readonly name: string;
  readonly content: Uint8Array;
}

/** A test of the run and how long it took. */
export interface TimedTest {
  readonly id: string;
  readonly duration: number;
  readonly status: ResultStatus;
}

/** Everything a reporter prints at the end. */
export interface RunSummary {
  readonly run: number;
  readonly profile: string;
  readonly stats: RunStats;
  readonly counts: Readonly<Partial<Record<ResultStatus, number>>>;
  /** Tests selected but never run (the run was cut short). */
  readonly notRun: readonly string[];
  /** Of `notRun`, those that had started when the run was cut short (Ctrl-C while they ran). */
  readonly cutShort: readonly string[];
  readonly failures: readonly RunResult[];
  /**
   * Tests that passed only when tried again (`CoordinatorOptions.retries`), each with its
   * `failedAttempts`: a pass, unless `flakyFails` makes them fail the run.
   */
  readonly flaky: readonly RunResult[];
  /** Failed attempts that were tried again, in all. */
  readonly retriedAttempts: number;
  /** The slowest tests of this run, slowest first. */
  readonly slowest: readonly TimedTest[];
  readonly wallMs: number;
  /** Worker slots that took part. */
  readonly workers: number;
  /**
   * Test server processes the workers started beyond each slot's first: `fresh` ones
   * because a slot's next tests lay behind its process in discovery order (a steal),
   * `restarts` after a crash or a timeout. Workers that do not say count as none.
   */
  readonly processes: { readonly fresh: number; readonly restarts: number };
  /**
   * The shortest wall time any schedule could have had on these worker slots, from the
   * tests' own measured durations (the scheduler's `lowerBound`, with each unit as long
   * as its tests took and every slot present throughout): the run's efficiency is this
   * over `wallMs`. Undefined when no test was timed.
   */
  readonly lowerBoundMs: number | undefined;
  /** Tests of the selection that had no history when the run began. */
  readonly unknown: number;
  /**
   * On a run with history: the latest earlier run of the same tests on as many slots that
   * had none, and its wall time, to show what the history bought.
   */
  readonly baseline: { readonly run: number; readonly wallMs: number } | undefined;
  /** The exit status the run ends with (0 passed, 1 tests failed, 3 infrastructure). */
  readonly exitCode: RunExitStatus;
  /** Why the exit status is 3, when it is. */
  readonly infrastructureProblem: string | undefined;
}

export interface RunFinished {
  readonly type: 'runFinished';
  readonly at: number;
  readonly summary: RunSummary;
}

/** Everything a run tells its reporters, in the order it happens. */
export type RunEvent =
  | RunStarted
  | WorkerJoined
  | WorkerRefused
  | WorkerGone
  | TestsDispatched
  | TestsReclaimed
  | TestStarted
  | TestFinished
  | ProcessStarted
  | TestRetried
  | WorkerOutput
  | RunFinished;

/**
 * A consumer of run events. Every hook is optional; `onEvent` sees every event. The
 * coordinator delivers events in order and never waits for a hook (one may be async: its
 * promise is watched, not awaited): work that takes time (writing a file) belongs in
 * `close`, which the end of the run awaits. A reporter that
 * throws, or whose promise rejects, is reported once by its `name`, gets no more events,
 * and the run goes on and is recorded, ending with the infrastructure exit status.
 */
export interface Reporter {
  /** How failures name it (`junit report.xml`). @default its class's name */
  readonly name?: string;
  onEvent?(event: RunEvent): void;
  onRunStarted?(event: RunStarted): void;
  onWorkerJoined?(event: WorkerJoined): void;
  onWorkerRefused?(event: WorkerRefused): void;
  onWorkerGone?(event: WorkerGone): void;
  onTestsDispatched?(event: TestsDispatched): void;
  onTestsReclaimed?(event: TestsReclaimed): void;
  onTestStarted?(event: TestStarted): void;
  onTestFinished?(event: TestFinished): void;
  onProcessStarted?(event: ProcessStarted): void;
  onTestRetried?(event: TestRetried): void;
  onOutput?(event: WorkerOutput): void;
  onRunFinished?(event: RunFinished): void;
  /** The run is over and `runFinished` delivered: write what is left. Awaited before the run's end is recorded. */
  close?(): Promise<void> | void;
}

/**
 * Delivers an event to one reporter: `onEvent`, then the hook of its type. Returns a
 * promise when a hook did (an async reporter), so that a guard can watch it.
 */
export function deliver(reporter: Reporter, event: RunEvent): Promise<unknown> | undefined {
  const general: unknown = reporter.onEvent?.(event);
  const specific: unknown = hookOf(reporter, event);
  if (general instanceof Promise) return specific instanceof Promise ? Promise.all([general, specific]) : general;
  return specific instanceof Promise ? specific : undefined;
}

function hookOf(reporter: Reporter, event: RunEvent): void {
  switch (event.type) {
    case 'runStarted': return reporter.onRunStarted?.(event);
    case 'workerJoined': return reporter.onWorkerJoined?.(event);
    case 'workerRefused': return reporter.onWorkerRefused?.(event);
    case 'workerGone': return reporter.onWorkerGone?.(event);
    case 'testsDispatched': return reporter.onTestsDispatched?.(event);
    case 'testsReclaimed': return reporter.onTestsReclaimed?.(event);
    case 'testStarted': return reporter.onTestStarted?.(event);
    case 'testFinished': return reporter.onTestFinished?.(event);
    case 'processStarted': return reporter.onProcessStarted?.(event);
    case 'testRetried': return reporter.onTestRetried?.(event);
    case 'output': return reporter.onOutput?.(event);
    case 'runFinished': return reporter.onRunFinished?.(event);
  }
}
