// The status `baton last` exits with, from what became of the run (runState, in the store).
import { runState, type RunState, type StoredRun } from '@baton/store';
import { ExitCode, type ExitStatus } from './errors.js';
import { hasFailures } from './output/run.js';

/**
 * The status `baton last` exits with for a run: the one the run ended with (and 1 if it
 * holds a failure, whatever it recorded); 3 for a run with no end, in progress or cut
 * short, since it has not passed.
 */
export function lastStatus(run: StoredRun, state: RunState = runState(run)): ExitStatus {
  if (state !== 'finished') return ExitCode.INFRA;
  const failed = hasFailures(run.counts) ? ExitCode.TESTS_FAILED : ExitCode.OK;
  return run.exitStatus === ExitCode.INFRA || run.exitStatus === ExitCode.TESTS_FAILED ? Math.max(failed, run.exitStatus) as ExitStatus : failed;
}
