import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { TestServerClient, type TestServerClientOptions, type TestServerProcess } from './client.js';
import { ProtocolError, type ExitInfo } from './errors.js';
import { CHILD_RPC_FDS, RPC_FDS_ENV, streamTransport } from './transports/fd.js';

/** How much of a test server's stderr is kept for reports of its death. */
export const STDERR_TAIL_BYTES: number = 8 * 1024;
/** Lines of that tail shown in a PeerDiedError. */
export const STDERR_TAIL_LINES = 20;
/**
 * After the process exited, how long its stdout/stderr get to deliver their last bytes. A
 * background process a test started may hold them open forever; the exit must not wait.
 */
const STDIO_DRAIN_MS = 1_000;

export interface SpawnTestServerOptions extends TestServerClientOptions {
  /** The executable (e.g. `python3`). */
  readonly command: string;
  /** Its arguments (e.g. `['-m', 'baton_server', '--test-path', 'tests']`). */
  readonly args?: readonly string[];
  readonly cwd?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Output the process wrote to its real stdout/stderr rather than to a test's captured
   * streams (a subprocess of a test, C code writing to fd 1): stray output for the worker.
   */
  readonly onStdout?: (data: Buffer) => void;
  readonly onStderr?: (data: Buffer) => void;
}

/**
 * Starts a test server and connects to it. The child gets the RPC channel on descriptors
 * 3 (it reads) and 4 (it writes), named in `$BATON_RPC_FDS`; its stdin is /dev/null and its
 * stdout/stderr stay free for tests. Rejects with `BATON_PROTOCOL_SPAWN_FAILED` when the
 * command cannot start, with a PeerDiedError (stderr tail included) when it exits before
 * its Hello, or with the handshake's error; the process is killed in every case.
 */
export async function spawnTestServer(options: SpawnTestServerOptions): Promise<TestServerClient> {
  const { command, args = [], cwd, env = process.env, onStdout, onStderr, ...clientOptions } = options;
  const child = spawn(command, args, {
    cwd,
    env: { ...env, [RPC_FDS_ENV]: CHILD_RPC_FDS },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
  });
  const tail: Buffer[] = [];
  let tailBytes = 0;
  child.stdout!.on('data', (data: Buffer) => onStdout?.(data));
  child.stderr!.on('data', (data: Buffer) => {
    onStderr?.(data);
    tail.push(data);
    tailBytes += data.length;
    while (tailBytes - tail[0]!.length >= STDERR_TAIL_BYTES) tailBytes -= tail.shift()!.length;
  });
  try {
    await once(child, 'spawn');
  } catch (error) {
    throw new ProtocolError('BATON_PROTOCOL_SPAWN_FAILED', `cannot start test server '${command}': ${(error as Error).message}`, { cause: error });
  }
  // 'close' comes once the process exited and its stdio closed; the streams themselves
  // have usually closed before 'exit', so waiting on their own events would miss them.
  const drained = once(child, 'close');
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (exitCode, signal) => {
      const late = new Promise((r) => setTimeout(r, STDIO_DRAIN_MS).unref());
      void Promise.race([drained, late]).then(() => resolve({ exitCode, signal }));
    });
  });
  const serverProcess: TestServerProcess = {
    exited,
    stderrTail: () => Buffer.concat(tail).toString('utf8').trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n'),
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
  const transport = streamTransport(child.stdio[4] as Readable, child.stdio[3] as Writable);
  try {
    return await TestServerClient.connect(transport, clientOptions, serverProcess);
  } catch (error) {
    serverProcess.kill('SIGKILL');
    await exited;
    throw error;
  }
}
