import { availableParallelism } from 'node:os';
import type { WorkerServer } from '@baton/worker';
import { loadProjectConfig, type ProjectConfig } from '../config.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { withResolvedPython } from './adapter.js';
import { checkListen, readToken } from './listen.js';
import { checkServe } from './serve.js';
import { startLocalWorker } from './local-workers.js';
import type { RunArgs } from './options.js';

/** A run as far as it gets before the coordinator's modules are loaded. */
export interface RunStart {
  /** The configuration, its Python interpreter resolved (see withResolvedPython). */
  readonly config: Promise<ProjectConfig>;
  readonly jobs: number;
  readonly token: string | undefined;
  /** The `-j N` worker, starting: its test servers discover tests while the rest loads. */
  readonly local: Promise<WorkerServer> | undefined;
  /** Where the run's log lines go (stderr, `baton: ` first). */
  readonly log: (line: string) => void;
}

/**
 * Checks the command line and the configuration and starts the local worker, all before
 * the coordinator, the repository and the reporters are loaded (`execute.js`): starting
 * test servers is the slowest part of a run's start, and it runs on other cores meanwhile.
 * Throws on bad input before anything is started.
 */
export function beginRun(ctx: CliContext, args: RunArgs, localByDefault: boolean): RunStart {
  const token = readToken(args.tokenFile);
  if (args.listen !== undefined) checkListen(args.listen, token);
  if (args.serve !== undefined) checkServe(args.serve, token);
  const jobs = args.jobs ?? (localByDefault ? availableParallelism() : 0);
  if (!Number.isInteger(jobs) || jobs < 0) throw new CliError('BATON_CLI_USAGE', `-j takes a whole number of local workers, not ${args.jobs}`);
  if (jobs === 0 && args.listen === undefined && args.worker.length === 0) {
    throw new CliError('BATON_CLI_USAGE', 'no workers: give -j N for local workers, --listen HOST:PORT for workers that connect, or --worker URL');
  }
  const resolving = withResolvedPython(loadProjectConfig(ctx.io.cwd));
  const log = (line: string) => ctx.io.stderr.write(`baton: ${line}\n`);
  const start = (c: ProjectConfig) => startLocalWorker(jobs, c, log, args.isolated === true);
  // Started here and now when the interpreter needs no resolving: yargs renders its help
  // text (a tenth of a second) as soon as this handler returns, before any callback runs.
  const local = jobs === 0 ? undefined : resolving instanceof Promise ? resolving.then(start) : start(resolving);
  const config = Promise.resolve(resolving);
  // Settled even if the run fails before awaiting it, so that a failed start is not unhandled.
  local?.catch(() => undefined);
  return { config, jobs, token, local, log };
}
