import { FAILING_STATUSES, StoreError, type RunRepository, type RunSummary } from '@baton/store';
import { defineCommand, type CommandFactory, type GlobalArgs } from '../context.js';
import { resultJson, runJson, writeJson } from '../output/json.js';
import { formatFailure, formatRunLine, hasFailures } from '../output/run.js';
import { writeSubunit } from '../output/subunit.js';
import { chooseProfiles, profileOption } from '../profiles.js';
import { withRepository } from '../repository.js';
import { lastStatus, runState } from '../run-state.js';

interface LastArgs extends GlobalArgs {
  readonly profile: string | undefined;
  readonly json: boolean | undefined;
  readonly subunit: boolean | undefined;
}

/**
 * `baton last`: the latest run of a profile, its failures, its counts and how it stands
 * (finished, in progress, cut short); it exits with the status the run ended with (3
 * for one that has not ended, see lastStatus).
 */
export const lastCommand: CommandFactory = (ctx) => defineCommand({
  command: 'last',
  describe: 'Show the latest run: its failures and a summary',
  builder: (y) => y
    .option('profile', profileOption)
    .option('json', { type: 'boolean', describe: 'The run and its failing results as JSON (every profile unless --profile)' })
    .option('subunit', { type: 'boolean', describe: 'Every result of the run as a subunit v2 stream' })
    .conflicts('json', 'subunit'),
  handler: (argv: LastArgs) => withRepository(ctx, argv, (repo) => {
    const profiles = chooseProfiles(repo, argv.profile, argv.json === true);
    if (argv.json) {
      const out: Record<string, unknown> = {};
      for (const profile of profiles) {
        const run = repo.latestRun(profile);
        if (run === undefined) {
          out[profile] = null;
          continue;
        }
        const state = runState(run);
        out[profile] = { run: runJson(run, state), failing: failingOf(repo, run).map(resultJson) };
        ctx.exit(lastStatus(run, state));
      }
      writeJson(ctx.io.stdout, { profiles: out });
      return;
    }
    const profile = profiles[0]!;
    const run = repo.latestRun(profile);
    if (run === undefined) {
      throw new StoreError('BATON_STORE_NO_RUNS', `profile ${profile} has no runs yet; \`baton load\` records one`);
    }
    const state = runState(run);
    if (argv.subunit) writeSubunit(ctx.io.stdout, repo.results(run.id));
    else {
      for (const r of failingOf(repo, run)) ctx.io.stdout.write(formatFailure(r.testId, r));
      ctx.io.stdout.write(formatRunLine(run, state));
    }
    ctx.exit(lastStatus(run, state));
  }),
});

function failingOf(repo: RunRepository, run: RunSummary) {
  return hasFailures(run.counts) ? repo.results(run.id).filter((r) => FAILING_STATUSES.has(r.status)) : [];
}
