import { createHash, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Coordinator, type Reporter, type RunSummary } from '@baton/coordinator';
import { connectWebSocket, ProtocolError, testListDigest, type Transport } from '@baton/protocol';
import { resolvePlan, type Segment, type SharedFixtures } from '@baton/scheduler';
import { DATABASE_FILE, DEFAULT_PROFILE, findRepositoryRoot, initRepository, refuseInProgress, REPOSITORY_DIR, thisProcess, type SqliteRepository } from '@baton/store';
import type { WorkerServer } from '@baton/worker';
import type { ProjectConfig } from '../config.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { STDOUT } from '../files.js';
import { shownFor } from '../output/options.js';
import type { RunLog } from '../output/run-log.js';
import { JsonReporter } from '../reporters/json.js';
import { JUnitReporter } from '../reporters/junit.js';
import { ProgressReporter } from '../reporters/progress.js';
import { SubunitReporter } from '../reporters/subunit.js';
import { listTests } from './adapter.js';
import type { StartingRun } from './begin.js';
import { listenForPeers, type Listener } from './listen.js';
import { DEFAULT_WAIT_SECONDS, MAX_SEED, type RunArgs } from './options.js';
import { selectTests } from './select.js';
import { serveRun } from './serve.js';
import { timeoutPolicy } from './timeouts.js';

/**
 * A whole run: read the configuration, list and select tests, resolve the plan, reach the
 * workers it dials, open the repository, start or await workers, drive the coordinator,
 * feed the reporters, and leave the exit status in `ctx`. Input that is refused is refused
 * before the repository is created or a run recorded. `baton run` and `baton coordinator`
 * differ only in their defaults (local workers or none).
 */
export async function executeRun(ctx: CliContext, args: RunArgs, start: StartingRun): Promise<void> {
  const { jobs, token, log, local: starting } = start;
  let local: WorkerServer | undefined;
  let repository: SqliteRepository | undefined;
  let dialled: Dial[] = [];
  try {
    const config = await start.config;
    const repoRoot = resolve(ctx.io.cwd, args.repo ?? findRepositoryRoot(ctx.io.cwd) ?? config.root);
    // An existing repository is read for --failing; a new one is made only for a run that happens.
    if (existsSync(join(repoRoot, REPOSITORY_DIR, DATABASE_FILE))) repository = initRepository({ cwd: ctx.io.cwd, repo: repoRoot }).repository;
    const profile = args.profile ?? config.profile ?? DEFAULT_PROFILE;
    // The local worker lists the tests anyway (for its Hello): its list saves starting a
    // test server here only to list them, in the busiest moment of the run's start.
    local = await starting;
    const listing = local?.listing ?? (await listTests(config, log));
    const all = listing.tests;
    if (all.length === 0) throw new CliError('BATON_CLI_NO_TESTS', `${config.file}: the project lists no tests`);
    const selected = selectTests(all, start.selection, profile, repository);
    if (selected.length === 0) {
      if (args.failing) {
        ctx.io.stdout.write(`baton: no failing tests in profile ${profile}: nothing to run\n`);
        return;
      }
      throw new CliError('BATON_CLI_NO_TESTS', `no test matches ${start.selection.described} (the project has ${all.length})`);
    }
    const into = args.combine === true ? combineTarget(repository, profile) : undefined;
    const { segments, planDigest } = plan(start, args, config, selected, all, {
      classFixtureTests: new Set(listing.classFixtureTests),
      moduleFixtureTests: new Set(listing.moduleFixtureTests),
    });
    dialled = start.workers.map((url) => ({ url, transport: connectWebSocket(url, token === undefined ? {} : { token }) }));
    // With only the workers it dials, a run none of them answers never begins.
    if (local === undefined && args.listen === undefined) await reachOne(dialled);
    if (repository === undefined) {
      try {
        const opened = initRepository({ cwd: ctx.io.cwd, repo: repoRoot });
        repository = opened.repository;
        if (opened.created) log(`created a repository in ${join(repoRoot, REPOSITORY_DIR)}`);
      } catch (error) {
        hangUp(dialled);
        throw error;
      }
    }
    const allDigest = local?.hello.digest ?? testListDigest(all);
    // The selection is a subset of the list: all of it has the list's digest.
    let selectionDigest = selected.length === all.length ? allDigest : testListDigest(selected);
    if (into !== undefined) {
      // What the run holds once combined: its tests and these.
      selectionDigest = testListDigest([...repository.results(into).map((r) => r.testId), ...selected]);
      log(`combining with run ${into}: each test run now replaces its result there`);
    }
    const seed = args.randomSeed ?? (args.random === true ? randomInt(MAX_SEED + 1) : undefined);
    if (seed !== undefined) log(`--random: which tests share a process is shuffled with seed ${seed} (--random-seed ${seed} plans the same again)`);
    const summary = await coordinate(ctx, args, {
      runLog: start.runLog,
      config,
      discovery: all,
      repository,
      profile,
      segments,
      planDigest,
      allDigest,
      selectionDigest,
      into,
      seed,
      jobs,
      local,
      dialled,
      token,
      human: start.human,
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

/**
 * The run `--combine` records into: the profile's latest, as stestr combines with its
 * latest. Refused (exit status 2) where there is none, or while a live process records it.
 */
function combineTarget(repository: SqliteRepository | undefined, profile: string): number {
  const latest = repository?.latestRun(profile);
  if (latest === undefined) throw new CliError('BATON_CLI_USAGE', `--combine: profile ${profile} has no run to combine with yet; run once without --combine`);
  refuseInProgress(latest, 'combine with it once it is over');
  return latest.id;
}

/** A `--worker` being dialled. */
interface Dial {
  readonly url: string;
  readonly transport: Promise<Transport>;
}

/** Closes the connections to dialled workers a run that never began will not use. */
function hangUp(dials: readonly Dial[]): void {
  for (const d of dials) d.transport.then((t) => t.close(), () => undefined);
}

/**
 * Waits until one dialled worker answers; when none does, throws why: a refused token
 * (exit status 2, the user's to fix) before an unreachable worker (3).
 */
async function reachOne(dials: readonly Dial[]): Promise<void> {
  const settled = await Promise.allSettled(dials.map((d) => d.transport));
  if (settled.some((s) => s.status === 'fulfilled')) return;
  const errors = settled.map((s) => (s as PromiseRejectedResult).reason as Error & { code?: string });
  if (errors.length === 1) throw errors[0];
  const auth = errors.some((e) => e.code === 'BATON_PROTOCOL_AUTH');
  throw new ProtocolError(auth ? 'BATON_PROTOCOL_AUTH' : 'BATON_PROTOCOL_PEER_LOST', `no worker could be reached: ${errors.map((e) => e.message).join('; ')}`);
}

function plan(
  start: StartingRun,
  args: RunArgs,
  config: ProjectConfig,
  selected: string[],
  all: string[],
  fixtures: SharedFixtures,
): { segments: Segment[]; planDigest: string | undefined } {
  const grouping = { ...(config.groupRegex ? { groupRegex: config.groupRegex } : {}), fixtures };
  if (start.plan === undefined) return { segments: resolvePlan(undefined, selected, grouping), planDigest: undefined };
  const { file, text, parsed } = start.plan;
  const segments = resolvePlan(parsed, selected, { known: all, unnamed: args.planUnnamed, file, ...grouping });
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
  /** `--combine`: the run to record into. */
  readonly into: number | undefined;
  /** `--random`: the seed lanes are shuffled with. */
  readonly seed: number | undefined;
  readonly jobs: number;
  /** The `-j N` worker in this process, if any. */
  readonly local: WorkerServer | undefined;
  /** The `--worker`s, being dialled. */
  readonly dialled: readonly Dial[];
  readonly token: string | undefined;
  /** Where progress goes (see beginRun). */
  readonly human: 'stdout' | 'stderr';
  readonly runLog: RunLog;
  readonly log: (line: string) => void;
}

async function coordinate(ctx: CliContext, args: RunArgs, setup: RunSetup): Promise<RunSummary> {
  const { config, jobs, local, log } = setup;
  // With --subunit (or a report on stdout) the stream owns stdout; people read progress on stderr.
  const human = ctx.io[setup.human];
  const progress = new ProgressReporter({ out: human, shown: shownFor(args, ctx.io.env, human), slowest: args.slowest });
  const reporters: Reporter[] = [progress];
  if (args.subunit) reporters.push(new SubunitReporter(ctx.io.stdout));
  const target = (file: string) => (file === STDOUT ? ctx.io.stdout : resolve(ctx.io.cwd, file));
  if (args.junit !== undefined) reporters.push(new JUnitReporter(args.junit, target(args.junit)));
  if (args.json !== undefined) reporters.push(new JsonReporter(args.json, target(args.json)));
  // Bound before the run begins, as --listen is: a taken address is refused with nothing recorded.
  const serving = args.serve === undefined
    ? undefined
    : await serveRun(args.serve, setup.token, setup.repository, log).catch((error: unknown) => {
        hangUp(setup.dialled);
        throw error;
      });
  if (serving) reporters.push(serving.feed);

  const listening = args.listen !== undefined;
  const coordinator = new Coordinator({
    segments: setup.segments,
    repository: setup.repository,
    profile: setup.profile,
    reporters,
    timeout: timeoutPolicy(args.timeout, config),
    retries: args.retries ?? 0,
    flakyFails: args.flakyFails,
    testListDigest: setup.allDigest,
    discovery: setup.discovery,
    selectionDigest: setup.selectionDigest,
    ...(setup.into === undefined ? {} : { into: setup.into }),
    ...(setup.seed === undefined ? {} : { seed: setup.seed }),
    ...(setup.planDigest === undefined ? {} : { planDigest: setup.planDigest }),
    writer: thisProcess(),
    minWorkers: args.minWorkers ?? 1,
    ...(listening || setup.dialled.length > 0 || args.wait !== undefined ? { waitMs: (args.wait ?? DEFAULT_WAIT_SECONDS) * 1000 } : {}),
    ...(jobs > 0 && !listening ? { expectedSlots: jobs } : {}),
    oneMachine: !listening && setup.dialled.length === 0,
    // Remote workers prove the secret twice: as the bearer token of their connection and
    // in their Hello, which carries ours too, so a listening worker knows it is us.
    ...(setup.token === undefined ? {} : { channel: { expectToken: setup.token } }),
    log,
  });
  // Every way a worker arrives ends in accept; when every expected one failed, say why.
  let expected = setup.dialled.length;
  let failures = 0;
  const admit = (what: string, transport: Promise<Transport>) => {
    transport
      .then((t) => coordinator.accept(t))
      .catch((error: Error) => {
        log(`${what}: ${error.message}`);
        if (++failures === expected && !listening && !local) coordinator.abort(`no worker could start (${what}: ${error.message})`);
      });
  };
  // Bound before the run begins, so that a port in use is refused with nothing recorded.
  // Workers that connect before the run has begun wait for it.
  let started = false;
  const early: Transport[] = [];
  const listener: Listener | undefined = listening
    ? await listenForPeers({
        listen: args.listen!,
        token: setup.token,
        tlsCert: args.tlsCert,
        tlsKey: args.tlsKey,
        cwd: ctx.io.cwd,
        log,
        onTransport: (t) => {
          expected++;
          if (started) admit(`a worker connecting from ${t.peer ?? 'an unknown address'}`, Promise.resolve(t));
          else early.push(t);
        },
      }).catch(async (error: unknown) => {
        hangUp(setup.dialled);
        await serving?.close();
        throw error;
      })
    : undefined;
  // Ctrl-C ends the run cleanly (workers stopped, what finished recorded, exit 3); a
  // second one finds no handler and stops the process at once. The handlers go in
  // before anything can tell the user the run has begun.
  const unhook = () => {
    ctx.io.signals.off('SIGINT', interrupt);
    ctx.io.signals.off('SIGTERM', interrupt);
  };
  const interrupt = () => {
    unhook();
    coordinator.abort('interrupted');
  };
  ctx.io.signals.on('SIGINT', interrupt);
  ctx.io.signals.on('SIGTERM', interrupt);
  setup.runLog.showAbove(progress);
  coordinator.start();
  started = true;
  // Once the run is over its test servers stop, tearing down their fixtures while the run
  // is recorded and reported (executeRun awaits the same close).
  if (local) coordinator.adopt(local.link({ closeOnGoodbye: true }));
  for (const { url, transport } of setup.dialled) admit(`worker ${url}`, transport);
  for (const t of early.splice(0)) admit(`a worker connecting from ${t.peer ?? 'an unknown address'}`, Promise.resolve(t));
  if (listener) log(`listening for workers at ${listener.url}`);
  try {
    return await coordinator.finished;
  } finally {
    unhook();
    setup.runLog.showAbove(undefined);
    await listener?.close();
    await serving?.close();
  }
}
