import { describeError, ExitCode } from './errors.js';

/** The part of `process` the guard needs: its events, and a way out. */
export interface GuardedProcess {
  on(event: 'unhandledRejection' | 'uncaughtException', listener: (error: unknown) => void): unknown;
  exit(status: number): void;
}

/**
 * An error no command caught (a rejected promise nobody awaited, a throw from a timer)
 * is an internal error: it is said once, as `describeError` says it, and baton exits
 * with status 3 — never Node's 1, which would read as "tests failed". Writing to stderr
 * is flushed before the exit.
 */
export function guardProcess(proc: GuardedProcess, stderr: { write(text: string, done: () => void): unknown }): void {
  let crashed = false;
  const crash = (error: unknown): void => {
    if (crashed) return;
    crashed = true;
    const { message } = describeError(error);
    stderr.write(`baton: ${message}\n`, () => proc.exit(ExitCode.INFRA));
  };
  proc.on('unhandledRejection', crash);
  proc.on('uncaughtException', crash);
}
