import { connectLocalTestServer } from '@baton/protocol';
import type { AdapterContext, AdapterFactory } from './adapter.js';
import type { WorkerError } from './errors.js';
import { ForkServer } from './fork-server.js';
import {
  CLOSE_GRACE_MS,
  pythonTestServer,
  serverAdapter,
  spawnServer,
  strayOutput,
  testServerAdapter,
  type ConnectedServer,
  type PythonSuite,
  type ServerHooks,
} from './testserver-adapter.js';

/**
 * Fork servers one start tries, when each in turn is killed from outside before it
 * forked: a worker survives an operator's or the OOM killer's kill during its start.
 */
const FORK_SERVER_ATTEMPTS = 3;

/**
 * Adapters that each keep one long-lived Python test server (python/ in this package), forked
 * from one fork server per factory: the suite is imported and discovered once however
 * many slots and restarts there are, and the listing comes from that discovery. The
 * fork server starts with the first adapter; one that failed to start or died is replaced
 * by the next. `finish` (called as `WorkerServer.close` closes the slots) lets it exit
 * after its last child; `dispose` (called once they closed) stops it.
 *
 * With `fork: false`, or where the Python cannot fork (no `os.fork`, or the suite's imports
 * left threads running), every slot spawns a test server of its own instead, as
 * `testServerAdapter(pythonTestServer(suite))` does.
 */
export function pythonAdapter(suite: PythonSuite): AdapterFactory {
  const command = pythonTestServer(suite);
  if (suite.fork === false) return testServerAdapter(command);
  let forking = true;
  let current: Promise<ForkServer> | undefined;
  /** Every fork server started and not disposed of: `dispose` waits until each is gone. */
  const started = new Set<Promise<ForkServer>>();

  const forkServer = (context: AdapterContext): Promise<ForkServer> => {
    if (current === undefined) {
      // The suite's import-time output is printed once, by the fork server: it goes to the
      // slot whose start started it.
      const starting = ForkServer.start(command, {
        log: context.log,
        closeGraceMs: command.closeGraceMs ?? CLOSE_GRACE_MS,
        ...strayOutput(context),
      });
      current = starting;
      started.add(starting);
      const forget = (): void => {
        if (current === starting) current = undefined;
      };
      starting.then((server) => server.gone.then(forget), forget);
    }
    return current;
  };

  const connect = async (context: AdapterContext, hooks: ServerHooks): Promise<ConnectedServer> => {
    for (let attempt = 1; forking; attempt++) {
      const starting = forkServer(context);
      try {
        const server = await starting;
        // Asked at once: the fork server forks as soon as it has discovered the suite.
        const child = server.fork();
        child.catch(() => undefined); // when discovery fails, `ready` says why
        const listing = await server.ready;
        return { client: await connectLocalTestServer(await child, hooks), listing };
      } catch (error) {
        const code = (error as WorkerError).code;
        if (code === 'BATON_WORKER_FORK_KILLED' && attempt < FORK_SERVER_ATTEMPTS) {
          if (current === starting) current = undefined;
          context.log(`${(error as Error).message}; starting another fork server`);
          continue;
        }
        if (code !== 'BATON_WORKER_FORK_UNAVAILABLE') throw error;
        if (forking) context.log(`${(error as Error).message}: each slot starts a test server of its own instead of forking one`);
        forking = false;
      }
    }
    return { client: await spawnServer(command, hooks) };
  };

  const factory: AdapterFactory = (context) => serverAdapter(context, command, (hooks) => connect(context, hooks));
  factory.finish = () => {
    // A start after this one forks from a new fork server.
    const finishing = current;
    current = undefined;
    void finishing?.then((server) => server.finish(), () => undefined);
  };
  factory.dispose = async () => {
    current = undefined;
    const all = [...started];
    started.clear();
    await Promise.all(all.map(async (starting) => (await starting.catch(() => undefined))?.close()));
  };
  return factory;
}
