import { StoreError } from '@baton/store';
import { defineCommand, type CommandFactory, type GlobalArgs } from '../context.js';
import { formatSeconds } from '../output/format.js';
import { runJson, writeJson } from '../output/json.js';
import { renderTable } from '../output/table.js';
import { chooseProfiles, profileOption } from '../profiles.js';
import { withRepository } from '../repository.js';
import { wholeOption } from '../values.js';

interface SlowestArgs extends GlobalArgs {
  readonly profile: string | undefined;
  readonly count: number;
  readonly all: boolean;
  readonly json: boolean;
}

/** `baton slowest`: the slowest tests of the latest run, as stestr shows them. */
export const slowestCommand: CommandFactory = (ctx) => defineCommand({
  command: 'slowest',
  describe: 'Show the slowest tests of the latest run',
  builder: (y) => y
    .option('profile', profileOption)
    .option('count', { alias: 'n', ...wholeOption('-n', 'a whole number of tests, 1 or more', { min: 1 }, 'How many tests to show'), default: 10 })
    .option('all', { type: 'boolean', default: false, describe: 'Show every timed test of the run' })
    .option('json', { type: 'boolean', default: false, describe: 'As JSON (every profile unless --profile)' }),
  handler: (argv: SlowestArgs) => withRepository(ctx, argv, (repo) => {
    const limit = argv.all ? undefined : Math.max(0, Math.floor(argv.count));
    const profiles = chooseProfiles(repo, argv.profile, argv.json);
    if (argv.json) {
      const out: Record<string, unknown> = {};
      for (const profile of profiles) {
        const run = repo.latestRun(profile);
        out[profile] = run === undefined ? null : { run: runJson(run), slowest: repo.slowest(run.id, limit) };
      }
      writeJson(ctx.io.stdout, { profiles: out });
      return;
    }
    const profile = profiles[0]!;
    const run = repo.latestRun(profile);
    if (run === undefined) throw new StoreError('BATON_STORE_NO_RUNS', `profile ${profile} has no runs yet; \`baton load\` records one`);
    const slowest = repo.slowest(run.id, limit);
    ctx.io.stdout.write(`Slowest tests of run ${run.id} (${profile}):\n`);
    ctx.io.stdout.write(renderTable(['Test id', 'Runtime (s)', 'Status'], slowest.map((s) => [s.testId, formatSeconds(s.duration), s.status]), ['left', 'right']));
  }),
});
