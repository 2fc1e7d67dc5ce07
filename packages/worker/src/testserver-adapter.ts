import { fileURLToPath } from 'node:url';
import { EventQueue, spawnTestServer, type TestServerClient } from '@baton/protocol';
import type { AdapterContext, AdapterEvent, AdapterFactory, TestAdapter } from './adapter.js';
import { WorkerError } from './errors.js';

/** How long a test server gets to exit after Goodbye before it is killed. */
export const CLOSE_GRACE_MS = 5_000;

/** `adapters/python` of this checkout: what PYTHONPATH needs for `python3 -m baton_server`. */
export const PYTHON_ADAPTER_DIR: string = fileURLToPath(new URL('../../../adapters/python', import.meta.url));

const TEXT = 'text/plain; charset=utf8';

/** A program that speaks baton's protocol as a test server (see packages/protocol). */
export interface TestServerCommand {
  readonly command: string;
  readonly args?: readonly string[];
  readonly cwd?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default CLOSE_GRACE_MS */
  readonly closeGraceMs?: number;
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
}

/** The command that starts baton's reference Python test server for a suite. */
export function pythonTestServer(suite: PythonSuite): TestServerCommand {
  const env = suite.env ?? process.env;
  const inherited = env['PYTHONPATH'];
  return {
    command: suite.python ?? 'python3',
    args: ['-m', 'baton_server', '--test-path', suite.testPath, '--top-dir', suite.topDir ?? '.'],
    cwd: suite.cwd,
    env: { ...env, PYTHONPATH: inherited ? `${PYTHON_ADAPTER_DIR}:${inherited}` : PYTHON_ADAPTER_DIR },
  };
}

/** Adapters that each keep one long-lived test server process. */
export function testServerAdapter(server: TestServerCommand): AdapterFactory {
  return async (context) => {
    let events: EventQueue<AdapterEvent> | undefined;
    let client: TestServerClient;
    try {
      client = await spawnTestServer({
        command: server.command,
        args: server.args ?? [],
        ...(server.cwd === undefined ? {} : { cwd: server.cwd }),
        ...(server.env === undefined ? {} : { env: server.env }),
        log: context.log,
        onStdout: (data) => context.output({ name: 'stdout', mimeType: TEXT, content: data }),
        onStderr: (data) => context.output({ name: 'stderr', mimeType: TEXT, content: data }),
        onOutput: (stray) => context.output(stray.attachment),
        // Starts and results both arrive here synchronously, in stream order, so a test's
        // start is never forwarded ahead of the result of the test before it.
        onTestStart: (id, timestamp) => events?.push({ type: 'start', id, timestamp }),
        onResult: (result) => events?.push({ type: 'result', result }),
      });
    } catch (cause) {
      throw new WorkerError(
        'BATON_WORKER_ADAPTER_FAILED',
        `cannot start the test server '${[server.command, ...(server.args ?? [])].join(' ')}' for slot ${context.slot}: ${(cause as Error).message}`,
        { cause },
      );
    }
    return new TestServerAdapter(client, server.closeGraceMs ?? CLOSE_GRACE_MS, (queue) => {
      events = queue;
    });
  };
}

class TestServerAdapter implements TestAdapter {
  constructor(
    private readonly client: TestServerClient,
    private readonly closeGraceMs: number,
    private readonly setEvents: (queue: EventQueue<AdapterEvent>) => void,
  ) {}

  list(): Promise<string[]> {
    return this.client.list();
  }

  run(tests: readonly string[]): AsyncIterable<AdapterEvent> {
    const queue = new EventQueue<AdapterEvent>();
    this.setEvents(queue);
    // No Run timeout goes to the server: the slot enforces it, for every adapter alike.
    const run = this.client.run(tests);
    void (async () => {
      try {
        for await (const _ of run); // results came through onResult
        queue.end();
      } catch (error) {
        queue.fail(error);
      }
    })();
    return queue;
  }

  cancel(tests: readonly string[]): Promise<string[]> {
    return this.client.cancel(tests);
  }

  kill(): void {
    this.client.close();
  }

  async close(): Promise<void> {
    let cancel: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      cancel = setTimeout(resolve, this.closeGraceMs);
    });
    await Promise.race([this.client.goodbye().catch(() => undefined), late]);
    clearTimeout(cancel);
    this.client.close();
  }
}
