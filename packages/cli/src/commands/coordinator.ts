import { defineCommand, type CommandFactory } from '../context.js';
import { beginRun } from '../run/begin.js';
import { runOptions, type RunArgs } from '../run/options.js';

/** `baton coordinator`: a run whose workers connect from other machines (CI fan-out). */
export const coordinatorCommand: CommandFactory = (ctx) =>
  defineCommand<RunArgs>({
    command: 'coordinator [filters..]',
    describe: 'Coordinate a run for workers that connect (--listen HOST:PORT --token-file F)',
    builder: runOptions,
    handler: async (argv) => {
      const start = beginRun(ctx, argv, false);
      // Loaded only now, while the local worker's test servers start (see beginRun).
      const { executeRun } = await import('../run/execute.js');
      await executeRun(ctx, argv, start);
    },
  });
