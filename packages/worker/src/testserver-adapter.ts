import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  EventQueue,
  spawnTestServer,
  type Listing,
  type LocalOutputOptions,
  type SpawnTestServerOptions,
  type TestServerClient,
  type TestServerClientOptions,
} from '@baton/protocol';
import { TEXT_MIME_TYPE, type TestResult } from '@baton/subunit';
import type { AdapterContext, AdapterEvent, AdapterFactory, TestAdapter } from './adapter.js';
import { WorkerError } from './errors.js';

/** How long a test server gets to exit after Goodbye before it is killed. */
export const CLOSE_GRACE_MS = 5_000;

/**
 * The `python/` folder this package ships (`baton_server` is in it): what PYTHONPATH needs
 * for `python3 -m baton_server`. Found through the package's own name, not relative to this
 * module: the `baton` command runs this module bundled into @baton/cli, which may sit far
 * from @baton/worker (nested under it in a global install, a workspace link in this repo).
 */
export const PYTHON_ADAPTER_DIR: string = join(dirname(createRequire(import.meta.url).resolve('@baton/worker/package.json')), 'python');


/** A program that speaks baton's protocol as a test server (see packages/protocol). */
export interface TestServerCommand {
  readonly command: string;
  readonly args?: readonly string[];
  readonly cwd?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default CLOSE_GRACE_MS */
  readonly closeGraceMs?: number;
  /**
   * What messages call it, when its command line is baton's business rather than the
   * user's. @default the command line
   */
  readonly name?: string;
}

/** Where a Python unittest suite is, as `.stestr.conf` says it. */
export interface PythonSuite {
  /** `test_path`: the directory discovery starts in. */
  readonly testPath: string;
  /** `top_dir`. @default '.' */
  readonly topDir?: string;
  /** The project root the paths are relative to. */
  readonly cwd: string;
  /** @default 'python3' */
  readonly python?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * `pythonAdapter` only: fork every slot's test server from one fork server that
   * discovered the suite once. Turn it off for suites whose imports start threads or open
   * connections, which a fork would share between test servers. @default true
   */
  readonly fork?: boolean;
}

/** The command that starts baton's reference Python test server for a suite. */
export function pythonTestServer(suite: PythonSuite): TestServerCommand {
  const env = suite.env ?? process.env;
  const inherited = env['PYTHONPATH'];
  return {
    command: suite.python ?? 'python3',
    // What `-m baton_server` runs, without runpy, whose imports cost every start ~8 ms.
    args: ['-c', 'import sys; from baton_server.__main__ import main; sys.exit(main())', '--test-path', suite.testPath, '--top-dir', suite.topDir ?? '.'],
    cwd: suite.cwd,
    env: { ...env, PYTHONPATH: inherited ? `${PYTHON_ADAPTER_DIR}:${inherited}` : PYTHON_ADAPTER_DIR },
    name: `the Python test server (${suite.python ?? 'python3'}, tests in ${suite.testPath})`,
  };
}

/** Adapters that each keep one long-lived test server process. */
export function testServerAdapter(server: TestServerCommand): AdapterFactory {
  return (context) => serverAdapter(context, server, async (options) => ({ client: await spawnServer(server, options) }));
}

/** Slot hooks for a test server's client, as `connectLocalTestServer` and `spawnTestServer` take them. */
export type ServerHooks = TestServerClientOptions & LocalOutputOptions;

/** A test server connected for a slot; `listing` when something else already listed its suite. */
export interface ConnectedServer {
  readonly client: TestServerClient;
  readonly listing?: Listing;
}

/** Where a process's real stdout/stderr go: the slot's stray output. */
export function strayOutput(context: AdapterContext): LocalOutputOptions {
  return {
    onStdout: (data) => context.output({ name: 'stdout', mimeType: TEXT_MIME_TYPE, content: data }),
    onStderr: (data) => context.output({ name: 'stderr', mimeType: TEXT_MIME_TYPE, content: data }),
  };
}

/** Starts `server` as a child process, connected with a slot's hooks. */
export function spawnServer(server: TestServerCommand, hooks: ServerHooks): Promise<TestServerClient> {
  const options: SpawnTestServerOptions = {
    command: server.command,
    args: server.args ?? [],
    ...(server.cwd === undefined ? {} : { cwd: server.cwd }),
    ...(server.env === undefined ? {} : { env: server.env }),
    ...hooks,
  };
  return spawnTestServer(options);
}

/**
 * One slot's adapter over a test server of `server` that `connect` starts with the slot's
 * hooks (spawned, or forked). Rejects with `BATON_WORKER_ADAPTER_FAILED` when it cannot.
 */
export async function serverAdapter(
  context: AdapterContext,
  server: TestServerCommand,
  connect: (hooks: ServerHooks) => Promise<ConnectedServer>,
): Promise<TestAdapter> {
  let adapter: TestServerAdapter | undefined;
  let connected: ConnectedServer;
  try {
    connected = await connect({
      log: context.log,
      ...strayOutput(context),
      onOutput: (stray) => context.output(stray.attachment),
      // Starts and results both arrive here synchronously, in stream order, so a test's
      // start is never forwarded ahead of the result of the test before it.
      onTestStart: (id, timestamp) => adapter?.route(id, { type: 'start', id, timestamp }),
      onResult: (result) => adapter?.route(result.id, { type: 'result', result }),
    });
  } catch (cause) {
    throw new WorkerError(
      'BATON_WORKER_ADAPTER_FAILED',
      `cannot start ${server.name ?? `the test server '${[server.command, ...(server.args ?? [])].join(' ')}'`} for slot ${context.slot}: ${(cause as Error).message}`,
      { cause },
    );
  }
  adapter = new TestServerAdapter(connected, server.closeGraceMs ?? CLOSE_GRACE_MS);
  return adapter;
}

/** A Run sent to the test server and not over: where its events go. */
interface Batch {
  readonly events: EventQueue<AdapterEvent>;
  readonly tests: readonly string[];
}

class TestServerAdapter implements TestAdapter {
  // The server queues Runs and runs them in arrival order.
  readonly pipelined = true;
  private readonly client: TestServerClient;
  /** The suite's listing: given when connected, else asked of the server once. */
  private listed: Promise<Listing> | undefined;
  /** In the order sent, which is the order the server runs them in. */
  private readonly batches: Batch[] = [];
  /**
   * The batch of each test sent without a result and not cancelled: a pipelined slot may
   * have many batches out, and every event is routed.
   */
  private readonly batchOf = new Map<string, Batch>();
  /** Where results that come while no batch is open go: a closing server's teardown. */
  private late: ((result: TestResult) => void) | undefined;

  constructor(
    connected: ConnectedServer,
    private readonly closeGraceMs: number,
  ) {
    this.client = connected.client;
    this.listed = connected.listing && Promise.resolve(connected.listing);
  }

  async list(): Promise<string[]> {
    return [...(await this.listing()).tests];
  }

  listing(): Promise<Listing> {
    this.listed ??= this.client.listing();
    return this.listed;
  }

  run(tests: readonly string[]): AsyncIterable<AdapterEvent> {
    const batch: Batch = { events: new EventQueue<AdapterEvent>(), tests };
    this.batches.push(batch);
    for (const id of tests) if (!this.batchOf.has(id)) this.batchOf.set(id, batch);
    // No Run timeout goes to the server: the slot enforces it, for every adapter alike.
    // Results come through the hooks, in stream order with starts; the Run only says when
    // it is over.
    this.client.submit(tests).then(
      () => this.over(batch).end(),
      (error: unknown) => this.over(batch).fail(error),
    );
    return batch.events;
  }

  /**
   * Hands an event to the batch of its test. The Done of a Run reaches this adapter a few
   * microtasks after the events before it, so an event of the next batch can come while
   * the one before is not over yet; a test's own batch is known by its id. An id of no
   * batch (a class fixture's error holder) goes to the oldest batch not over, which is
   * the one running, or at such a boundary the one just finished: the slot reports such
   * ids as they come either way. With no batch open, a result goes to `late`: the class
   * and module fixtures a closing server tears down.
   */
  route(id: string, event: AdapterEvent): void {
    const batch = this.batchOf.get(id) ?? this.batches[0];
    if (event.type === 'result') this.batchOf.delete(id);
    if (batch !== undefined) batch.events.push(event);
    else if (event.type === 'result') this.late?.(event.result);
  }

  async cancel(tests: readonly string[], groups?: readonly number[]): Promise<string[]> {
    const taken = await this.client.cancel(tests, groups === undefined ? {} : { groups });
    // A test taken back may come again in a later batch: its events belong there.
    for (const id of taken) this.batchOf.delete(id);
    return taken;
  }

  kill(): void {
    this.client.close();
  }

  async close(late?: (result: TestResult) => void): Promise<void> {
    this.late = late;
    let cancel: NodeJS.Timeout | undefined;
    const overdue = new Promise<void>((resolve) => {
      cancel = setTimeout(resolve, this.closeGraceMs);
    });
    await Promise.race([this.client.goodbye().catch(() => undefined), overdue]);
    clearTimeout(cancel);
    this.client.close();
  }

  private over(batch: Batch): EventQueue<AdapterEvent> {
    this.batches.splice(this.batches.indexOf(batch), 1);
    for (const id of batch.tests) if (this.batchOf.get(id) === batch) this.batchOf.delete(id);
    return batch.events;
  }
}
