import { runState, StoreError, type HistoryEntry, type SqliteRepository, type StoredRun } from '@baton/store';
import { FAILING_STATUSES, isFailing, secondsBetween } from '@baton/subunit';
import { defineCommand, type CliContext, type CommandFactory, type GlobalArgs } from '../context.js';
import { CliError } from '../errors.js';
import { formatSeconds, formatTime, grouped, plural } from '../output/format.js';
import { historyJson, runJson, runReportJson, writeJson } from '../output/json.js';
import { outputOptions, shownFor, type OutputArgs } from '../output/options.js';
import { formatRunReport, reportOf } from '../output/run.js';
import { renderTable } from '../output/table.js';
import { chooseProfiles, profileOption } from '../profiles.js';
import { lastStatus } from '../run-state.js';
import { withRepository } from '../repository.js';

interface HistoryArgs extends GlobalArgs, OutputArgs {
  /** A verb and its runs, or a test id. */
  readonly args: string[];
  /** A test id, for one named like a verb. */
  readonly test: string | undefined;
  readonly profile: string | undefined;
  readonly json: boolean;
}

/** Runs read at a time by `history list`. */
const RUN_PAGE = 500;

/**
 * `baton history list | show [RUN] | remove RUN…|all` (stestr 3's verbs: the runs the
 * repository holds, one of them, forgetting some) and `baton history TEST_ID` (every
 * result of one test; `--test ID` for a test named like a verb).
 */
export const historyCommand: CommandFactory = (ctx) => defineCommand({
  command: 'history [args..]',
  describe: 'The runs (history list, history show [RUN], history remove RUN…|all), or every result of a test (history TEST_ID)',
  // The output options are `last`'s, for `history show`.
  builder: (y) => outputOptions(y)
    .positional('args', { type: 'string', array: true, default: [], describe: 'list | show [RUN] | remove RUN…|all | TEST_ID' })
    .option('test', { type: 'string', describe: 'The test whose results to show (for a test id that reads like a verb)' })
    .option('profile', profileOption)
    .option('json', { type: 'boolean', default: false, describe: 'As JSON (every profile unless --profile, for a test)' }),
  handler: (argv: HistoryArgs) => {
    const [first, ...rest] = argv.args;
    if (argv.test !== undefined) {
      if (argv.args.length > 0) throw usage(`--test takes the place of TEST_ID; give no other argument (got ${argv.args.join(' ')})`);
      return testHistory(ctx, argv, argv.test);
    }
    switch (first) {
      case undefined:
        throw usage('history needs a verb or a test id');
      case 'list':
        if (rest.length > 0) throw usage(`history list takes no run, not ${rest.join(' ')}`);
        return listRuns(ctx, argv);
      case 'show':
        if (rest.length > 1) throw usage(`history show takes one run, not ${rest.join(' ')}`);
        return showRun(ctx, argv, rest[0] === undefined ? undefined : runId(rest[0]));
      case 'remove':
        if (rest.length === 0) throw usage('history remove needs the runs to remove (or all)');
        return removeRuns(ctx, argv, rest);
      default:
        if (rest.length > 0) throw usage(`a test's history takes one test id, not ${argv.args.join(' ')}`);
        return testHistory(ctx, argv, first);
    }
  },
});

function usage(what: string): CliError {
  return new CliError('BATON_CLI_USAGE', `${what}; history takes list, show [RUN], remove RUN…|all, or TEST_ID (--test ID for a test named like a verb)`);
}

function runId(text: string): number {
  if (!/^\d+$/.test(text)) throw usage(`${JSON.stringify(text)} is not a run id (a whole number, as \`baton history list\` shows)`);
  return Number(text);
}

/** Every run, oldest first, of the profile if one is named. */
function allRuns(repo: SqliteRepository, profile: string | undefined): StoredRun[] {
  const runs: StoredRun[] = [];
  for (let page = repo.runPage({ profile, limit: RUN_PAGE }); page.length > 0; page = repo.runPage({ profile, before: page.at(-1)!.id, limit: RUN_PAGE })) runs.push(...page);
  return runs.reverse();
}

function listRuns(ctx: CliContext, argv: HistoryArgs): Promise<void> {
  return withRepository(ctx, argv, (repo) => {
    const runs = allRuns(repo, argv.profile);
    if (argv.json) {
      writeJson(ctx.io.stdout, { runs: runs.map(runJson) });
      return;
    }
    const count = (r: StoredRun, ...statuses: (keyof StoredRun['counts'])[]) => grouped(statuses.reduce((n, s) => n + (r.counts[s] ?? 0), 0));
    ctx.io.stdout.write(renderTable(
      ['Run', 'Profile', 'Started', 'Runtime (s)', 'Passed', 'Failed', 'Skipped', 'State'],
      runs.map((r) => [
        String(r.id), r.profile, formatTime(r.start),
        r.stop === undefined ? '-' : formatSeconds(secondsBetween(r.start, r.stop)),
        count(r, 'success', 'xfail'), count(r, ...FAILING_STATUSES), count(r, 'skip'),
        !r.complete ? 'incomplete' : r.partial ? 'partial' : 'complete',
      ]),
      ['right', 'left', 'left', 'right', 'right', 'right', 'right'],
    ));
    ctx.io.stdout.write(`${plural(runs.length, 'run')}${argv.profile === undefined ? '' : ` of profile ${argv.profile}`}\n`);
  });
}

/** One run as `last` shows the latest: its failures, then a summary; exit 1 if it failed. */
function showRun(ctx: CliContext, argv: HistoryArgs, id: number | undefined): Promise<void> {
  return withRepository(ctx, argv, (repo) => {
    const run = id === undefined ? latest(repo, argv.profile) : repo.run(id);
    if (run === undefined) throw new StoreError('BATON_STORE_NO_SUCH_RUN', `the repository holds no run ${id}; \`baton history list\` lists them`);
    const report = reportOf(repo, run);
    if (argv.json) writeJson(ctx.io.stdout, runReportJson(run, report));
    else ctx.io.stdout.write(formatRunReport(repo, run, report, runState(run), shownFor(argv, ctx.io.env, ctx.io.stdout)));
    ctx.exit(lastStatus(run));
  });
}

function latest(repo: SqliteRepository, profile: string | undefined): StoredRun {
  const run = repo.runPage({ profile, limit: 1 })[0];
  if (run === undefined) throw new StoreError('BATON_STORE_NO_RUNS', `${profile === undefined ? 'the repository' : `profile ${profile}`} has no runs yet; \`baton load\` records one`);
  return run;
}

function removeRuns(ctx: CliContext, argv: HistoryArgs, which: readonly string[]): Promise<void> {
  return withRepository(ctx, argv, (repo) => {
    const all = which.length === 1 && which[0] === 'all';
    const ids = all ? allRuns(repo, argv.profile).map((r) => r.id) : which.map(runId);
    const results = repo.removeRuns(ids);
    ctx.io.stdout.write(ids.length === 0
      ? 'No runs to remove\n'
      : `Removed ${ids.length === 1 ? `run ${ids[0]}` : plural(ids.length, 'run')} and ${plural(results, 'result')}\n`);
  }, 'write');
}

/** Every recorded result of a test, and its current estimate. */
function testHistory(ctx: CliContext, argv: HistoryArgs, testId: string): Promise<void> {
  return withRepository(ctx, argv, (repo) => {
    const profiles = chooseProfiles(repo, argv.profile, argv.json);
    const byProfile = profiles.map((p) => ({ profile: p, entries: repo.history(testId, p), estimate: repo.estimates([testId], p).known.get(testId) }));
    if (byProfile.every((h) => h.entries.length === 0)) {
      throw new CliError('BATON_CLI_UNKNOWN_TEST', `no results for ${testId} in ${profiles.length === 1 ? `profile ${profiles[0]}` : 'any profile'}; \`baton failing --list\` and \`baton slowest --all\` show recorded ids`);
    }
    if (argv.json) {
      writeJson(ctx.io.stdout, { testId, profiles: Object.fromEntries(byProfile.map((h) => [h.profile, {
        estimate: h.estimate ?? null,
        results: h.entries.map(historyJson),
      }])) });
      return;
    }
    const { profile, entries, estimate } = byProfile[0]!;
    const failures = entries.filter((e) => isFailing(e.status)).length;
    const onRetry = entries.filter((e) => e.failedAttempts > 0 && !isFailing(e.status)).length;
    // A result after failed attempts (--retries) says so: a pass there is a flaky one.
    const status = (e: HistoryEntry) => (e.failedAttempts === 0 ? e.status : `${e.status} after ${plural(e.failedAttempts, 'failed attempt')}`);
    ctx.io.stdout.write(renderTable(['Run', 'Started', 'Status', 'Duration (s)', 'Worker'],
      entries.map((e) => [String(e.run), formatTime(e.start), status(e), formatSeconds(e.duration), e.worker ?? '-']),
      ['right', 'left', 'left', 'right']));
    const retried = onRetry === 0 ? '' : `, ${onRetry} passed only when tried again`;
    ctx.io.stdout.write(`${testId} (${profile}): ${plural(entries.length, 'result')}, ${failures} failing${retried}; estimate ${formatSeconds(estimate)}s\n`);
  });
}
