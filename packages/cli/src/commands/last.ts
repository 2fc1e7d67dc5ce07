import { writeFileSync } from 'node:fs';
import { layoutRun, traceJson } from '@baton/dashboard';
import { StoreError, type RunRepository, type StoredRun } from '@baton/store';
import { isFailing } from '@baton/subunit';
import { defineCommand, type CommandFactory, type GlobalArgs } from '../context.js';
import { ExitCode } from '../errors.js';
import { fullResultJson, runJson, writeJson } from '../output/json.js';
import { formatFailure, formatRunLine, hasFailures } from '../output/run.js';
import { writeSubunit } from '../output/subunit.js';
import { chooseProfiles, profileOption } from '../profiles.js';
import { withRepository } from '../repository.js';

interface LastArgs extends GlobalArgs {
  readonly profile: string | undefined;
  readonly json: boolean | undefined;
  readonly subunit: boolean | undefined;
  readonly trace: string | undefined;
}

/** `baton last`: the latest run of a profile, its failures and its counts; exit 1 if it failed. */
export const lastCommand: CommandFactory = (ctx) => defineCommand({
  command: 'last',
  describe: 'Show the latest run: its failures and a summary',
  builder: (y) => y
    .option('profile', profileOption)
    .option('json', { type: 'boolean', describe: 'The run and its failing results as JSON (every profile unless --profile)' })
    .option('subunit', { type: 'boolean', describe: 'Every result of the run as a subunit v2 stream' })
    .option('trace', { type: 'string', describe: 'Also write the run to this file as Chrome trace-event JSON (one track per worker slot; open it in Perfetto or chrome://tracing)' })
    .conflicts('json', 'subunit')
    .conflicts('json', 'trace'),
  handler: (argv: LastArgs) => withRepository(ctx, argv, (repo) => {
    const profiles = chooseProfiles(repo, argv.profile, argv.json === true);
    if (argv.json) {
      const out: Record<string, unknown> = {};
      for (const profile of profiles) {
        const run = repo.latestRun(profile);
        out[profile] = run === undefined ? null : { run: runJson(run), failing: failingOf(repo, run).map(fullResultJson) };
        if (run && hasFailures(run.counts)) ctx.exit(ExitCode.TESTS_FAILED);
      }
      writeJson(ctx.io.stdout, { profiles: out });
      return;
    }
    const profile = profiles[0]!;
    const run = repo.latestRun(profile);
    if (run === undefined) {
      throw new StoreError('BATON_STORE_NO_RUNS', `profile ${profile} has no runs yet; \`baton load\` records one`);
    }
    if (argv.trace !== undefined) {
      writeFileSync(argv.trace, traceJson(layoutRun(repo, run)));
      ctx.io.stderr.write(`baton: wrote run ${run.id} as a Chrome trace to ${argv.trace}\n`);
    }
    if (argv.subunit) writeSubunit(ctx.io.stdout, repo.results(run.id));
    else {
      for (const r of failingOf(repo, run)) ctx.io.stdout.write(formatFailure(r.testId, r));
      ctx.io.stdout.write(formatRunLine(run));
    }
    if (hasFailures(run.counts)) ctx.exit(ExitCode.TESTS_FAILED);
  }),
});

function failingOf(repo: RunRepository, run: StoredRun) {
  return hasFailures(run.counts) ? repo.results(run.id).filter((r) => isFailing(r.status)) : [];
}
