/** Where in a JSON input a problem is; the shared shape of plan and workload problems. */
export interface InputErrorDetails {
  /** JSONPath of the offending value, e.g. `$.segments[2].tests[5]`; `$` for the whole document. */
  readonly jsonPath: string;
  /** The test id concerned, when the problem is about one test. */
  readonly testId?: string | undefined;
  /** The file the input came from, when the caller named one. */
  readonly file?: string | undefined;
  /** 1-based line and column, and 0-based UTF-16 offset, of a JSON syntax error. */
  readonly line?: number | undefined;
  readonly column?: number | undefined;
  readonly offset?: number | undefined;
  /** Extra test ids (e.g. every selected test a plan does not name). */
  readonly tests?: readonly string[] | undefined;
}

/** Stable codes of plan problems; callers branch on these, never on messages. */
export type PlanErrorCode =
  | 'BATON_PLAN_BAD_JSON'
  | 'BATON_PLAN_BAD_TYPE'
  | 'BATON_PLAN_BAD_VERSION'
  | 'BATON_PLAN_EMPTY_SEGMENT'
  | 'BATON_PLAN_UNKNOWN_TEST'
  | 'BATON_PLAN_DUPLICATE_TEST'
  | 'BATON_PLAN_UNNAMED_TESTS';

/** Stable codes of simulator workload problems. */
export type WorkloadErrorCode =
  | 'BATON_WORKLOAD_BAD_JSON'
  | 'BATON_WORKLOAD_BAD_TYPE'
  | 'BATON_WORKLOAD_DUPLICATE_TEST'
  | 'BATON_WORKLOAD_DUPLICATE_WORKER'
  | 'BATON_WORKLOAD_NO_WORKERS';

function locate(details: InputErrorDetails): string {
  const where = details.file ? `${details.file}: ` : '';
  const pos = details.line !== undefined ? `line ${details.line} column ${details.column ?? 0}` : details.jsonPath;
  return `${where}${pos}`;
}

/** One problem in a JSON input; `message` already names the file and path. */
abstract class InputError<C extends string> extends Error {
  readonly code: C;
  readonly jsonPath: string;
  readonly testId: string | undefined;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly offset: number | undefined;
  readonly tests: readonly string[] | undefined;

  constructor(code: C, problem: string, details: InputErrorDetails) {
    super(`${locate(details)}: ${problem}`);
    this.code = code;
    this.jsonPath = details.jsonPath;
    this.testId = details.testId;
    this.file = details.file;
    this.line = details.line;
    this.column = details.column;
    this.offset = details.offset;
    this.tests = details.tests;
  }
}

/** One problem with a test plan (see the package README, "Plans"). */
export class PlanError extends InputError<PlanErrorCode> {
  override readonly name = 'PlanError';
}

/** One problem with a simulator workload file (see the package README, "Workload files"). */
export class WorkloadError extends InputError<WorkloadErrorCode> {
  override readonly name = 'WorkloadError';
}

/**
 * Every problem found in one input, so that a user fixes them all in one go.
 * `errors` is never empty; `code` says which kind of input was refused.
 */
export class ValidationError<E extends PlanError | WorkloadError = PlanError | WorkloadError> extends Error {
  override readonly name = 'ValidationError';
  readonly code: 'BATON_PLAN_INVALID' | 'BATON_WORKLOAD_INVALID';
  readonly errors: readonly E[];

  constructor(code: 'BATON_PLAN_INVALID' | 'BATON_WORKLOAD_INVALID', what: string, errors: readonly E[]) {
    const shown = errors.slice(0, 20).map((e) => `  - [${e.code}] ${e.message}`);
    if (errors.length > shown.length) shown.push(`  … and ${errors.length - shown.length} more`);
    super(`${what} refused (${errors.length} problem${errors.length === 1 ? '' : 's'}):\n${shown.join('\n')}`);
    this.code = code;
    this.errors = errors;
  }
}

/** Stable codes of scheduler misuse: events that contradict what the scheduler sent. */
export type SchedulerErrorCode =
  | 'BATON_SCHED_UNKNOWN_WORKER'
  | 'BATON_SCHED_UNKNOWN_TEST'
  | 'BATON_SCHED_DUPLICATE_TEST'
  | 'BATON_SCHED_PARTIAL_RELEASE'
  | 'BATON_SCHED_BAD_OPTION';

/**
 * The coordinator fed an event that cannot be true (a worker never joined, a
 * test never dispatched to it, part of a unit released). It is a protocol bug
 * on the worker's side or in the coordinator; the scheduler's state is unchanged.
 */
export class SchedulerError extends Error {
  override readonly name = 'SchedulerError';
  readonly code: SchedulerErrorCode;
  readonly worker: string | undefined;
  readonly testId: string | undefined;

  constructor(code: SchedulerErrorCode, message: string, details: { worker?: string; testId?: string } = {}) {
    super(message);
    this.code = code;
    this.worker = details.worker;
    this.testId = details.testId;
  }
}
