import type { Attachment, TestStatus, Timestamp } from '@baton/subunit';

/** A status a stored result can have: a final status, or `inprogress` for a test that never finished. */
export type ResultStatus = Exclude<TestStatus, 'exists'>;

/** The profile results go to when none is named. */
export const DEFAULT_PROFILE = 'default';

/** What is known about a run when it starts. */
export interface RunStart {
  /** The environment the results belong to (`py311`, `linux-arm64`…); timings and failing sets are per profile. */
  readonly profile: string;
  /** When the run started; the caller's clock, never the store's. */
  readonly start: Timestamp;
  /** Where the results came from (a file, `.stestr/3`); an import skips a source it already holds. */
  readonly source?: string;
  /** Digest of the selected test ids, to tell runs of the same selection apart from others. */
  readonly selectionDigest?: string;
  /** Digest of the segment plan the run followed. */
  readonly planDigest?: string;
  /** How many workers took part. */
  readonly workers?: number;
  /** Tests of the selection that had a timing in the profile as the run began (0: a run without history). */
  readonly known?: number;
  /** The process recording the run, so that readers can tell a run in progress from one whose writer died. */
  readonly writer?: RunWriter;
  /**
   * Record into this earlier run of the profile instead of opening a new one (`baton run
   * --combine`, as stestr combines runs): it keeps its id and start and takes the writer
   * and digests given here (none: it was no one selection), and is incomplete again until
   * `finishRun`, where each test recorded now replaces the results it had in it before.
   * Refused for a run a live process records (BATON_STORE_RUN_IN_PROGRESS).
   */
  readonly into?: number;
}

/** The process that records a run: its machine's host name and its process id there. */
export interface RunWriter {
  readonly host: string;
  readonly pid: number;
}

/** Which runs compare with a given one (`latestRunWithoutHistory`). */
export interface RunLike {
  /** Only runs with a lower id. */
  readonly before: number;
  readonly selectionDigest: string | undefined;
  readonly workers: number | undefined;
}

/** How a run ended. */
export interface RunEnd {
  readonly stop: Timestamp;
  /** How many workers took part, when only the end knows (workers joined during the run). */
  readonly workers?: number;
  /** The exit status the run reported (see the CLI's exit codes). */
  readonly exitStatus?: number;
  /** The input was damaged: the run holds only what could be read. */
  readonly partial?: boolean;
  /**
   * Seconds: the shortest wall time any schedule of the run's tests could have taken on
   * its slots, as the coordinator computed it from their durations with the plan's
   * segments and the run's groups (the summary's lower bound).
   */
  readonly lowerBound?: number | undefined;
}

/** Why a worker slot continued on a test server process beyond its first. */
export type ProcessStartCause = 'fresh' | 'restart';

/**
 * A test server process a worker slot continued on, beyond its first: `fresh` to go
 * back in discovery order (after a steal), `restart` after one died or was killed. Times
 * on the worker's clock, the one its results are stamped with.
 */
export interface ProcessStartInput {
  /** The slot (`host/N`), as results name it. */
  readonly worker: string;
  readonly cause: ProcessStartCause;
  /** When the worker asked for it (a fork starts then, often while the old process still runs). */
  readonly asked: Timestamp;
  /** When it was ready to run tests. */
  readonly ready: Timestamp;
  /** When the slot handed it its first tests: the slot runs on it from then on. */
  readonly from: Timestamp;
}

/** A process start as stored, in the order recorded. */
export interface StoredProcessStart extends ProcessStartInput {
  readonly run: number;
}

/** One test execution to record. */
export interface ResultInput {
  readonly testId: string;
  readonly status: ResultStatus;
  readonly start?: Timestamp | undefined;
  readonly stop?: Timestamp | undefined;
  /** The worker (or subunit route code) that ran it; results of one worker keep their order. */
  readonly worker?: string | undefined;
  readonly tags?: readonly string[];
  /** Tracebacks, captured output, skip reasons. */
  readonly attachments?: readonly Attachment[];
  /** Which attempt at the test this is, from 1 (`baton run --retries` tries a failed test again). @default 1 */
  readonly attempt?: number;
  /**
   * The attempt failed and the test was tried again: it is kept among the run's attempts
   * (`attempts`), not as its result, and takes its place in its worker's sequence.
   */
  readonly retried?: boolean;
}

/** A run as stored. */
export interface StoredRun {
  readonly id: number;
  readonly profile: string;
  readonly start: Timestamp;
  readonly stop: Timestamp | undefined;
  readonly source: string | undefined;
  readonly selectionDigest: string | undefined;
  readonly planDigest: string | undefined;
  readonly workers: number | undefined;
  /** Tests of its selection that had a timing as it began; undefined for imported runs. */
  readonly known: number | undefined;
  readonly exitStatus: number | undefined;
  /** Who records (or recorded) it; undefined for runs recorded before baton kept it. */
  readonly writer: RunWriter | undefined;
  /** False while the run is being recorded, and forever for a run whose writer died (see `writer`). */
  readonly complete: boolean;
  /** Its input was damaged, so some results may be missing. */
  readonly partial: boolean;
  /** Seconds, as its end recorded it (`RunEnd.lowerBound`); undefined for runs without one (imported, cut short, older). */
  readonly lowerBound: number | undefined;
  /** Results per status. */
  readonly counts: Readonly<Partial<Record<ResultStatus, number>>>;
}

/** A result as stored. */
export interface StoredResult {
  readonly run: number;
  readonly testId: string;
  readonly status: ResultStatus;
  readonly start: Timestamp | undefined;
  readonly stop: Timestamp | undefined;
  readonly worker: string | undefined;
  /** Position among the results (and attempts) of the same worker in the same run, from 0: the order it ran them. */
  readonly seq: number;
  readonly tags: readonly string[];
  readonly attachments: readonly Attachment[];
  /** Which attempt at the test it was, when not the first (`baton run --retries`). */
  readonly attempt?: number;
}

/** One line of a test's history. */
export interface HistoryEntry {
  readonly run: number;
  readonly profile: string;
  readonly status: ResultStatus;
  /** Seconds, when both timestamps are known. */
  readonly duration: number | undefined;
  readonly start: Timestamp | undefined;
  readonly worker: string | undefined;
  /** Failed attempts in that run before this result, each tried again (`baton run --retries`). */
  readonly failedAttempts: number;
}

/** What the repository knows about the speed and health of one test in one profile. */
export interface Timing {
  /** Smoothed duration in seconds (an exponentially weighted moving average); undefined until a timed result. */
  readonly estimate: number | undefined;
  /** Duration of the latest timed result, seconds. */
  readonly last: number | undefined;
  /** Timed results folded into `estimate`. */
  readonly count: number;
  /** Results that failed (fail, uxsuccess, or never finished). */
  readonly failures: number;
  /** Status of the latest result. */
  readonly lastStatus: ResultStatus;
  /** Run of the latest result; undefined for timings that came from an imported file. */
  readonly lastRun: number | undefined;
  /** When the latest result stopped, µs since the epoch; orders merges of imported timings. */
  readonly updated: number | undefined;
}

/** Estimates split the way the scheduler wants them: known durations and ids with no history. */
export interface Estimates {
  readonly known: Map<string, number>;
  readonly unknown: string[];
}

/** A test that the latest result in a profile shows failing. */
export interface FailingTest {
  readonly testId: string;
  /** The failing result itself, with its traceback; undefined when it came from imported timings. */
  readonly result: StoredResult | undefined;
}

/** A test of a run and how long it took. */
export interface SlowTest {
  readonly testId: string;
  readonly duration: number;
  readonly status: ResultStatus;
}

/** One profile at a glance. */
export interface ProfileSummary {
  readonly name: string;
  readonly runs: number;
  /** Tests with timings in this profile. */
  readonly tests: number;
  readonly failing: number;
  readonly latestRun: number | undefined;
}

/** The whole repository at a glance. */
export interface RepositoryStats {
  readonly runs: number;
  readonly incompleteRuns: number;
  readonly results: number;
  readonly tests: number;
  readonly profiles: readonly ProfileSummary[];
}

/**
 * The portable timings file (`baton timings export`): plain JSON, keyed by profile and
 * test id, so that CI caches and other tools can carry it.
 */
export interface TimingsFile {
  readonly format: 'baton-timings';
  readonly version: 1;
  readonly profiles: Record<string, Record<string, Timing>>;
}

/**
 * Where runs, results and timings live. Writes are synchronous and each call is one
 * transaction: a caller that batches results (a few hundred or every 200 ms) gets both
 * throughput and a bounded loss if it is killed. Implemented on SQLite
 * (`SqliteRepository`) and in memory (`MemoryRepository`); both pass one contract suite.
 */
export interface RunRepository {
  /** Opens a run; it stays incomplete until `finishRun`. Returns its id. */
  beginRun(run: RunStart): number;
  /**
   * Makes one result of an open run outlive this process before it is recorded: results
   * are recorded in batches, and a writer killed between two keeps what it staged.
   * `recordResults` must follow with the staged results, in the order staged.
   */
  stage(run: number, result: ResultInput): void;
  /** Stores results of an open run, in the order the workers ran them, and updates timings. */
  recordResults(run: number, results: readonly ResultInput[]): void;
  /** Marks a run complete. */
  finishRun(run: number, end: RunEnd): void;
  /** Stores test server processes the run's worker slots continued on, in order. */
  recordProcessStarts(run: number, starts: readonly ProcessStartInput[]): void;
  /** A run's process starts in the order they were recorded. */
  processStarts(run: number): StoredProcessStart[];

  /** A run by id, or undefined. */
  run(id: number): StoredRun | undefined;
  /** The latest run of a profile, complete or not. */
  latestRun(profile: string): StoredRun | undefined;
  /**
   * The latest complete run of `profile` before run `before` that began with no timing for
   * any of its tests (`known` 0), of the same selection and number of workers: what a run
   * with history is measured against.
   */
  latestRunWithoutHistory(profile: string, like: RunLike): StoredRun | undefined;
  /** Whether a run from this source was already recorded. */
  hasSource(source: string): boolean;
  /** A run's results in the order they were recorded. */
  results(run: number): StoredResult[];
  /**
   * A run's failed attempts that were tried again (`baton run --retries`), in the order
   * recorded, each with its `attempt`: the test's final attempt is its result.
   */
  attempts(run: number): StoredResult[];
  /** Known durations (smoothed) of `ids` in `profile`, and the ids without one. */
  estimates(ids: readonly string[], profile: string): Estimates;
  /** Tests whose latest result in `profile` failed, sorted by id. */
  failing(profile: string): FailingTest[];
  /** Every result of a test, oldest run first; all profiles unless one is given. */
  history(testId: string, profile?: string): HistoryEntry[];
  /** The tests of a run, slowest first; all of them unless `limit`. */
  slowest(run: number, limit?: number): SlowTest[];
  /** Profiles that hold runs or timings, by name. */
  profiles(): ProfileSummary[];
  stats(): RepositoryStats;
  /** Timings of the given profiles (all when omitted) as a portable file. */
  exportTimings(profiles?: readonly string[]): TimingsFile;
  /** Merges a timings file in; returns how many (profile, test) timings it touched. */
  importTimings(file: TimingsFile): number;
  close(): void;
}
