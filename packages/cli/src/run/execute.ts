import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Coordinator, HISTORY_TIMEOUT_FLOOR_SECONDS, type Reporter, type RunSummary, type TimeoutPolicy } from '@baton/coordinator';
import { connectWebSocket, testListDigest, type Transport } from '@baton/protocol';
import { parsePlan, resolvePlan, type Segment, type SharedFixtures } from '@baton/scheduler';
import { DEFAULT_PROFILE, findRepositoryRoot, initRepository, type SqliteRepository } from '@baton/store';
import type { WorkerServer } from '@baton/worker';
import type { ProjectConfig } from '../config.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import type { RunLog } from '../output/run-log.js';
import { JsonReporter } from '../reporters/json.js';
import { JUnitReporter } from '../reporters/junit.js';
import { ProgressReporter } from '../reporters/progress.js';
import { SubunitReporter } from '../reporters/subunit.js';
import { listTests } from './adapter.js';
import type { StartingRun } from './begin.js';
import { listenForPeers, type Listener } from './listen.js';
import type { RunArgs } from './options.js';
import { selectTests } from './select.js';
import { serveRun } from './serve.js';

/** Seconds a listening coordinator waits for its first worker unless `--wait` says otherwise. */
export const DEFAULT_WAIT_SECONDS = 300;

/**
 * A whole run: read the configuration, list and select tests, resolve the plan, open the
 * repository, start or await workers, drive the coordinator, feed the reporters, and
 * leave the exit status in `ctx`. `baton run` and `baton coordinator` differ only in
 * their defaults (local workers or none).
 */
export async function executeRun(ctx: CliContext, args: RunArgs, start: StartingRun): Promise<void> {
  const { jobs, token, log, local: starting } = start;
  let local: WorkerServer | undefined;
  let repository: SqliteRepository | undefined;
  try {
    const config = await start.config;
    const repoRoot = args.repo ?? findRepositoryRoot(ctx.io.cwd) ?? config.root;
    const opened = initRepository({ cwd: ctx.io.cwd, repo: repoRoot });
    repository = opened.repository;
    if (opened.created) log(`created a repository in ${repoRoot}/.baton`);
    const profile = args.profile ?? config.profile ?? DEFAULT_PROFILE;
    // The local worker lists the tests anyway (for its Hello): its list saves starting a
    // test server here only to list them, in the busiest moment of the run's start.
    local = await starting;
    const listing = local?.listing ?? (await listTests(config, log));
    const all = listing.tests;
    if (all.length === 0) throw new CliError('BATON_CLI_NO_TESTS', `${config.file}: the project lists no tests`);
    const selected = selectTests(all, { filters: args.filters, loadList: args.loadList, failing: args.failing, profile }, repository);
    if (selected.length === 0) {
      if (args.failing) {
        ctx.io.stdout.write(`baton: no failing tests in profile ${profile}: nothing to run\n`);
        return;
      }
      throw new CliError('BATON_CLI_NO_TESTS', `no test matches ${args.filters.map((f) => JSON.stringify(f)).join(' or ') || 'the selection'} (the project has ${all.length})`);
    }
    const { segments, planDigest } = plan(args, config, selected, all, {
      classFixtureTests: new Set(listing.classFixtureTests),
      moduleFixtureTests: new Set(listing.moduleFixtureTests),
    });
    const allDigest = local?.hello.digest ?? testListDigest(all);
    const summary = await coordinate(ctx, args, {
      runLog: start.runLog,
      config,
      discovery: all,
      repository,
      profile,
      segments,
      planDigest,
      allDigest,
      // The selection is a subset of the list: all of it has the list's digest.
      selectionDigest: selected.length === all.length ? allDigest : testListDigest(selected),
      jobs,
      local,
      token,
      log,
    });
    ctx.exit(summary.exitCode);
  } finally {
    // The test servers exit on their own time while the repository checkpoints on ours.
    const stopping = (local ?? (await starting?.catch(() => undefined)))?.close();
    repository?.close();
    await stopping;
  }
}

function plan(
  args: RunArgs,
  config: ProjectConfig,
  selected: string[],
  all: string[],
  fixtures: SharedFixtures,
): { segments: Segment[]; planDigest: string | undefined } {
  const grouping = { ...(config.groupRegex ? { groupRegex: config.groupRegex } : {}), fixtures };
  if (args.plan === undefined) return { segments: resolvePlan(undefined, selected, grouping), planDigest: undefined };
  const text = readFileSync(args.plan, 'utf8');
  const parsed = parsePlan(text, { file: args.plan });
  const segments = resolvePlan(parsed, selected, { known: all, unnamed: args.planUnnamed, file: args.plan, ...grouping });
  return { segments, planDigest: createHash('sha256').update(text).digest('hex') };
}

interface RunSetup {
  readonly config: ProjectConfig;
  /** Every test in discovery order: each test process runs its tests in this order. */
  readonly discovery: readonly string[];
  readonly repository: SqliteRepository;
  readonly profile: string;
  readonly segments: Segment[];
  readonly planDigest: string | undefined;
  readonly allDigest: string;
  readonly selectionDigest: string;
  readonly jobs: number;
  /** The `-j N` worker in this process, if any. */
  readonly local: WorkerServer | undefined;
  readonly token: string | undefined;
  readonly runLog: RunLog;
  readonly log: (line: string) => void;
}

async function coordinate(ctx: CliContext, args: RunArgs, setup: RunSetup): Promise<RunSummary> {
  const { config, jobs, local, log } = setup;
  // With --subunit the stream owns stdout; people read progress on stderr.
  const human = args.subunit ? ctx.io.stderr : ctx.io.stdout;
  const progress = new ProgressReporter({ out: human as ConstructorParameters<typeof ProgressReporter>[0]['out'] });
  const reporters: Reporter[] = [progress];
  if (args.subunit) reporters.push(new SubunitReporter(ctx.io.stdout));
  if (args.junit !== undefined) reporters.push(new JUnitReporter(args.junit));
  if (args.json !== undefined) reporters.push(new JsonReporter(args.json));
  const serving = args.serve === undefined ? undefined : await serveRun(args.serve, setup.token, setup.repository, log);
  if (serving) reporters.push(serving.feed);

  const listening = args.listen !== undefined;
  const coordinator = new Coordinator({
    segments: setup.segments,
    repository: setup.repository,
    profile: setup.profile,
    reporters,
    timeout: timeoutPolicy(args, config),
    testListDigest: setup.allDigest,
    discovery: setup.discovery,
    selectionDigest: setup.selectionDigest,
    ...(setup.planDigest === undefined ? {} : { planDigest: setup.planDigest }),
    minWorkers: args.minWorkers ?? 1,
    ...(listening || args.worker.length > 0 ? { waitMs: (args.wait ?? DEFAULT_WAIT_SECONDS) * 1000 } : {}),
    ...(jobs > 0 && !listening ? { expectedSlots: jobs } : {}),
    // Remote workers prove the secret twice: as the bearer token of their connection and
    // in their Hello, which carries ours too, so a listening worker knows it is us.
    ...(setup.token === undefined ? {} : { channel: { expectToken: setup.token } }),
    log,
  });
  // Ctrl-C ends the run cleanly (workers stopped, what finished recorded, exit 3). The
  // handlers go in before anything can tell the user the run has begun.
  const interrupt = () => coordinator.abort('interrupted');
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  setup.runLog.showAbove(progress);
  coordinator.start();

  // Every way a worker arrives ends in accept; when every expected one failed, say why.
  let expected = args.worker.length;
  let failures = 0;
  const admit = (what: string, transport: Promise<Transport>) => {
    transport
      .then((t) => coordinator.accept(t))
      .catch((error: Error) => {
        log(`${what}: ${error.message}`);
        if (++failures === expected && !listening) coordinator.abort(`no worker could start (${what}: ${error.message})`);
      });
  };
  // Once the run is over its test servers stop, tearing down their fixtures while the run
  // is recorded and reported (executeRun awaits the same close).
  if (local) coordinator.adopt(local.link({ closeOnGoodbye: true }));
  for (const url of args.worker) admit(`worker ${url}`, connectWebSocket(url, { ...(setup.token === undefined ? {} : { token: setup.token }) }));
  let listener: Listener | undefined;
  if (listening) {
    listener = await listenForPeers({
      listen: args.listen!,
      token: setup.token,
      tlsCert: args.tlsCert,
      tlsKey: args.tlsKey,
      log,
      onTransport: (t) => {
        expected++;
        admit(`a worker connecting from ${t.peer ?? 'an unknown address'}`, Promise.resolve(t));
      },
    });
    log(`listening for workers at ${listener.url}`);
  }
  try {
    return await coordinator.finished;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    setup.runLog.showAbove(undefined);
    await listener?.close();
    await serving?.close();
  }
}

function timeoutPolicy(args: RunArgs, config: ProjectConfig): TimeoutPolicy {
  if (args.timeout !== undefined) {
    if (!(args.timeout > 0)) throw new CliError('BATON_CLI_USAGE', `--timeout takes a positive number of seconds, not ${args.timeout}`);
    return { kind: 'fixed', seconds: args.timeout };
  }
  const t = config.timeout;
  if (t === undefined) return { kind: 'none' };
  if ('seconds' in t) return { kind: 'fixed', seconds: t.seconds };
  return { kind: 'history', multiple: t.multiple, minimum: t.minimum ?? HISTORY_TIMEOUT_FLOOR_SECONDS };
}
