import { defineCommand, type CommandFactory } from '../context.js';
import { beginRun } from '../run/begin.js';
import { runOptions, type RunArgs } from '../run/options.js';

/** `baton run`: the main job, on local workers unless told otherwise. */
export const runCommand: CommandFactory = (ctx) =>
  defineCommand<RunArgs>({
    command: 'run [filters..]',
    describe: 'Run the tests: online scheduling over local (-j N) and/or remote workers, results recorded',
    builder: runOptions,
    handler: async (argv) => {
      const start = beginRun(ctx, argv, true);
      // Loaded only now, while the local worker's test servers start (see beginRun).
      const { executeRun } = await import('../run/execute.js');
      await executeRun(ctx, argv, start);
    },
  });
