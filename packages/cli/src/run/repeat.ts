import type { Argv } from 'yargs';
import { DEFAULT_PROFILE } from '@baton/store';
import { isFailing } from '@baton/subunit';
import type { CliContext, GlobalArgs } from '../context.js';
import { CliError, ExitCode, type ExitStatus } from '../errors.js';
import { grouped, plural } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { withRepository } from '../repository.js';
import { beginRun } from './begin.js';
import { MAX_SEED, type RunArgs } from './options.js';

/** `baton run`'s options for running the selection again and again. */
export interface RepeatArgs extends RunArgs {
  readonly untilFailure: boolean | undefined;
  readonly repeat: number | undefined;
}

/** Declares them, and `--isolated`, on top of the run's own options. */
export function repeatOptions(y: Argv<object>): Argv<object> {
  return y
    .option('isolated', { type: 'boolean', describe: 'Run every test in a fresh test server process of its own (forked), as nothing ran before it' })
    .option('until-failure', { type: 'boolean', describe: 'Run the selection again and again, each time scheduled afresh on fresh test servers, until a test fails' })
    .option('repeat', { type: 'number', describe: 'Run the selection this many times, each scheduled afresh, and count each test\'s failures' })
    .conflicts('until-failure', 'repeat')
    // Each iteration is a run of its own, counted apart.
    .conflicts('combine', ['until-failure', 'repeat']);
}

/** Whether the command line asks for more than one run. */
export function repeats(args: RepeatArgs): boolean {
  return args.untilFailure === true || args.repeat !== undefined;
}

/**
 * `--until-failure` and `--repeat N`: whole runs, one after another, each with its own
 * local worker (fresh test servers, as a run starts them) and its own schedule from the
 * history the runs before it left, each recorded as a run. Ctrl-C ends the run under way as
 * it ends any run, and the loop with it, saying what was found. `--until-failure` stops at
 * the first run that is not a pass and exits with its status; `--repeat` goes on through
 * failures (not through infrastructure trouble) and exits with the worst status seen.
 */
export async function repeatRuns(ctx: CliContext, args: RepeatArgs & GlobalArgs): Promise<void> {
  const limit = args.repeat ?? Infinity;
  if (args.repeat !== undefined && !(Number.isInteger(args.repeat) && args.repeat >= 1)) {
    throw new CliError('BATON_CLI_USAGE', `--repeat takes a whole number of runs, 1 or more, not ${args.repeat}`);
  }
  let interrupted = false;
  const interrupt = () => {
    interrupted = true;
  };
  // Beside the run's own handler, which ends the run under way; between runs, this one
  // alone stops the loop.
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  const runs: number[] = [];
  let worst: ExitStatus = ExitCode.OK;
  let profile = DEFAULT_PROFILE;
  try {
    for (let iteration = 1; iteration <= limit && !interrupted; iteration++) {
      ctx.io.stderr.write(`baton: iteration ${iteration}${Number.isFinite(limit) ? ` of ${limit}` : ''}\n`);
      // The run's status, raised as its own context's is; the loop's is the worst of them.
      const seen = { status: ExitCode.OK as ExitStatus };
      const run: CliContext = { ...ctx, exit: (s) => (seen.status = Math.max(seen.status, s) as ExitStatus) };
      // --random-seed N: the first iteration takes N, each next one the seed after it, so
      // that iteration k is `--random-seed N+k-1` alone.
      const these = args.randomSeed === undefined ? args : { ...args, randomSeed: (args.randomSeed + iteration - 1) % (MAX_SEED + 1) };
      const start = beginRun(run, these, true);
      const { executeRun } = await import('./execute.js');
      await executeRun(run, these, start);
      profile = args.profile ?? (await start.config).profile ?? DEFAULT_PROFILE;
      const latest = await withRepository(ctx, args, (repo) => repo.latestRun(profile)?.id);
      if (latest !== undefined) runs.push(latest);
      worst = Math.max(worst, seen.status) as ExitStatus;
      if (seen.status === ExitCode.INFRA || (args.untilFailure && seen.status !== ExitCode.OK)) break;
    }
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  ctx.exit(worst);
  if (args.untilFailure) {
    const which = `iteration ${runs.length} (run ${runs.at(-1)})`;
    const what = interrupted ? `Interrupted in ${which}` : worst === ExitCode.TESTS_FAILED ? `Failed in ${which}` : `Could not run ${which} (see above)`;
    ctx.io.stdout.write(`${what}${runs.length > 1 ? `; the ${plural(runs.length - 1, 'iteration')} before it passed` : ''}\n`);
    return;
  }
  await withRepository(ctx, args, (repo) => {
    const failures = new Map<string, number>();
    let failed = 0;
    for (const run of runs) {
      const failing = repo.results(run).filter((r) => isFailing(r.status));
      if (failing.length > 0) failed++;
      for (const r of failing) failures.set(r.testId, (failures.get(r.testId) ?? 0) + 1);
    }
    const ranked = [...failures].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
    if (ranked.length > 0) ctx.io.stdout.write(renderTable(['Test id', 'Failed', 'Of'], ranked.map(([id, n]) => [id, grouped(n), grouped(runs.length)]), ['left', 'right', 'right']));
    const which = runs.length === 0 ? '' : ` (run${runs.length === 1 ? ` ${runs[0]}` : `s ${runs[0]}–${runs.at(-1)}`})`;
    ctx.io.stdout.write(`${plural(runs.length, 'iteration')}${which}, ${failed} with failures; ${plural(ranked.length, 'test')} failed at least once${interrupted ? ' (interrupted)' : ''}\n`);
  });
}
