import { WS_PATH } from '@baton/protocol';
import { dialCoordinator, listenWorker, WorkerServer } from '@baton/worker';
import { loadProjectConfig } from '../config.js';
import { defineCommand, type CommandFactory, type GlobalArgs } from '../context.js';
import { CliError } from '../errors.js';
import { adapterFor } from '../run/adapter.js';
import { httpServer, parseListen, readToken } from '../run/listen.js';

/** How a channel ends when the coordinator vanished rather than refused or dismissed us. */
const GONE: ReadonlySet<string> = new Set(['BATON_PROTOCOL_PEER_LOST', 'BATON_PROTOCOL_PEER_DIED', 'BATON_PROTOCOL_HEARTBEAT_TIMEOUT']);

interface WorkerArgs extends GlobalArgs {
  readonly connect: string | undefined;
  readonly listen: string | undefined;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  readonly tokenFile: string | undefined;
  readonly slots: number;
  readonly name: string | undefined;
  readonly wait: number;
  readonly absentOk: boolean;
}

/** `baton worker`: serves a coordinator, running the project's tests on its slots. */
export const workerCommand: CommandFactory = (ctx) =>
  defineCommand<WorkerArgs>({
    command: 'worker',
    describe: 'Run tests for a coordinator: --connect ws(s)://HOST:PORT (dial out) or --listen HOST:PORT',
    builder: (y) =>
      y
        .option('connect', { type: 'string', describe: 'The coordinator to dial (ws:// or wss://HOST:PORT); retried until it is up' })
        .option('listen', { type: 'string', describe: 'Wait for a coordinator to dial HOST:PORT (baton run --worker URL)' })
        .option('token-file', { type: 'string', describe: 'File holding the shared secret' })
        .option('tls-cert', { type: 'string', describe: 'Certificate (PEM) to listen with wss://' })
        .option('tls-key', { type: 'string', describe: 'Private key (PEM) of --tls-cert' })
        .option('slots', { type: 'number', default: 1, describe: 'Tests to run at once, each slot with its own test server' })
        .option('name', { type: 'string', describe: 'This worker\'s name in reports (default host:pid)' })
        .option('wait', { type: 'number', default: 60, describe: 'Seconds to keep dialling a coordinator that is not up yet' })
        .option('absent-ok', {
          type: 'boolean',
          default: false,
          describe: 'With --connect: exit 0, not 3, when no coordinator answers within --wait, taking it as one that already finished (a worker of a fan-out that started too late)',
        })
        .check((argv) => {
          const modes = [argv['connect'], argv['listen']].filter((m) => m !== undefined);
          if (modes.length !== 1) throw new CliError('BATON_CLI_USAGE', 'give exactly one of --connect URL or --listen HOST:PORT');
          if (argv['absentOk'] === true && argv['connect'] === undefined) throw new CliError('BATON_CLI_USAGE', '--absent-ok goes with --connect URL');
          return true;
        }),
    handler: async (argv) => {
      const log = (line: string) => ctx.io.stderr.write(`baton worker: ${line}\n`);
      const config = loadProjectConfig(ctx.io.cwd);
      const token = readToken(argv.tokenFile);
      const worker = await WorkerServer.start({
        adapter: adapterFor(config),
        slots: argv.slots,
        log,
        ...(argv.name === undefined ? {} : { name: argv.name }),
      });
      try {
        if (argv.connect !== undefined) {
          const url = /^wss?:\/\/[^/]+$/.test(argv.connect) ? `${argv.connect}${WS_PATH}` : argv.connect;
          let transport;
          try {
            transport = await dialCoordinator({
              url,
              ...(token === undefined ? {} : { token }),
              waitMs: argv.wait * 1000,
              onRetry: (error, delay) => log(`coordinator not reachable yet (${error.message}); retrying in ${Math.round(delay)} ms`),
            });
          } catch (error) {
            // A coordinator that finished and one that never came up look alike from here;
            // the coordinator's own exit status tells them apart.
            if (!argv.absentOk || (error as { code?: unknown }).code !== 'BATON_WORKER_CONNECT_TIMEOUT') throw error;
            const { cause } = error as Error;
            const last = cause instanceof Error ? ` (last error: ${cause.message})` : '';
            log(`no coordinator answered at ${url} within ${argv.wait} s${last}: taking it as finished (--absent-ok)`);
            return;
          }
          log(`serving ${worker.tests.length} tests on ${argv.slots} slot(s) for ${url}`);
          // SIGTERM (a CI machine being stopped) or Ctrl-C: leave gracefully — the
          // coordinator takes back what has not started, the running tests finish. A
          // second signal stops at once.
          const leave = (signal: string) => {
            log(`${signal}: leaving once the running tests finish (again to stop now)`);
            worker.leave(`it received ${signal}`);
            process.once('SIGTERM', () => process.exit(3));
            process.once('SIGINT', () => process.exit(3));
          };
          process.once('SIGTERM', () => leave('SIGTERM'));
          process.once('SIGINT', () => leave('SIGINT'));
          const info = await worker.serve(transport, token === undefined ? {} : { expectToken: token });
          if (info.state === 'lost') {
            const error = info.error;
            // A refusal (another checkout, a wrong token) says what to fix in its own words.
            if (error !== undefined && !GONE.has(error.code)) throw error;
            throw new CliError('BATON_CLI_COORDINATOR_LOST', `the coordinator at ${url} went away without saying goodbye${error ? ` (${error.message})` : ''}: this worker stops`, { cause: error });
          }
          return;
        }
        const { host, port } = parseListen(argv.listen!);
        const listener = await listenWorker(worker, {
          host,
          port,
          server: httpServer(argv.tlsCert, argv.tlsKey),
          ...(token === undefined ? {} : { token }),
          log,
          onSessionEnd: (error, peer) => log(error ? `coordinator session from ${peer} ended: ${error.message}` : `coordinator at ${peer} said goodbye`),
        });
        log(`waiting for a coordinator at ${listener.url}`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await listener.close();
      } finally {
        await worker.close();
      }
    },
  });
