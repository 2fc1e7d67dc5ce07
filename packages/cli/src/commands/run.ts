import { defineCommand, type CommandFactory } from '../context.js';
import { beginRun } from '../run/begin.js';
import { runOptions } from '../run/options.js';
import { repeatOptions, repeatRuns, repeats, type RepeatArgs } from '../run/repeat.js';

/** `baton run`: the main job, on local workers unless told otherwise. */
export const runCommand: CommandFactory = (ctx) =>
  defineCommand<RepeatArgs>({
    command: 'run [filters..]',
    describe: 'Run the tests: online scheduling over local (-j N) and/or remote workers, results recorded',
    builder: (y) => repeatOptions(runOptions(y)).option('analyze-isolation', {
      type: 'boolean',
      describe: 'For each failing test (of the selection), the smallest set of the tests that ran before it in its process after which it fails, found by running them again on fresh processes (as testr and stestr: for failures that happen every time; `baton bisect` for flaky ones)',
    }),
    handler: async (argv: RepeatArgs & { readonly analyzeIsolation?: boolean }) => {
      if (argv.analyzeIsolation === true) {
        const { analyzeIsolation } = await import('../bisect/isolation.js');
        return analyzeIsolation(ctx, argv);
      }
      if (repeats(argv)) return repeatRuns(ctx, argv);
      const start = beginRun(ctx, argv, true);
      // Loaded only now, while the local worker's test servers start (see beginRun).
      const { executeRun } = await import('../run/execute.js');
      await executeRun(ctx, argv, start);
    },
  });
