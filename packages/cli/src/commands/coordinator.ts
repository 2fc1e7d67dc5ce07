import { defineCommand, type CommandFactory } from '../context.js';
import { executeRun } from '../run/execute.js';
import { runOptions, type RunArgs } from '../run/options.js';

/** `baton coordinator`: a run whose workers connect from other machines (CI fan-out). */
export const coordinatorCommand: CommandFactory = (ctx) =>
  defineCommand<RunArgs>({
    command: 'coordinator [filters..]',
    describe: 'Coordinate a run for workers that connect (--listen HOST:PORT --token-file F)',
    builder: runOptions,
    handler: (argv) => executeRun(ctx, argv, false),
  });
