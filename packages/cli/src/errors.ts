// The ONE place where error codes become exit statuses. Every package throws errors
// with a stable `code` (BATON_<PACKAGE>_<WHAT>); `describeError` looks the code up here,
// so a new error needs one line below and nothing else. The statuses themselves live in
// @baton/protocol, where the worker and the coordinator take them from too.
import { ExitCode, type ExitStatus } from '@baton/protocol';

export { ExitCode, type ExitStatus };

/** Codes of the errors the CLI itself raises. */
export type CliErrorCode =
  | 'BATON_CLI_USAGE'
  | 'BATON_CLI_PROFILE_AMBIGUOUS'
  | 'BATON_CLI_BAD_INPUT'
  | 'BATON_CLI_UNKNOWN_TEST'
  | 'BATON_CLI_NO_CONFIG'
  | 'BATON_CLI_BAD_CONFIG'
  | 'BATON_CLI_NO_TESTS'
  | 'BATON_CLI_COORDINATOR_LOST'
  | 'BATON_CLI_INTERRUPTED'
  | 'BATON_CLI_BISECT_NO_RESULT';

/** A command-line problem; the message says what to type instead. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

const BY_CODE: Readonly<Record<string, ExitStatus>> = {
  BATON_CLI_USAGE: ExitCode.USAGE,
  BATON_CLI_PROFILE_AMBIGUOUS: ExitCode.USAGE,
  BATON_CLI_BAD_INPUT: ExitCode.USAGE,
  BATON_CLI_UNKNOWN_TEST: ExitCode.USAGE,
  BATON_CLI_NO_CONFIG: ExitCode.USAGE,
  BATON_CLI_BAD_CONFIG: ExitCode.USAGE,
  BATON_CLI_NO_TESTS: ExitCode.USAGE,
  // A worker whose coordinator vanished (killed, its machine gone, the network cut).
  BATON_CLI_COORDINATOR_LOST: ExitCode.INFRA,
  // Ctrl-C or SIGTERM before the command could finish, as an interrupted run ends.
  BATON_CLI_INTERRUPTED: ExitCode.INFRA,
  // A test server that died before the bisected test could run, or ended without its result.
  BATON_CLI_BISECT_NO_RESULT: ExitCode.INFRA,
  // A wrong token or a bad option is the user's to fix, not the infrastructure's.
  BATON_PROTOCOL_AUTH: ExitCode.USAGE,
  BATON_WORKER_BAD_OPTION: ExitCode.USAGE,
  // Listening beyond loopback without --token-file, whichever listener.
  BATON_PROTOCOL_TOKEN_REQUIRED: ExitCode.USAGE,
  // The dashboard's address is taken or cannot be had, as for --listen.
  BATON_DASHBOARD_LISTEN: ExitCode.USAGE,
  BATON_STORE_NOT_FOUND: ExitCode.USAGE,
  BATON_STORE_CORRUPT_INPUT: ExitCode.USAGE,
  BATON_STORE_NOT_SUBUNIT: ExitCode.USAGE,
  BATON_STORE_BAD_TIMINGS: ExitCode.USAGE,
  BATON_STORE_NO_RUNS: ExitCode.USAGE,
  BATON_STORE_NO_SUCH_RUN: ExitCode.USAGE,
  BATON_STORE_RUN_IN_PROGRESS: ExitCode.USAGE,
  BATON_STORE_UNUSABLE: ExitCode.INFRA,
  BATON_STORE_TOO_NEW: ExitCode.INFRA,
  BATON_STORE_NO_CONVERTER: ExitCode.INFRA,
  BATON_STORE_DISK_FULL: ExitCode.INFRA,
  BATON_STORE_READ_ONLY: ExitCode.INFRA,
  BATON_STORE_CORRUPT: ExitCode.INFRA,
  // Node's own codes, for files named on the command line.
  ENOENT: ExitCode.USAGE,
  EACCES: ExitCode.USAGE,
  EISDIR: ExitCode.USAGE,
  ENOTDIR: ExitCode.USAGE,
};

/** Whole families: bad subunit or a bad plan is bad input. */
const BY_PREFIX: readonly [string, ExitStatus][] = [
  ['BATON_SUBUNIT_', ExitCode.USAGE],
  ['BATON_PLAN_', ExitCode.USAGE],
  ['BATON_WORKLOAD_', ExitCode.USAGE],
  // A worker that cannot start its tests, a channel that fails, a run with no workers.
  ['BATON_PROTOCOL_', ExitCode.INFRA],
  ['BATON_WORKER_', ExitCode.INFRA],
  ['BATON_COORDINATOR_', ExitCode.INFRA],
];

/** What to print and which status to exit with for an error that reached `main`. */
export function describeError(error: unknown): { status: ExitStatus; message: string } {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string') {
    const status = BY_CODE[code] ?? BY_PREFIX.find(([prefix]) => code.startsWith(prefix))?.[1];
    if (status !== undefined) return { status, message };
  }
  // Anything unmapped is a bug or an environment failure: show where it came from.
  const detail = error instanceof Error && error.stack !== undefined ? error.stack : message;
  return { status: ExitCode.INFRA, message: `internal error${typeof code === 'string' ? ` (${code})` : ''}: ${detail}` };
}
