import type { Argv } from 'yargs';
import type { UnnamedPolicy } from '@baton/scheduler';
import { MAX_SLOTS } from '@baton/worker';
import type { GlobalArgs } from '../context.js';
import { runOutputOptions, type RunOutputArgs } from '../output/options.js';
import { lastOf, secondsOption, textOption, wholeOption } from '../values.js';

/** Seconds a run waits for workers to connect or dial unless `--wait` says otherwise. */
export const DEFAULT_WAIT_SECONDS = 300;

/** The arguments `baton run` and `baton coordinator` share. */
export interface RunArgs extends GlobalArgs, RunOutputArgs {
  readonly filters: string[];
  readonly jobs: number | undefined;
  readonly plan: string | undefined;
  readonly planUnnamed: UnnamedPolicy;
  readonly loadList: string | undefined;
  readonly failing: boolean;
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
  /** `run --isolated`: every test of the local worker in a fresh process of its own. */
  readonly isolated?: boolean | undefined;
}

/**
 * Declares the shared options on a command. Every value is checked as it is read
 * (src/values.ts): a bad number or an empty file name never reaches the run.
 */
export function runOptions(y: Argv<GlobalArgs>): Argv<object> {
  // How results show (--verbose, --color, …): output/options.ts.
  return runOutputOptions(y)
    .positional('filters', { type: 'string', array: true, default: [], describe: 'Regular expressions: run the tests whose id matches any of them' })
    .option('jobs', { alias: 'j', ...wholeOption('-j', `a whole number of local workers from 0 to ${MAX_SLOTS}`, { min: 0, max: MAX_SLOTS }, 'Local worker processes, each with its own test server (default for run: the number of cores)') })
    .option('plan', textOption('--plan', 'A segment plan (JSON): segments run in order and never overlap'))
    .option('plan-unnamed', { choices: ['refuse', 'append'] as const, default: 'refuse' as const, describe: 'Selected tests the plan does not name: refuse the run, or run them in a last segment' })
    .option('load-list', textOption('--load-list', 'Run only the test ids in this file (one per line)'))
    .option('failing', { type: 'boolean', default: false, describe: 'Run only the tests failing in the profile' })
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
