import type { Execution } from './executions.js';
import type { BisectSearch, Candidate } from './search.js';

/** What `drive` runs a search with. */
export interface DriveOptions {
  readonly search: BisectSearch;
  /** Executions at once, each on a slot of its own. */
  readonly jobs: number;
  /** Runs a candidate on a slot; undefined when it was stopped. */
  readonly execute: (candidate: Candidate, slot: number) => Promise<Execution | undefined>;
  /** After the search took an execution in. */
  readonly recorded: (candidate: Candidate, execution: Execution) => void;
  /** Whether to start no more executions. */
  readonly stopped: () => boolean;
  /** Stops every execution running: one failed, and the bisection ends. */
  readonly abort: () => void;
}

/**
 * Runs a search's candidates on `jobs` slots until it concludes or is stopped. A slot
 * with nothing to run (every open candidate has enough executions running) waits for
 * another to finish. An execution that throws ends the bisection: the others are aborted,
 * and once every slot is over it rejects with that error.
 */
export async function drive(options: DriveOptions): Promise<void> {
  const { search, execute, recorded } = options;
  let failure: { error: unknown } | undefined;
  const stopped = (): boolean => failure !== undefined || options.stopped();
  let running = 0;
  let wake: (() => void) | undefined;
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const notify = (): void => {
    wake?.();
    changed = new Promise<void>((resolve) => (wake = resolve));
  };
  const slot = async (index: number): Promise<void> => {
    while (search.outcome === undefined && !stopped()) {
      const candidate = search.next();
      if (candidate === undefined) {
        if (running === 0) return;
        await changed;
        continue;
      }
      running++;
      try {
        const execution = await execute(candidate, index);
        if (execution === undefined) search.abandon(candidate);
        else {
          search.record(candidate, execution.failed);
          recorded(candidate, execution);
        }
      } catch (error) {
        search.abandon(candidate);
        if (failure === undefined) {
          failure = { error };
          options.abort();
        }
      } finally {
        running--;
        notify();
      }
    }
  };
  await Promise.all(Array.from({ length: options.jobs }, (_, i) => slot(i)));
  if (failure !== undefined) throw failure.error;
}
