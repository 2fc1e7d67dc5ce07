// Which process records a run, and whether it still lives: what tells a run in progress
// from one cut short (runState), and a live run's journal from an orphan's.
import { hostname } from 'node:os';
import { StoreError } from './errors.js';
import type { StoredRun, RunWriter } from './types.js';

/** This process, as the writer of the runs (and journals) it records. */
export function thisProcess(): RunWriter {
  return { host: hostname(), pid: process.pid };
}

/** Whether `writer` still runs; undefined when it is on another machine, where it cannot be asked. */
export function writerAlive(writer: RunWriter): boolean | undefined {
  if (writer.host !== hostname()) return undefined;
  if (writer.pid === process.pid) return true;
  try {
    process.kill(writer.pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process.
    return (error as { code?: unknown }).code !== 'ESRCH';
  }
}

/**
 * What became of a recorded run. `finished`: it ended and said how. `running`: its process
 * lives on this machine. `stopped`: its process is gone (killed, crashed), or is not known.
 * `elsewhere`: its process is on another machine, where it may still be running.
 */
export type RunState = 'finished' | 'running' | 'stopped' | 'elsewhere';

export function runState(run: StoredRun): RunState {
  if (run.complete) return 'finished';
  // Recorded before runs kept their writer: only a dead writer leaves such a run behind now.
  if (run.writer === undefined) return 'stopped';
  const alive = writerAlive(run.writer);
  return alive === undefined ? 'elsewhere' : alive ? 'running' : 'stopped';
}

/** Refuses a run that a live process records (here, or on another machine, which cannot be asked). */
export function refuseInProgress(run: StoredRun, then = 'try again once that run is over'): void {
  const state = runState(run);
  if (state === 'running' || state === 'elsewhere') {
    throw new StoreError('BATON_STORE_RUN_IN_PROGRESS', `run ${run.id} is being recorded by a live process; ${then}`);
  }
}
