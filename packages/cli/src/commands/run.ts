import { defineCommand, type CommandFactory } from '../context.js';
import { executeRun } from '../run/execute.js';
import { runOptions, type RunArgs } from '../run/options.js';

/** `baton run`: the main job, on local workers unless told otherwise. */
export const runCommand: CommandFactory = (ctx) =>
  defineCommand<RunArgs>({
    command: 'run [filters..]',
    describe: 'Run the tests: online scheduling over local (-j N) and/or remote workers, results recorded',
    builder: runOptions,
    handler: (argv) => executeRun(ctx, argv, true),
  });
