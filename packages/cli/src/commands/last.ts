import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { layoutRun, traceJson } from '@baton/dashboard';
import { runState, StoreError } from '@baton/store';
import { defineCommand, type CommandFactory, type GlobalArgs } from '../context.js';
import { fileError } from '../files.js';
import { runReportJson, writeJson } from '../output/json.js';
import { outputOptions, shownFor, type OutputArgs } from '../output/options.js';
import { formatRunReport, reportOf } from '../output/run.js';
import { writeSubunit } from '../output/subunit.js';
import { chooseProfiles, profileOption } from '../profiles.js';
import { withRepository } from '../repository.js';
import { lastStatus } from '../run-state.js';
import { textOption } from '../values.js';

interface LastArgs extends GlobalArgs, OutputArgs {
  readonly profile: string | undefined;
  readonly json: boolean | undefined;
  readonly subunit: boolean | undefined;
  readonly trace: string | undefined;
}

/**
 * `baton last`: the latest run of a profile, its failures, its counts and how it stands
 * (finished, in progress, cut short); it exits with the status the run ended with (3
 * for one that has not ended, see lastStatus).
 */
export const lastCommand: CommandFactory = (ctx) => defineCommand({
  command: 'last',
  describe: 'Show the latest run: its failures and a summary',
  builder: (y) => outputOptions(y)
    .option('profile', profileOption)
    .option('json', { type: 'boolean', describe: 'The run and its failing results as JSON (every profile unless --profile)' })
    .option('subunit', { type: 'boolean', describe: 'Every result of the run as a subunit v2 stream' })
    .option('trace', textOption('--trace', 'Also write the run to this file as Chrome trace-event JSON (one track per worker slot; open it in Perfetto or chrome://tracing)'))
    .conflicts('json', 'subunit')
    .conflicts('json', 'trace'),
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
        out[profile] = runReportJson(run, reportOf(repo, run));
        ctx.exit(lastStatus(run));
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
    if (argv.trace !== undefined) {
      try {
        writeFileSync(resolve(ctx.io.cwd, argv.trace), traceJson(layoutRun(repo, run)));
      } catch (error) {
        throw fileError('--trace', argv.trace, error);
      }
      ctx.io.stderr.write(`baton: wrote run ${run.id} as a Chrome trace to ${argv.trace}\n`);
    }
    if (argv.subunit) writeSubunit(ctx.io.stdout, repo.results(run.id));
    else {
      ctx.io.stdout.write(formatRunReport(repo, run, reportOf(repo, run), state, shownFor(argv, ctx.io.env, ctx.io.stdout)));
    }
    ctx.exit(lastStatus(run, state));
  }),
});
