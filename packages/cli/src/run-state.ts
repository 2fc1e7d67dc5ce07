// What became of a recorded run, as `baton last` reports it: a run that is not complete is
// in progress while the process recording it lives, and was cut short once it is gone.
import { hostname } from 'node:os';
import type { RunSummary, RunWriter } from '@baton/store';
import { ExitCode, type ExitStatus } from './errors.js';
import { hasFailures } from './output/run.js';

/** This process, as the writer of the runs it records. */
export function thisProcess(): RunWriter {
  return { host: hostname(), pid: process.pid };
}

/**
 * `finished`: it ended and said how. `running`: its process lives on this machine.
 * `stopped`: its process is gone (killed, crashed), or is not known and cannot be asked.
 * `elsewhere`: its process is on another machine, where it may still be running.
 */
export type RunState = 'finished' | 'running' | 'stopped' | 'elsewhere';

export function runState(run: RunSummary): RunState {
  if (run.complete) return 'finished';
  const writer = run.writer;
  // Recorded before baton kept its writer: only a dead writer leaves such a run behind now.
  if (writer === undefined) return 'stopped';
  if (writer.host !== hostname()) return 'elsewhere';
  return alive(writer.pid) ? 'running' : 'stopped';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // It exists, but belongs to someone else.
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

/**
 * The status `baton last` exits with for a run: the one the run ended with (and 1 if it
 * holds a failure, whatever it recorded); 3 for a run with no end, in progress or cut
 * short, since it has not passed.
 */
export function lastStatus(run: RunSummary, state: RunState = runState(run)): ExitStatus {
  if (state !== 'finished') return ExitCode.INFRA;
  const failed = hasFailures(run.counts) ? ExitCode.TESTS_FAILED : ExitCode.OK;
  return run.exitStatus === ExitCode.INFRA || run.exitStatus === ExitCode.TESTS_FAILED ? Math.max(failed, run.exitStatus) as ExitStatus : failed;
}
