import type { Argv } from 'yargs';
import type { UnnamedPolicy } from '@baton/scheduler';
import type { GlobalArgs } from '../context.js';

/** The arguments `baton run` and `baton coordinator` share. */
export interface RunArgs extends GlobalArgs {
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

/** Declares the shared options on a command. */
export function runOptions(y: Argv<GlobalArgs>): Argv<object> {
  return y
    .positional('filters', { type: 'string', array: true, default: [], describe: 'Regular expressions: run the tests whose id matches any of them' })
    .option('jobs', { alias: 'j', type: 'number', describe: 'Local worker processes, each with its own test server (default for run: the number of cores)' })
    .option('plan', { type: 'string', describe: 'A segment plan (JSON): segments run in order and never overlap' })
    .option('plan-unnamed', { choices: ['refuse', 'append'] as const, default: 'refuse' as const, describe: 'Selected tests the plan does not name: refuse the run, or run them in a last segment' })
    .option('load-list', { type: 'string', describe: 'Run only the test ids in this file (one per line)' })
    .option('failing', { type: 'boolean', default: false, describe: 'Run only the tests failing in the profile' })
    .option('profile', { type: 'string', describe: 'Profile the results belong to (e.g. py311)' })
    .option('subunit', { type: 'boolean', default: false, describe: 'Write a subunit v2 stream to stdout (progress goes to stderr)' })
    .option('junit', { type: 'string', describe: 'Write a JUnit XML report to this file' })
    .option('json', { type: 'string', describe: 'Write a JSON report to this file' })
    .option('timeout', { type: 'number', describe: 'Seconds a test may run before its worker kills it (default: the configuration\'s)' })
    .option('listen', { type: 'string', describe: 'Accept workers that connect to HOST:PORT (baton worker --connect)' })
    .option('token-file', { type: 'string', describe: 'File holding the shared secret workers must present (required beyond loopback)' })
    .option('tls-cert', { type: 'string', describe: 'Certificate (PEM) to listen with wss://' })
    .option('tls-key', { type: 'string', describe: 'Private key (PEM) of --tls-cert' })
    .option('worker', { type: 'string', array: true, default: [], describe: 'Dial a listening worker (baton worker --listen) at this ws(s):// URL; repeatable' })
    .option('min-workers', { type: 'number', describe: 'Wait for this many workers before dispatching (default 1)' })
    .option('wait', { type: 'number', describe: 'Seconds to wait for workers before giving up (exit status 3)' })
    .option('serve', { type: 'string', describe: 'Watch the run live in the dashboard at HOST:PORT (default 127.0.0.1:7780; beyond loopback with --token-file)' });
}
