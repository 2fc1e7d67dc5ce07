import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parsePlan, type Plan } from '@baton/scheduler';
import { MAX_SLOTS, type WorkerServer } from '@baton/worker';
import { loadProjectConfig, type ProjectConfig } from '../config.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { RunLog } from '../output/run-log.js';
import { withResolvedPython } from './adapter.js';
import { checkOutput, readInput, STDOUT } from '../files.js';
import { plural } from '../output/format.js';
import { checkListen, dialUrl, httpServer, readToken } from './listen.js';
import { checkServe } from './serve.js';
import { startLocalWorker } from './local-workers.js';
import type { RunArgs } from './options.js';
import { readSelection, type Selection } from './select.js';

/** A run as far as it gets before the coordinator's modules are loaded. */
export interface StartingRun {
  /** The configuration, its Python interpreter resolved (see withResolvedPython). */
  readonly config: Promise<ProjectConfig>;
  readonly jobs: number;
  readonly token: string | undefined;
  /** The `-j N` worker, starting: its test servers discover tests while the rest loads. */
  readonly local: Promise<WorkerServer> | undefined;
  /** The `--worker` URLs to dial, each with baton's path. */
  readonly workers: readonly string[];
  /** `--plan`, read and parsed: a malformed plan is refused before anything starts. */
  readonly plan: { readonly file: string; readonly text: string; readonly parsed: Plan } | undefined;
  /** The selection, its files read and its regular expressions compiled. */
  readonly selection: Selection;
  /** Where the human-readable progress goes: stderr when stdout carries a stream or report. */
  readonly human: 'stdout' | 'stderr';
  /** Where the run's log lines go (stderr, `baton: ` first, above the live display once there is one). */
  readonly runLog: RunLog;
  /** `runLog.line`. */
  readonly log: (line: string) => void;
}

/**
 * Checks the command line and the configuration and starts the local worker, all before
 * the coordinator, the repository and the reporters are loaded (`execute.js`): starting
 * test servers is the slowest part of a run's start, and it runs on other cores meanwhile.
 * Throws on bad input before anything is started: every file the run reads is read, every
 * file it writes is checked, every worker count is checked against the workers that can come.
 */
export function beginRun(ctx: CliContext, args: RunArgs, localByDefault: boolean): StartingRun {
  const cwd = ctx.io.cwd;
  const token = readToken(args.tokenFile, cwd);
  if (args.listen !== undefined) {
    checkListen(args.listen, token);
    httpServer(args.tlsCert, args.tlsKey, cwd);
  } else if (args.tlsCert !== undefined || args.tlsKey !== undefined) {
    throw new CliError('BATON_CLI_USAGE', '--tls-cert and --tls-key serve wss:// to workers that connect: they go with --listen HOST:PORT');
  }
  if (args.serve !== undefined) checkServe(args.serve, token);
  if (args.flakyFails && !(args.retries !== undefined && args.retries > 0)) {
    throw new CliError('BATON_CLI_USAGE', '--flaky-fails fails the run for a test that passed only when tried again: it goes with --retries N (N of 1 or more)');
  }
  const workers = args.worker.map((url) => dialUrl('--worker', url));
  const jobs = args.jobs ?? (localByDefault ? Math.min(availableParallelism(), MAX_SLOTS) : 0);
  if (jobs === 0 && args.listen === undefined && workers.length === 0) {
    throw new CliError('BATON_CLI_USAGE', 'no workers: give -j N for local workers, --listen HOST:PORT for workers that connect, or --worker URL');
  }
  // Without --listen, the workers a run can ever have are known now: waiting for more would never end.
  const reachable = (jobs > 0 ? 1 : 0) + workers.length;
  if (args.listen === undefined && args.minWorkers !== undefined && args.minWorkers > reachable) {
    throw new CliError(
      'BATON_CLI_USAGE',
      `--min-workers ${args.minWorkers} can never be met: this run has ${plural(reachable, 'worker')} (-j N is one worker, each --worker URL one more); --listen HOST:PORT lets more connect`,
    );
  }
  const human = checkReports(args, cwd);
  const plan = args.plan === undefined ? undefined : readPlan(args.plan, cwd);
  const selection = readSelection(args, cwd);
  const resolving = withResolvedPython(loadProjectConfig(cwd, args));
  const runLog = new RunLog(ctx.io.stderr);
  const log = runLog.line;
  const start = (c: ProjectConfig) => startLocalWorker(jobs, c, log, args.isolated === true);
  // Started here and now when the interpreter needs no resolving: yargs renders its help
  // text (a tenth of a second) as soon as this handler returns, before any callback runs.
  const local = jobs === 0 ? undefined : resolving instanceof Promise ? resolving.then(start) : start(resolving);
  const config = Promise.resolve(resolving);
  // Settled even if the run fails before awaiting it, so that a failed start is not unhandled.
  local?.catch(() => undefined);
  return { config, jobs, token, local, workers, plan, selection, human, runLog, log };
}

/**
 * Checks `--junit` and `--json` can be written, and that at most one stream takes stdout
 * (`--subunit`, `--json -`, `--junit -`); progress then goes to stderr.
 */
function checkReports(args: RunArgs, cwd: string): 'stdout' | 'stderr' {
  const reports = [['--junit', args.junit], ['--json', args.json]] as const;
  const onStdout = [...(args.subunit ? ['--subunit'] : []), ...reports.filter(([, file]) => file === STDOUT).map(([flag]) => `${flag} -`)];
  if (onStdout.length > 1) throw new CliError('BATON_CLI_USAGE', `${onStdout.join(' and ')} would all write to stdout: send all but one to a file`);
  for (const [flag, file] of reports) if (file !== undefined) checkOutput(flag, file, cwd);
  if (args.junit !== undefined && args.junit !== STDOUT && args.json !== undefined && resolve(cwd, args.junit) === resolve(cwd, args.json)) {
    throw new CliError('BATON_CLI_USAGE', `--junit and --json both name ${args.json}: give each report its own file`);
  }
  return onStdout.length > 0 ? 'stderr' : 'stdout';
}

function readPlan(file: string, cwd: string): NonNullable<StartingRun['plan']> {
  const text = readInput('--plan', file, cwd);
  return { file, text, parsed: parsePlan(text, { file }) };
}
