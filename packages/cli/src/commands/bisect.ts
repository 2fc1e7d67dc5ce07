import { availableParallelism } from 'node:os';
import type { BisectEvidence } from '@baton/store';
import { bisectTest, type BisectReport } from '../bisect/session.js';
import { defineCommand, type CommandFactory, type GlobalArgs } from '../context.js';
import { parseDuration } from '../duration.js';
import { CliError, ExitCode } from '../errors.js';
import { formatAttachments, formatSeconds, plural } from '../output/format.js';
import { writeJson } from '../output/json.js';
import { configOptions, type ConfigArgs } from '../run/options.js';
import { secondsOption } from '../values.js';

/** The confidence `baton bisect` clears a candidate with unless told otherwise. */
export const DEFAULT_CONFIDENCE = 0.99;

interface BisectArgs extends GlobalArgs, ConfigArgs {
  readonly timeout: number | undefined;
  /** `[RUN] TEST_ID`. */
  readonly args: string[];
  readonly confidence: number;
  readonly maxTime: string | undefined;
  readonly jobs: number | undefined;
  readonly restart: boolean;
  readonly json: boolean;
}

/**
 * `baton bisect [RUN] TEST_ID`: which of the tests that ran before a failing test in its
 * process make it fail, for tests that fail only some of the time. Exit 0 with an answer
 * (culprits, fails on its own, or the tests before it do not make it fail), 1 when it
 * stopped before one (--max-time, Ctrl-C): the same command resumes it.
 */
export const bisectCommand: CommandFactory = (ctx) => defineCommand({
  command: 'bisect <args..>',
  describe: 'Find which of the tests that ran before a flaky failure make it fail ([RUN] TEST_ID; RUN: its latest failure)',
  builder: (y) => configOptions(y, false)
    .positional('args', { type: 'string', array: true, describe: '[RUN] TEST_ID: the run it failed in (default: its latest failure) and the test' })
    .option('confidence', { type: 'number', default: DEFAULT_CONFIDENCE, describe: 'How sure a run of passes must make it that a set of tests does not make the test fail (0 to 1)' })
    .option('max-time', { type: 'string', describe: 'Stop after this long (90, 90s, 15m, 2h); the same command resumes' })
    .option('jobs', { alias: 'j', type: 'number', describe: 'Candidates run at once, each in a fresh test server process (default: the number of cores)' })
    .option('timeout', secondsOption('--timeout', 'Seconds a test of a candidate may run before its process is killed (default: the configuration\'s timeout)'))
    .option('restart', { type: 'boolean', default: false, describe: 'Forget what an earlier bisection of this test and run found, and start over' })
    .option('json', { type: 'boolean', default: false, describe: 'The answer and its evidence as JSON' }),
  handler: async (argv: BisectArgs) => {
    const { run, testId } = runAndTest(argv.args);
    if (!(argv.confidence > 0 && argv.confidence < 1)) throw new CliError('BATON_CLI_USAGE', `--confidence takes a number between 0 and 1 (such as 0.99), not ${argv.confidence}`);
    const jobs = argv.jobs ?? availableParallelism();
    if (!Number.isInteger(jobs) || jobs < 1) throw new CliError('BATON_CLI_USAGE', `-j takes a whole number of test server processes at once, 1 or more, not ${argv.jobs}`);
    const maxSeconds = argv.maxTime === undefined ? undefined : parseDuration(argv.maxTime, '--max-time');
    const report = await bisectTest(ctx, argv, { run, testId, confidence: argv.confidence, maxSeconds, jobs, restart: argv.restart, timeout: argv.timeout });
    if (argv.json) writeJson(ctx.io.stdout, bisectJson(report));
    else ctx.io.stdout.write(formatReport(report));
    if (report.outcome === undefined) ctx.exit(ExitCode.TESTS_FAILED);
  },
});

function runAndTest(args: readonly string[]): { run: number | undefined; testId: string } {
  if (args.length === 1) return { run: undefined, testId: args[0]! };
  if (args.length === 2 && /^\d+$/.test(args[0]!)) return { run: Number(args[0]), testId: args[1]! };
  throw new CliError('BATON_CLI_USAGE', `bisect takes [RUN] TEST_ID (RUN a run id, as \`baton history list\` shows), not ${args.map((a) => JSON.stringify(a)).join(' ')}`);
}

/** The failure seen with the culprits before it (or alone), as `last` shows a failure. */
const failureSeen = (r: BisectReport): string => `FAIL: ${r.testId}\n${formatAttachments(r.failure?.attachments ?? [])}`.trimEnd();

const evidence = (e: BisectEvidence) => `${plural(e.runs, 'run')}, ${plural(e.failures, 'failure')}`;

function formatReport(r: BisectReport): string {
  const lines: string[] = [];
  const outcome = r.outcome;
  const before = `the ${plural(r.prefix.length, 'test')} that ran before it in run ${r.run}${r.worker === undefined ? '' : ` (worker ${r.worker})`}`;
  if (outcome?.kind === 'culprits') {
    const culprits = outcome.culprits.map((i) => r.prefix[i]!);
    if (r.failure !== undefined) lines.push(failureSeen(r));
    lines.push(`${r.testId} fails after ${culprits.length === 1 ? culprits[0] : `these ${culprits.length} tests together, each needed:`}`);
    if (culprits.length > 1) for (const c of culprits) lines.push(`  ${c}`);
    lines.push(`  after ${culprits.length === 1 ? 'it' : 'them'}: ${evidence(r.withSuspects)}; alone: ${evidence(r.alone)} (confidence ${r.confidence})`);
    lines.push(`  to reproduce: baton run -j 1 --load-list FILE, FILE holding ${culprits.length === 1 ? 'it' : 'them'} and ${r.testId}, one per line`);
  } else if (outcome?.kind === 'alone') {
    if (r.failure !== undefined) lines.push(failureSeen(r));
    lines.push(`${r.testId} fails on its own: ${evidence(r.alone)} with nothing before it`);
  } else if (outcome?.kind === 'not-reproduced') {
    lines.push(`${r.testId} does not fail after ${before}, run again in a fresh process: ${evidence(r.withPrefix)} (confidence ${r.confidence})`);
    lines.push('  it may need a test of another worker, the machine\'s load, or the time of day');
  } else {
    const why = r.stopped === 'interrupted' ? 'interrupted' : 'stopped at --max-time';
    const state = r.withPrefix.failures === 0
      ? `not failed yet after ${before} (${evidence(r.withPrefix)})`
      : `${plural(r.suspects.length, 'test')} of ${r.prefix.length} still suspected; with them before it: ${evidence(r.withSuspects)}; alone: ${evidence(r.alone)}`;
    lines.push(`${r.testId}: no answer yet (${why}): ${state}`);
    lines.push(`  the same command resumes: baton bisect ${r.run} ${r.testId}`);
  }
  if (outcome !== undefined && outcome.kind !== 'not-reproduced') lines.push(`  bisected ${before}`);
  lines.push(r.concludedEarlier
    ? `  concluded earlier after ${plural(r.executions, 'execution')} in ${formatSeconds(r.seconds)} s; --restart bisects again`
    : `  ${plural(r.executions, 'execution')} in ${formatSeconds(r.seconds)} s${r.executedNow < r.executions ? ` (${r.executedNow} now)` : ''}`);
  return `${lines.join('\n')}\n`;
}

function bisectJson(r: BisectReport): Record<string, unknown> {
  const outcome = r.outcome;
  return {
    run: r.run,
    testId: r.testId,
    worker: r.worker ?? null,
    outcome: outcome?.kind ?? 'unfinished',
    stopped: r.stopped ?? null,
    culprits: outcome?.kind === 'culprits' ? outcome.culprits.map((i) => r.prefix[i]) : null,
    suspects: r.suspects.map((i) => r.prefix[i]),
    prefix: r.prefix,
    leftOut: r.unknown,
    confidence: r.confidence,
    evidence: { suspects: r.withSuspects, alone: r.alone, prefix: r.withPrefix, failureRate: r.rate },
    executions: r.executions,
    executedNow: r.executedNow,
    seconds: r.seconds,
    concludedEarlier: r.concludedEarlier,
  };
}
