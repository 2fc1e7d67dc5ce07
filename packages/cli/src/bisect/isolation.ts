// `baton run --analyze-isolation`: what testr and stestr offer for failures that depend on
// the tests before them, deterministically. For each failing test (of the selection), the
// tests its process ran before it in the run it failed in are searched, as `baton bisect`
// searches them (search.ts, on fresh processes), with one execution clearing a candidate:
// the smallest set after which it fails, or that it fails on its own, or that it passes
// after them in a fresh process. Nothing is stored: stestr's analysis is not resumable
// either, and a deterministic search is short.
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_PROFILE, type StoredResult } from '@baton/store';
import { loadProjectConfig } from '../config.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { STDOUT, checkOutput, fileError } from '../files.js';
import { formatSeconds, plural } from '../output/format.js';
import { writeJson } from '../output/json.js';
import { renderTable } from '../output/table.js';
import { withRepository } from '../repository.js';
import { withResolvedPython } from '../run/adapter.js';
import type { RunArgs } from '../run/options.js';
import { readSelection, selectTests } from '../run/select.js';
import { timeoutPolicy } from '../run/timeouts.js';
import { DETERMINISTIC } from './confidence.js';
import { prefixOf } from './prefix.js';
import { BisectSearch, type SearchOutcome } from './search.js';
import { candidateTimeouts, searchFor, whereItRan, withProject } from './session.js';

/** What the analysis found for one failing test. */
interface Finding {
  readonly testId: string;
  readonly run: number;
  readonly worker: string | undefined;
  /** What its process ran before it. */
  readonly prefix: readonly string[];
  /** Undefined when the analysis was interrupted before it concluded. */
  readonly outcome: SearchOutcome | undefined;
  readonly executions: number;
}

/** The options of `run` that make no sense beside `--analyze-isolation`, which runs no run of its own. */
const NOT_WITH: readonly (readonly [flag: string, given: (args: RunArgs & AnalyzeArgs) => boolean])[] = [
  ['--until-failure', (a) => a.untilFailure === true],
  ['--repeat', (a) => a.repeat !== undefined],
  ['--isolated', (a) => a.isolated === true],
  ['--combine', (a) => a.combine === true],
  ['--random', (a) => a.random === true || a.randomSeed !== undefined],
  ['--plan', (a) => a.plan !== undefined],
  ['--subunit', (a) => a.subunit],
  ['--junit', (a) => a.junit !== undefined],
  ['--listen', (a) => a.listen !== undefined],
  ['--worker', (a) => a.worker.length > 0],
  ['--serve', (a) => a.serve !== undefined],
];

/** The arguments of `run` this looks at beyond RunArgs. */
interface AnalyzeArgs {
  readonly untilFailure?: boolean | undefined;
  readonly repeat?: number | undefined;
}

/**
 * Analyses every failing test of the profile that the selection keeps (`--failing` is
 * implied, as in stestr), `-j` executions at once, each test's candidates on fresh
 * processes with the run's timeouts; prints a table of what makes each fail (`--json FILE`:
 * as JSON). Exit status 0 once each has an answer, 1 when interrupted before.
 */
export async function analyzeIsolation(ctx: CliContext, args: RunArgs & AnalyzeArgs): Promise<void> {
  const clash = NOT_WITH.find(([, given]) => given(args));
  if (clash !== undefined) throw new CliError('BATON_CLI_USAGE', `--analyze-isolation does not go with ${clash[0]}: it runs each failing test after the tests that ran before it, in processes of its own, not a run`);
  const cwd = ctx.io.cwd;
  if (args.json !== undefined) checkOutput('--json', args.json, cwd);
  const selection = readSelection({ ...args, failing: true }, cwd);
  const config = await withResolvedPython(loadProjectConfig(cwd, args));
  const profile = args.profile ?? config.profile ?? DEFAULT_PROFILE;
  const jobs = args.jobs ?? availableParallelism();
  if (jobs < 1) throw new CliError('BATON_CLI_USAGE', '--analyze-isolation runs candidates on local test server processes: -j takes 1 or more');
  const log = (line: string) => ctx.io.stderr.write(`baton: ${line}\n`);
  const began = performance.now();
  const findings = await withRepository(ctx, args, (repo) => withProject(config, log, async (project) => {
    const discovery = [...project.discovery.keys()];
    const failing = new Map(repo.failing(profile).map((f) => [f.testId, f.result]));
    const chosen = selectTests(discovery, selection, profile, repo);
    const out: Finding[] = [];
    let stopped = false;
    const runs = new Map<number, StoredResult[]>();
    const timeoutOf = candidateTimeouts(timeoutPolicy(args.timeout, config), repo, discovery, profile);
    for (const [i, testId] of chosen.entries()) {
      const target = failing.get(testId);
      // Failing only as imported timings say: no run holds what ran before it.
      if (target === undefined) {
        log(`${testId}: its failure came from imported timings, with no run to tell what ran before it; left out`);
        continue;
      }
      let results = runs.get(target.run);
      if (results === undefined) runs.set(target.run, (results = repo.results(target.run)));
      const { tests: prefix } = prefixOf(results, target, project.discovery);
      log(`analysing ${testId} (${i + 1} of ${chosen.length}; ${whereItRan(target.run, target.worker)}): ${plural(prefix.length, 'test')} ran before it in its process`);
      const search = new BisectSearch(prefix.length, DETERMINISTIC);
      const seen = await searchFor(project, { search, prefix, testId, jobs, maxSeconds: undefined, timeoutOf }, log);
      out.push({ testId, run: target.run, worker: target.worker, prefix, outcome: search.outcome, executions: seen.executedNow });
      if (seen.stopped !== undefined) {
        stopped = true;
        break;
      }
    }
    return { chosen: chosen.length, out, stopped };
  }));
  const seconds = (performance.now() - began) / 1000;
  const { chosen, out, stopped: interrupted } = findings;
  if (args.json !== undefined) {
    const json = {
      profile,
      analysed: out.map((f) => ({
        testId: f.testId,
        run: f.run,
        worker: f.worker ?? null,
        outcome: f.outcome?.kind ?? 'unfinished',
        culprits: f.outcome?.kind === 'culprits' ? f.outcome.culprits.map((i) => f.prefix[i]) : null,
        before: f.prefix.length,
        executions: f.executions,
      })),
      interrupted,
      seconds,
    };
    if (args.json === STDOUT) writeJson(ctx.io.stdout, json);
    else {
      try {
        writeFileSync(resolve(cwd, args.json), `${JSON.stringify(json, null, 2)}\n`);
      } catch (error) {
        throw fileError('--json', args.json, error);
      }
    }
  }
  if (args.json !== STDOUT) ctx.io.stdout.write(formatFindings(profile, chosen, out, seconds));
  if (interrupted) ctx.exit(ExitCode.TESTS_FAILED);
}

function formatFindings(profile: string, chosen: number, findings: readonly Finding[], seconds: number): string {
  if (chosen === 0) return `No failing tests in profile ${profile} to analyse\n`;
  const rows: string[][] = [];
  for (const f of findings) {
    const outcome = f.outcome;
    if (outcome?.kind === 'culprits') outcome.culprits.forEach((c, i) => rows.push([i === 0 ? f.testId : '', f.prefix[c]!]));
    else if (outcome?.kind === 'alone') rows.push([f.testId, 'nothing: it fails on its own']);
    else if (outcome?.kind === 'not-reproduced') rows.push([f.testId, `unknown: it passes after the ${plural(f.prefix.length, 'test')} before it (${whereItRan(f.run, f.worker)})`]);
    else rows.push([f.testId, 'not analysed (interrupted)']);
  }
  const count = (kind: SearchOutcome['kind']) => findings.filter((f) => f.outcome?.kind === kind).length;
  const executions = findings.reduce((n, f) => n + f.executions, 0);
  const flaky = count('not-reproduced') > 0 ? '; `baton bisect RUN TEST_ID` repeats candidates for a test that fails only some of the time' : '';
  return `${renderTable(['Failing test', 'Fails after'], rows)}${plural(findings.length, 'failing test')} analysed in ${plural(executions, 'execution')} (${formatSeconds(seconds)} s): `
    + `${count('culprits')} fail after other tests, ${count('alone')} on ${count('alone') === 1 ? 'its' : 'their'} own, ${count('not-reproduced')} did not fail again${flaky}\n`;
}
