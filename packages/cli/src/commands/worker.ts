import { dialCoordinator, listenWorker, MAX_SLOTS, WorkerServer } from '@baton/worker';
import { loadProjectConfig } from '../config.js';
import { defineCommand, type CommandFactory, type GlobalArgs, type SignalSource } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { plural } from '../output/format.js';
import { adapterFor } from '../run/adapter.js';
import { dialUrl, httpServer, parseListen, readToken } from '../run/listen.js';
import { configOptions, type ConfigArgs } from '../run/options.js';
import { secondsOption, textOption, wholeOption } from '../values.js';

/** How a channel ends when the coordinator vanished rather than refused or dismissed us. */
const GONE: ReadonlySet<string> = new Set(['BATON_PROTOCOL_PEER_LOST', 'BATON_PROTOCOL_PEER_DIED', 'BATON_PROTOCOL_HEARTBEAT_TIMEOUT']);

interface WorkerArgs extends GlobalArgs, ConfigArgs {
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
      // The coordinator's --test-path and --top-dir: the same tests, or it refuses the worker.
      configOptions(y, false)
        .option('connect', textOption('--connect', 'The coordinator to dial (ws:// or wss://HOST:PORT); retried until it is up'))
        .option('listen', textOption('--listen', 'Wait for a coordinator to dial HOST:PORT (baton run --worker URL)'))
        .option('token-file', textOption('--token-file', 'File holding the shared secret'))
        .option('tls-cert', textOption('--tls-cert', 'Certificate (PEM) to listen with wss://'))
        .option('tls-key', textOption('--tls-key', 'Private key (PEM) of --tls-cert'))
        .option('slots', { ...wholeOption('--slots', `a whole number of slots from 1 to ${MAX_SLOTS}`, { min: 1, max: MAX_SLOTS }, 'Tests to run at once, each slot with its own test server'), default: 1 })
        .option('name', textOption('--name', 'This worker\'s name in reports (default host:pid)'))
        .option('wait', { ...secondsOption('--wait', 'Seconds to keep dialling a coordinator that is not up yet', { zero: true }), default: 60 })
        .option('absent-ok', {
          type: 'boolean',
          default: false,
          describe: 'With --connect: exit 0, not 3, when no coordinator answers within --wait, taking it as one that already finished (a worker of a fan-out that started too late)',
        })
        .check((argv) => {
          const modes = [argv['connect'], argv['listen']].filter((m) => m !== undefined);
          if (modes.length !== 1) throw new CliError('BATON_CLI_USAGE', 'give exactly one of --connect URL or --listen HOST:PORT');
          if (argv['absentOk'] === true && argv['connect'] === undefined) throw new CliError('BATON_CLI_USAGE', '--absent-ok goes with --connect URL');
          if (argv['connect'] !== undefined && (argv['tlsCert'] !== undefined || argv['tlsKey'] !== undefined)) {
            throw new CliError('BATON_CLI_USAGE', '--tls-cert and --tls-key serve wss:// to a coordinator that dials in: they go with --listen; --connect wss://… dials over TLS by itself');
          }
          return true;
        }),
    handler: async (argv) => {
      const log = (line: string) => ctx.io.stderr.write(`baton worker: ${line}\n`);
      // Every option is checked before a test server starts.
      const url = argv.connect === undefined ? undefined : dialUrl('--connect', argv.connect);
      const listen = argv.listen === undefined ? undefined : parseListen(argv.listen);
      const token = readToken(argv.tokenFile, ctx.io.cwd);
      const server = listen === undefined ? undefined : httpServer(argv.tlsCert, argv.tlsKey, ctx.io.cwd);
      const config = loadProjectConfig(ctx.io.cwd, argv);
      const worker = await WorkerServer.start({
        adapter: adapterFor(config),
        slots: argv.slots,
        log,
        ...(argv.name === undefined ? {} : { name: argv.name }),
      });
      const signals = new Signals(ctx.io.signals);
      try {
        if (url !== undefined) {
          // Ctrl-C while the coordinator is not up yet: stop dialling, status 3 (interrupted).
          const dialling = new AbortController();
          signals.next((signal) => {
            log(`${signal}: stopped before a coordinator was reached`);
            dialling.abort(new CliError('BATON_CLI_INTERRUPTED', `interrupted (${signal}) while dialling ${url}`));
          });
          let transport;
          try {
            transport = await dialCoordinator({
              url,
              ...(token === undefined ? {} : { token }),
              waitMs: argv.wait * 1000,
              signal: dialling.signal,
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
          log(`serving ${plural(worker.tests.length, 'test')} on ${plural(argv.slots, 'slot')} for ${url}`);
          let stopping = false;
          // SIGTERM (a CI machine being stopped) or Ctrl-C: leave gracefully — the
          // coordinator takes back what has not started, the running tests finish. A
          // second signal stops at once: the tests running are killed, and the worker
          // exits with status 3 once its output is flushed, as every command does.
          signals.next((signal) => {
            log(`${signal}: leaving once the running tests finish (again to stop now)`);
            worker.leave(`it received ${signal}`);
            signals.next((again) => {
              log(`${again}: stopping now`);
              stopping = true;
              ctx.exit(ExitCode.INFRA);
              void worker.close();
            });
          });
          const info = await worker.serve(transport, token === undefined ? {} : { expectToken: token });
          if (info.state === 'lost' && !stopping) {
            const error = info.error;
            // A refusal (another checkout, a wrong token) says what to fix in its own words.
            if (error !== undefined && !GONE.has(error.code)) throw error;
            throw new CliError('BATON_CLI_COORDINATOR_LOST', `the coordinator at ${url} went away without saying goodbye${error ? ` (${error.message})` : ''}: this worker stops`, { cause: error });
          }
          return;
        }
        // A listening worker serves until it is told to stop: that is how it ends, status 0.
        const stop = new Promise<void>((resolve) => signals.next(() => resolve()));
        const listener = await listenWorker(worker, {
          ...listen!,
          server: server!,
          ...(token === undefined ? {} : { token }),
          log,
          onSessionEnd: (error, peer) => log(error ? `coordinator session from ${peer} ended: ${error.message}` : `coordinator at ${peer} said goodbye`),
        });
        log(`waiting for a coordinator at ${listener.url}`);
        await stop;
        await listener.close();
      } finally {
        signals.off();
        await worker.close();
      }
    },
  });

/** SIGINT and SIGTERM, one at a time, each to the handler waiting for the next; `off` forgets them. */
class Signals {
  private handler: ((signal: NodeJS.Signals) => void) | undefined;
  private readonly listener = (signal: NodeJS.Signals) => {
    const handler = this.handler;
    this.handler = undefined;
    handler?.(signal);
  };

  private readonly source: SignalSource;

  constructor(source: SignalSource) {
    this.source = source;
    source.on('SIGINT', this.listener);
    source.on('SIGTERM', this.listener);
  }

  next(handler: (signal: NodeJS.Signals) => void): void {
    this.handler = handler;
  }

  off(): void {
    this.source.off('SIGINT', this.listener);
    this.source.off('SIGTERM', this.listener);
  }
}
