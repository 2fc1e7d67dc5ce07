import { batchTimeout, type TimeoutPolicy } from '@baton/coordinator';
import { Estimator } from '@baton/scheduler';
import { type BisectEvidence, type RunRepository, type SqliteRepository, type StoredResult } from '@baton/store';
import { isFailing, timestampFromMillis, type TestResult } from '@baton/subunit';
import { listingOf, type AdapterFactory } from '@baton/worker';
import { loadProjectConfig, type ProjectConfig } from '../config.js';
import type { CliContext, GlobalArgs } from '../context.js';
import { CliError } from '../errors.js';
import { plural } from '../output/format.js';
import { withRepository } from '../repository.js';
import { adapterFor, withResolvedPython } from '../run/adapter.js';
import type { ConfigArgs } from '../run/options.js';
import { timeoutPolicy } from '../run/timeouts.js';
import type { Clearance } from './confidence.js';
import { drive } from './drive.js';
import { CandidateRunner, type Execution } from './executions.js';
import { prefixOf } from './prefix.js';
import { ALONE, BisectSearch, candidateKey, membersOf, type Candidate, type SearchOutcome, type SearchState } from './search.js';

/** What `baton bisect` was asked. */
export interface BisectRequest {
  /** The run the test failed in; its latest failure when undefined. */
  readonly run: number | undefined;
  readonly testId: string;
  readonly confidence: Clearance;
  /** Seconds to bisect for in this invocation; no limit when undefined. */
  readonly maxSeconds: number | undefined;
  readonly jobs: number;
  /** Forget the evidence of an earlier bisection of the same test and run. */
  readonly restart: boolean;
  /** `--timeout`: seconds a test of a candidate may run; the configuration's timeout when undefined. */
  readonly timeout: number | undefined;
}

/** Why a bisection stopped before it concluded. */
export type StopReason = 'max-time' | 'interrupted';

/** What a bisection found, with its evidence. */
export interface BisectReport {
  readonly run: number;
  readonly testId: string;
  readonly worker: string | undefined;
  /** What its process ran before it: what was bisected. */
  readonly prefix: readonly string[];
  /** Results before it that name no test of the project, left out. */
  readonly unknown: readonly string[];
  readonly confidence: Clearance;
  /** Undefined until concluded (`stopped` says why not). */
  readonly outcome: SearchOutcome | undefined;
  readonly stopped: StopReason | undefined;
  /** The tests still suspected: the smallest set seen to make it fail (or all, before any did). */
  readonly suspects: readonly number[];
  /** Executions of the test after each: the culprits or the suspects, nothing, the whole prefix. */
  readonly withSuspects: BisectEvidence;
  readonly alone: BisectEvidence;
  readonly withPrefix: BisectEvidence;
  /** The failure rate the search weighed passes against. */
  readonly rate: BisectEvidence;
  /** Over every invocation of this bisection. */
  readonly executions: number;
  readonly seconds: number;
  /** Executions in this invocation (0 when it had concluded earlier). */
  readonly executedNow: number;
  /** It had concluded in an earlier invocation: nothing ran. */
  readonly concludedEarlier: boolean;
  /** A failure of the test seen in this invocation with the suspects before it (or alone), with its traceback. */
  readonly failure: TestResult | undefined;
}

/**
 * `baton bisect`: finds the run and the failing result, the tests its process ran before
 * it, and searches them (search.ts) on fresh test server processes, `jobs` at a time,
 * keeping every execution's evidence in the repository, until it concludes, `maxSeconds`
 * pass or Ctrl-C; then the evidence says what it can.
 */
export async function bisectTest(ctx: CliContext, argv: GlobalArgs & ConfigArgs, request: BisectRequest): Promise<BisectReport> {
  const config = await withResolvedPython(loadProjectConfig(ctx.io.cwd, argv));
  const log = (line: string) => ctx.io.stderr.write(`baton: ${line}\n`);
  const now = () => timestampFromMillis(ctx.io.now());
  return withRepository(ctx, argv, async (repo) => {
    const runId = request.run ?? latestFailure(repo, request.testId);
    const { target, results } = failingResult(repo, runId, request.testId);
    let stored = repo.bisection(runId, request.testId);
    if (stored !== undefined && request.restart) {
      repo.forgetBisection(stored.id);
      stored = undefined;
    }
    if (stored?.outcome !== undefined) {
      const search = new BisectSearch(stored.prefix.length, request.confidence, { state: stored.state as SearchState, evidence: stored.evidence });
      return report(search, { run: runId, target, prefix: stored.prefix, unknown: [], request, stored: { executions: stored.executions, seconds: stored.seconds }, executedNow: 0, concludedEarlier: true, stopped: undefined, failure: undefined, outcome: stored.outcome as SearchOutcome });
    }

    return withProject(config, log, async (project) => {
      const { discovery } = project;
      if (!discovery.has(request.testId)) throw new CliError('BATON_CLI_UNKNOWN_TEST', `the project no longer has ${request.testId} (${config.file} lists ${plural(discovery.size, 'test')})`);
      const { tests: prefix, unknown } = stored === undefined ? prefixOf(results, target, discovery) : { tests: stored.prefix, unknown: [] };
      const gone = prefix.filter((id) => !discovery.has(id));
      if (gone.length > 0) {
        throw new CliError('BATON_CLI_BAD_INPUT', `${plural(gone.length, 'test')} this bisection began with ${gone.length === 1 ? 'is' : 'are'} no longer in the project (${gone.slice(0, 3).join(', ')}); --restart bisects what ran before it anew`);
      }
      const search = new BisectSearch(prefix.length, request.confidence, stored && { state: stored.state as SearchState, evidence: stored.evidence });
      const id = stored?.id ?? repo.beginBisection({ run: runId, testId: request.testId, worker: target.worker, prefix, state: search.state, start: now() });
      log(stored === undefined
        ? `bisecting ${request.testId} (${whereItRan(runId, target.worker)}): ${plural(prefix.length, 'test')} ran before it in its process${unknown.length > 0 ? ` (and ${plural(unknown.length, 'result')} the project has no test for, left out)` : ''}`
        : `resuming the bisection of ${request.testId} (${whereItRan(runId, target.worker)}) after ${plural(stored.executions, 'execution')}`);

      let last = performance.now();
      const seen = await searchFor(project, {
        search,
        prefix,
        testId: request.testId,
        jobs: request.jobs,
        maxSeconds: request.maxSeconds,
        timeoutOf: candidateTimeouts(timeoutPolicy(request.timeout, config), repo, [...prefix, request.testId], repo.run(runId)!.profile),
        kept: (candidate, execution) => {
          const at = performance.now();
          repo.recordBisection(id, { candidate: candidate.key, failed: execution.failed, state: search.state, seconds: (at - last) / 1000, at: now() });
          last = at;
        },
      }, log);
      if (search.outcome !== undefined) repo.concludeBisection(id, search.outcome, now());
      const after = repo.bisection(runId, request.testId)!;
      return report(search, { run: runId, target, prefix, unknown, request, stored: after, ...seen, concludedEarlier: false, outcome: search.outcome });
    });
  }, 'write');
}

/** Where a result ran: its run, and its worker where it names one. */
export function whereItRan(run: number, worker: string | undefined): string {
  return `run ${run}${worker === undefined ? '' : `, worker ${worker}`}`;
}

/** What bisecting needs of the project, opened once for any number of searches. */
export interface BisectProject {
  /** The adapter a run of the project uses: a fresh test server process per candidate. */
  readonly factory: AdapterFactory;
  /** Each test's position in discovery order. */
  readonly discovery: ReadonlyMap<string, number>;
}

/** Starts the project's adapter and lists its tests for `fn`, and disposes of the adapter after. */
export async function withProject<T>(config: ProjectConfig, log: (line: string) => void, fn: (project: BisectProject) => Promise<T>): Promise<T> {
  const factory = adapterFor(config);
  try {
    const first = await factory({ slot: 0, output: () => {}, log });
    const listing = await listingOf(first).finally(() => first.close());
    return await fn({ factory, discovery: new Map(listing.tests.map((id, i) => [id, i])) });
  } finally {
    await factory.dispose?.();
  }
}

/**
 * Each test's timeout in a candidate's process, as a run of the profile would give it:
 * history-based timeouts from the estimates the profile holds.
 */
export function candidateTimeouts(policy: TimeoutPolicy, repo: RunRepository, ids: readonly string[], profile: string): (testId: string) => number | undefined {
  if (policy.kind !== 'history') {
    const seconds = batchTimeout(policy, []);
    return () => seconds;
  }
  const estimator = new Estimator(repo.estimates(ids, profile).known);
  return (id) => batchTimeout(policy, [estimator.estimate(id)]);
}

/** One search to run to its end (or until stopped). */
export interface SearchRequest {
  readonly search: BisectSearch;
  /** What the search's positions stand for. */
  readonly prefix: readonly string[];
  readonly testId: string;
  /** Executions at once, each on a fresh process. */
  readonly jobs: number;
  /** Seconds to search for; no limit when undefined. */
  readonly maxSeconds: number | undefined;
  readonly timeoutOf: (testId: string) => number | undefined;
  /** Keeps each execution the search took in (`baton bisect` stores them, to resume). */
  readonly kept?: (candidate: Candidate, execution: Execution) => void;
}

/** What a search saw in this invocation. */
export interface SearchSeen {
  readonly executedNow: number;
  readonly stopped: StopReason | undefined;
  /** A failure of the test with the suspects before it (or alone), with its traceback. */
  readonly failure: TestResult | undefined;
}

/** Runs the search until it concludes or stops (`maxSeconds`, Ctrl-C). */
export async function searchFor(project: BisectProject, request: SearchRequest, log: (line: string) => void): Promise<SearchSeen> {
  const { search, prefix } = request;
  const runner = new CandidateRunner(project.factory, request.testId, log, { timeoutOf: request.timeoutOf });
  let stopped: StopReason | undefined;
  const stop = (reason: StopReason) => {
    stopped ??= reason;
    runner.stop();
  };
  const timer = request.maxSeconds === undefined ? undefined : setTimeout(() => stop('max-time'), request.maxSeconds * 1000);
  const interrupt = () => stop('interrupted');
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let executedNow = 0;
  let failure: TestResult | undefined;
  let suspects = membersOf(search.state.suspects).length;
  try {
    await drive({
      search,
      jobs: request.jobs,
      execute: (candidate, slot) => runner.run(candidate.members.map((i) => prefix[i]!), slot),
      recorded: (candidate, execution) => {
        request.kept?.(candidate, execution);
        executedNow++;
        if (execution.failed && execution.result !== undefined) failure = execution.result;
        const left = membersOf(search.state.suspects).length;
        if (search.state.reproduced && left < suspects) {
          suspects = left;
          log(`${plural(left, 'test')} of ${prefix.length} still suspected (${plural(executedNow, 'execution')} so far)`);
        }
        // Executions still running cannot change the answer.
        if (search.outcome !== undefined) runner.stop();
      },
      stopped: () => stopped !== undefined,
      abort: () => runner.stop(),
    });
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  if (search.outcome === undefined && stopped === undefined) throw new Error('the bisection stalled: nothing to run and no conclusion');
  return { executedNow, stopped: search.outcome === undefined ? stopped : undefined, failure };
}

/**
 * The run of the latest failure of `testId`, in any profile: a failing result, or a failed
 * attempt that `run --retries` tried again (the test may have passed in the end).
 */
function latestFailure(repo: SqliteRepository, testId: string): number {
  const history = repo.history(testId);
  const failedAttempt = (run: number) => repo.attempts(run).some((a) => a.testId === testId && isFailing(a.status));
  const failed = history.findLast((h) => isFailing(h.status) || failedAttempt(h.run));
  if (failed === undefined) {
    throw new CliError('BATON_CLI_UNKNOWN_TEST', history.length === 0
      ? `the repository holds no result of ${testId}; \`baton failing --list\` lists the failing tests`
      : `${testId} never failed in the ${plural(history.length, 'result')} the repository holds; bisect a test that failed`);
  }
  return failed.run;
}

/**
 * The test's failure in the run, and what the run's workers ran: its results and its
 * failed attempts that were tried again (`run --retries`), which share the workers'
 * sequences. Of a test tried again, its first failed attempt: it ran where the run put it,
 * after its process's other tests, where a retry runs on a fresh process.
 */
function failingResult(repo: SqliteRepository, run: number, testId: string): { target: StoredResult; results: StoredResult[] } {
  if (repo.run(run) === undefined) throw new CliError('BATON_CLI_BAD_INPUT', `the repository holds no run ${run}; \`baton history list\` lists the runs`);
  const attempts = repo.attempts(run);
  const results = [...repo.results(run), ...attempts];
  const own = results.filter((r) => r.testId === testId);
  const target = attempts.find((a) => a.testId === testId && isFailing(a.status)) ?? own.filter((r) => isFailing(r.status)).at(-1);
  if (target === undefined) {
    throw new CliError(own.length === 0 ? 'BATON_CLI_UNKNOWN_TEST' : 'BATON_CLI_BAD_INPUT', own.length === 0
      ? `run ${run} has no result of ${testId}`
      : `${testId} did not fail in run ${run} (${own.map((r) => r.status).join(', ')}); bisect a run it failed in`);
  }
  return { target, results };
}

interface ReportParts {
  readonly run: number;
  readonly target: StoredResult;
  readonly prefix: readonly string[];
  readonly unknown: readonly string[];
  readonly request: BisectRequest;
  readonly stored: { readonly executions: number; readonly seconds: number };
  readonly executedNow: number;
  readonly concludedEarlier: boolean;
  readonly stopped: StopReason | undefined;
  readonly failure: TestResult | undefined;
  readonly outcome: SearchOutcome | undefined;
}

function report(search: BisectSearch, p: ReportParts): BisectReport {
  const suspects = p.outcome?.kind === 'culprits' ? p.outcome.culprits : membersOf(search.state.suspects);
  return {
    run: p.run,
    testId: p.target.testId,
    worker: p.target.worker,
    prefix: p.prefix,
    unknown: p.unknown,
    confidence: p.request.confidence,
    outcome: p.outcome,
    stopped: p.stopped,
    suspects,
    withSuspects: search.evidence(candidateKey(suspects)),
    alone: search.evidence(ALONE),
    withPrefix: search.evidence(candidateKey(p.prefix.map((_, i) => i))),
    rate: search.rate,
    executions: p.stored.executions,
    seconds: p.stored.seconds,
    executedNow: p.executedNow,
    concludedEarlier: p.concludedEarlier,
    failure: p.failure,
  };
}
