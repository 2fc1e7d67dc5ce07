import type { Argv } from 'yargs';
import type { UnnamedPolicy } from '@baton/scheduler';
import { MAX_SLOTS } from '@baton/worker';
import type { GlobalArgs } from '../context.js';
import { runOutputOptions, type RunOutputArgs } from '../output/options.js';
import type { SelectionArgs } from './select.js';
import { lastOf, secondsOption, textOption, wholeOption } from '../values.js';

/** The largest `--random-seed`: the scheduler's generator keeps 32 bits. */
export const MAX_SEED: number = 2 ** 32 - 1;

/** Seconds a run waits for workers to connect or dial unless `--wait` says otherwise. */
export const DEFAULT_WAIT_SECONDS = 300;

/** stestr's options over the configuration file (see ConfigOverrides); grouping ones where tests are grouped. */
export interface ConfigArgs {
  readonly testPath: string | undefined;
  readonly topDir: string | undefined;
  readonly groupRegex?: string | undefined;
  readonly parallelClass?: boolean | undefined;
}

/** Declares `--test-path` and `--top-dir`, and with `grouping` `--group-regex` and `--parallel-class`. */
export function configOptions<T>(y: Argv<T>, grouping: boolean): Argv<T> {
  const suite = y
    .option('test-path', { alias: 't', ...textOption('--test-path', 'Directory the Python unittest suite is discovered in, over the configuration\'s test_path (relative to here)') })
    .option('top-dir', textOption('--top-dir', 'Top-level directory of the Python suite\'s imports, over the configuration\'s top_dir'));
  if (!grouping) return suite;
  return suite
    .option('group-regex', { alias: 'g', ...textOption('--group-regex', 'Tests whose match of this regular expression is the same run in one process, one after another; over the configuration\'s group_regex') })
    .option('parallel-class', { alias: 'p', type: 'boolean', describe: 'One group per test class (parallel_class=True); wins over any group regex' });
}

/** Declares the options that select tests (SelectionArgs), `filters` positional. */
export function selectionOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .positional('filters', { type: 'string', array: true, default: [], describe: 'Regular expressions: the tests whose id matches any of them (all when none is given)' })
    .option('load-list', textOption('--load-list', 'Only the test ids in this file (one per line)'))
    .option('failing', { type: 'boolean', default: false, describe: 'Only the tests failing in the profile' })
    .option('include-list', { alias: 'i', ...textOption('--include-list', 'A file of regular expressions, one a line (# comments): with the filters, the tests any of them matches') })
    .option('exclude-list', { alias: 'e', ...textOption('--exclude-list', 'A file of regular expressions, one a line (# comments): leave out the tests any of them matches') })
    .option('exclude-regex', { alias: 'E', ...textOption('--exclude-regex', 'Leave out the tests this regular expression matches') });
}

/** The arguments `baton run` and `baton coordinator` share. */
export interface RunArgs extends GlobalArgs, SelectionArgs, ConfigArgs, RunOutputArgs {
  readonly jobs: number | undefined;
  readonly plan: string | undefined;
  readonly planUnnamed: UnnamedPolicy;
  readonly profile: string | undefined;
  readonly subunit: boolean;
  readonly junit: string | undefined;
  readonly json: string | undefined;
  readonly timeout: number | undefined;
  /** `--retries N`: a failed test is tried again up to N times, each on a fresh process on another slot. */
  readonly retries: number | undefined;
  /** `--flaky-fails`: a test that passed only when tried again fails the run. */
  readonly flakyFails: boolean;
  readonly listen: string | undefined;
  readonly tokenFile: string | undefined;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  readonly worker: string[];
  readonly minWorkers: number | undefined;
  readonly wait: number | undefined;
  /** `--serve [HOST:PORT]`: '' when given without an address. */
  readonly serve: string | undefined;
  /** `--random`: lanes planned in a shuffled order (a seed drawn for the run). */
  readonly random?: boolean | undefined;
  /** `--random-seed N`: `--random` with this seed. */
  readonly randomSeed?: number | undefined;
  /** `--combine`: record into the profile's latest run, replacing the results of the tests run again. */
  readonly combine?: boolean | undefined;
  /** `run --isolated`: every test of the local worker in a fresh process of its own. */
  readonly isolated?: boolean | undefined;
}

/**
 * Declares the shared options on a command. Every value is checked as it is read
 * (src/values.ts): a bad number or an empty file name never reaches the run.
 */
export function runOptions(y: Argv<GlobalArgs>): Argv<object> {
  // How results show (--verbose, --color, …): output/options.ts.
  return runOutputOptions(configOptions(selectionOptions(y), true))
    .option('jobs', { alias: 'j', ...wholeOption('-j', `a whole number of local workers from 0 to ${MAX_SLOTS}`, { min: 0, max: MAX_SLOTS }, 'Local worker processes, each with its own test server (default for run: the number of cores)') })
    .option('plan', textOption('--plan', 'A segment plan (JSON): segments run in order and never overlap'))
    .option('random', {
      type: 'boolean',
      describe: 'Shuffle which tests share a test server process (each still runs its tests in discovery order): lanes are planned from the tests in a random order instead of longest first; prints the seed',
    })
    .option('random-seed', wholeOption('--random-seed', `a whole number from 0 to ${MAX_SEED}`, { min: 0, max: MAX_SEED }, '--random with this seed: the same tests, slots and history plan the same lanes again'))
    .option('combine', { type: 'boolean', describe: 'Record into the latest run of the profile (as stestr run --combine): it keeps its id, each test run now replaces its result there' })
    .option('plan-unnamed', { choices: ['refuse', 'append'] as const, default: 'refuse' as const, describe: 'Selected tests the plan does not name: refuse the run, or run them in a last segment' })
    .option('profile', textOption('--profile', 'Profile the results belong to (e.g. py311)'))
    .option('subunit', { type: 'boolean', default: false, describe: 'Write a subunit v2 stream to stdout (progress goes to stderr)' })
    .option('junit', textOption('--junit', 'Write a JUnit XML report to this file (- for stdout)'))
    .option('json', textOption('--json', 'Write a JSON report to this file (- for stdout)'))
    .option('timeout', secondsOption('--timeout', 'Seconds a test may run before its worker kills it (default: the configuration\'s)'))
    .option('retries', wholeOption('--retries', 'a whole number of retries, 0 or more', { min: 0 }, 'Try a test that fails (a timeout or a crash too) again, up to this many times, as the run goes on: each time on a fresh test server process, on another slot when there is one. One that then passes is flaky: a pass, unless --flaky-fails'))
    .option('flaky-fails', { type: 'boolean', default: false, describe: 'With --retries: a test that passed only when tried again fails the run (exit status 1)' })
    .option('listen', textOption('--listen', 'Accept workers that connect to HOST:PORT (baton worker --connect)'))
    .option('token-file', textOption('--token-file', 'File holding the shared secret workers must present (required beyond loopback)'))
    .option('tls-cert', textOption('--tls-cert', 'Certificate (PEM) to listen with wss://'))
    .option('tls-key', textOption('--tls-key', 'Private key (PEM) of --tls-cert'))
    // One URL per --worker: an array option would take the filters that follow it too.
    .option('worker', { type: 'string', array: true, nargs: 1, default: [], describe: 'Dial a listening worker (baton worker --listen) at this ws(s)://HOST:PORT; repeatable' })
    .option('min-workers', wholeOption('--min-workers', 'a whole number of workers, 1 or more', { min: 1 }, 'Wait for this many workers before dispatching (default 1)'))
    .option('wait', secondsOption('--wait', `Seconds to wait for workers before giving up (exit status 3; default ${DEFAULT_WAIT_SECONDS} with --listen or --worker)`, { zero: true }))
    // Given without an address it is '' (the default address), so it is not a textOption.
    .option('serve', { type: 'string', coerce: lastOf, describe: 'Watch the run live in the dashboard at HOST:PORT (default 127.0.0.1:7780; beyond loopback with --token-file)' });
}
