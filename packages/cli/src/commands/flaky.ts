import type { FlakyTest } from '@baton/store';
import { timestampFromMillis } from '@baton/subunit';
import { defineCommand, type CommandFactory, type GlobalArgs } from '../context.js';
import { CliError } from '../errors.js';
import { formatTime, grouped, plural } from '../output/format.js';
import { isoJson, writeJson } from '../output/json.js';
import { renderTable } from '../output/table.js';
import { chooseProfiles, profileOption } from '../profiles.js';
import { withRepository } from '../repository.js';

/** Latest runs `baton flaky` looks at unless told otherwise. */
export const FLAKY_RUNS = 50;

interface FlakyArgs extends GlobalArgs {
  readonly runs: number;
  readonly profile: string | undefined;
  readonly json: boolean;
}

/** When the run of its latest failure started. */
const lastFailed = (f: FlakyTest) => timestampFromMillis(f.lastFailedUs / 1000);

/** The flaky tests of a profile, most often failing first. */
function ranked(flaky: readonly FlakyTest[]): FlakyTest[] {
  const rate = (f: FlakyTest) => f.failures / f.results;
  return [...flaky].sort((a, b) => rate(b) - rate(a) || b.failures - a.failures || b.lastFailedRun - a.lastFailedRun || (a.testId < b.testId ? -1 : 1));
}

/**
 * `baton flaky`: the tests whose history shows both outcomes under one selection (the
 * same tests selected), a test's failed attempts that `run --retries` tried again among
 * them, so that one that passed only when tried again is flaky from that one run; ranked
 * by how often they failed, with when they last did and how often they passed on retry.
 */
export const flakyCommand: CommandFactory = (ctx) => defineCommand({
  command: 'flaky',
  describe: 'List the tests that both passed and failed in runs of the same selection (a pass on retry included), most often failing first',
  builder: (y) => y
    .option('runs', { type: 'number', default: FLAKY_RUNS, describe: 'How many of the latest runs to look at' })
    .option('profile', profileOption)
    .option('json', { type: 'boolean', default: false, describe: 'As JSON (every profile unless --profile)' }),
  handler: (argv: FlakyArgs) => withRepository(ctx, argv, (repo) => {
    if (!Number.isInteger(argv.runs) || argv.runs < 2) throw new CliError('BATON_CLI_USAGE', `--runs takes a whole number of runs, 2 or more, not ${argv.runs}`);
    const profiles = chooseProfiles(repo, argv.profile, argv.json);
    const byProfile = profiles.map((p) => [p, ranked(repo.flaky(p, argv.runs, -1))] as const);
    if (argv.json) {
      writeJson(ctx.io.stdout, { runs: argv.runs, profiles: Object.fromEntries(byProfile.map(([p, flaky]) => [p, flaky.map((f) => ({
        testId: f.testId,
        failureRate: f.failures / f.results,
        failures: f.failures,
        results: f.results,
        flips: f.flips,
        passedOnRetry: f.passedOnRetry,
        lastFailedRun: f.lastFailedRun,
        lastFailed: isoJson(lastFailed(f)),
      }))])) });
      return;
    }
    const [profile, flaky] = byProfile[0]!;
    if (flaky.length > 0) {
      ctx.io.stdout.write(renderTable(['Test id', 'Failed', 'Of', 'Rate', 'Flips', 'Passed on retry', 'Last failed'],
        flaky.map((f) => [f.testId, grouped(f.failures), grouped(f.results), `${Math.round((100 * f.failures) / f.results)}%`, grouped(f.flips), grouped(f.passedOnRetry), `${formatTime(lastFailed(f))} (run ${f.lastFailedRun})`]),
        ['left', 'right', 'right', 'right', 'right', 'right']));
    }
    ctx.io.stdout.write(`${flaky.length === 0 ? 'No flaky tests' : plural(flaky.length, 'flaky test')} in the latest ${plural(argv.runs, 'run')} of ${profile}\n`);
  }),
});
