// The exit statuses of every baton process, in their one home. They live in the contract
// package because both ends of a run's channels end processes with them: the coordinator
// (a run's status), the worker (a vanished coordinator) and the command line, which maps
// error codes to them (packages/cli/src/errors.ts). Documented for users in the README.

/** The exit statuses of every baton command. */
export const ExitCode = {
  /** Every selected test passed or was skipped; the command did what was asked. */
  OK: 0,
  /** Some test failed (or, for `failing`, some test is failing; for `last`, the run it shows failed). */
  TESTS_FAILED: 1,
  /** Usage or bad input: an unknown option, a bad number, a damaged stream or configuration, no repository, an ambiguous profile. */
  USAGE: 2,
  /** Infrastructure: no worker, a worker or coordinator lost, the repository unusable (damaged, read-only for a command that writes, its disk full), a run interrupted. */
  INFRA: 3,
} as const;

/** One of the values of `ExitCode`. */
export type ExitStatus = (typeof ExitCode)[keyof typeof ExitCode];

/** What a run can end with: it never ends with a usage error, which is refused before it starts. */
export type RunExitStatus = typeof ExitCode.OK | typeof ExitCode.TESTS_FAILED | typeof ExitCode.INFRA;
