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

/** Where a local test server's real stdout/stderr go. */
export interface LocalOutputOptions {
  /**
   * Output the process wrote to its real stdout/stderr rather than to a test's captured
   * streams (a subprocess of a test, C code writing to fd 1): stray output for the worker.
   */
  readonly onStdout?: (data: Buffer) => void;
  readonly onStderr?: (data: Buffer) => void;
}

export interface SpawnTestServerOptions extends TestServerClientOptions, LocalOutputOptions {
  /** The executable (e.g. `python3`). */
  readonly command: string;
  /** Its arguments (e.g. `['-m', 'baton_server', '--test-path', 'tests']`). */
  readonly args?: readonly string[];
  readonly cwd?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * A local process with a channel of its own beside stdout/stderr: a test server spawned
 * with its RPC descriptors, or one a fork server forked and connected over sockets.
 */
export interface LocalProcess {
  readonly pid: number;
  /** What the process writes on its channel. */
  readonly channelIn: Readable;
  /** What it reads from its channel. */
  readonly channelOut: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Settles once the process exited and its stdout/stderr delivered their last bytes (see `afterDrain`). */
  readonly exited: Promise<ExitInfo>;
  /** Signals the process unless it already exited. */
  kill(signal: NodeJS.Signals): void;
}

/** The last STDERR_TAIL_BYTES of a stream, for reports of its process's death. */
export class OutputTail {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;

  push(data: Buffer): void {
    this.chunks.push(data);
    this.bytes += data.length;
    while (this.bytes - this.chunks[0]!.length >= STDERR_TAIL_BYTES) this.bytes -= this.chunks.shift()!.length;
  }

  /** Its last STDERR_TAIL_LINES lines. */
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8').trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n');
  }
}

/**
 * `exit`, once `drained` (the end of the process's stdout/stderr) settled too, or a second
 * after the exit: a background process a test started may hold them open forever.
 */
export async function afterDrain(exit: Promise<ExitInfo>, drained: Promise<unknown>): Promise<ExitInfo> {
  const info = await exit;
  await Promise.race([drained.catch(() => undefined), new Promise((r) => setTimeout(r, STDIO_DRAIN_MS).unref())]);
  return info;
}

/**
 * Starts `command` with a channel on descriptors 3 (it reads) and 4 (it writes), named
 * in `$BATON_RPC_FDS`; its stdin is /dev/null. Rejects with `BATON_PROTOCOL_SPAWN_FAILED`
 * when the command cannot start.
 */
export async function spawnLocalProcess(command: string, args: readonly string[], options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {}): Promise<LocalProcess> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...(options.env ?? process.env), [RPC_FDS_ENV]: CHILD_RPC_FDS },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C at a terminal reaches the whole foreground group, and
    // a test server interrupted mid-test would make that test a crash. The worker stops
    // its servers itself; one whose worker vanished exits when its channel closes.
    detached: true,
  });
  try {
    await once(child, 'spawn');
  } catch (error) {
    throw new ProtocolError('BATON_PROTOCOL_SPAWN_FAILED', `cannot start test server '${command}': ${(error as Error).message}`, { cause: error });
  }
  // 'close' comes once the process exited and its stdio closed; the streams themselves
  // have usually closed before 'exit', so waiting on their own events would miss them.
  const drained = once(child, 'close');
  const exit = new Promise<ExitInfo>((resolve) => child.once('exit', (exitCode, signal) => resolve({ exitCode, signal })));
  return {
    pid: child.pid!,
    channelIn: child.stdio[4] as Readable,
    channelOut: child.stdio[3] as Writable,
    stdout: child.stdout!,
    stderr: child.stderr!,
    exited: afterDrain(exit, drained),
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/**
 * Starts a test server and connects to it. The child gets the RPC channel on descriptors
 * 3 (it reads) and 4 (it writes), named in `$BATON_RPC_FDS`; its stdin is /dev/null and its
 * stdout/stderr stay free for tests. Rejects with `BATON_PROTOCOL_SPAWN_FAILED` when the
 * command cannot start, with a PeerDiedError (stderr tail included) when it exits before
 * its Hello, or with the handshake's error; the process is killed in every case.
 */
export async function spawnTestServer(options: SpawnTestServerOptions): Promise<TestServerClient> {
  const { command, args = [], cwd, env, ...clientOptions } = options;
  return connectLocalTestServer(await spawnLocalProcess(command, args, { cwd, env }), clientOptions);
}

/**
 * Drives a local process as a test server: its stdout/stderr go to `onStdout`/`onStderr`
 * (stderr's tail into death reports), the handshake goes over its channel. Rejects like
 * `spawnTestServer`, the process killed.
 */
export async function connectLocalTestServer(local: LocalProcess, options: TestServerClientOptions & LocalOutputOptions = {}): Promise<TestServerClient> {
  const { onStdout, onStderr, ...clientOptions } = options;
  const tail = new OutputTail();
  local.stdout.on('data', (data: Buffer) => onStdout?.(data));
  local.stderr.on('data', (data: Buffer) => {
    onStderr?.(data);
    tail.push(data);
  });
  const serverProcess: TestServerProcess = { exited: local.exited, stderrTail: () => tail.text(), kill: (signal) => local.kill(signal) };
  try {
    return await TestServerClient.connect(streamTransport(local.channelIn, local.channelOut), clientOptions, serverProcess);
  } catch (error) {
    local.kill('SIGKILL');
    await local.exited;
    throw error;
  }
}
