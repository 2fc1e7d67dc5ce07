import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import {
  afterDrain,
  HELLO_TIMEOUT_MS,
  OutputTail,
  spawnLocalProcess,
  type ExitInfo,
  type Listing,
  type LocalOutputOptions,
  type LocalProcess,
} from '@baton/protocol';
import { WorkerError } from './errors.js';
import { listenForChild } from './fork-sockets.js';
import type { TestServerCommand } from './testserver-adapter.js';

/** What the fork server reports on its control channel (python/baton_server/forkserver.py). */
type Report =
  | { readonly msg: 'ready'; readonly tests: string[]; readonly classFixtureTests?: string[]; readonly moduleFixtureTests?: string[] }
  | { readonly msg: 'unavailable'; readonly reason: string }
  | { readonly msg: 'forked'; readonly id: number; readonly pid: number }
  | { readonly msg: 'refused'; readonly id: number; readonly reason: string }
  | { readonly msg: 'exited'; readonly pid: number; readonly code: number | null; readonly signal: NodeJS.Signals | null };

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

/** A child the fork server forked: its pid, and its exit once reported. */
interface Forked {
  readonly pid: number;
  readonly exit: Promise<ExitInfo>;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export interface ForkServerOptions extends LocalOutputOptions {
  /** Lines for the operator: the fork server's death. */
  readonly log: (line: string) => void;
  /** How long it gets to exit after `close` before it is killed. */
  readonly closeGraceMs: number;
}

const how = (exit: ExitInfo): string => (exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.exitCode}`);

/**
 * The worker's end of a Python fork server (`python -m baton_server --fork-server`): one
 * process that discovered the suite once, forks a test server on request and reports its
 * children's exits. A child is only ever left running under a live fork server: when the
 * fork server dies, its children are killed, since nobody could report their exits.
 */
export class ForkServer {
  /**
   * Every test id of the suite, in discovery order, once discovered, and those that share
   * class or module fixtures. Rejects with
   * `BATON_WORKER_FORK_UNAVAILABLE` when that Python cannot fork, and with
   * `BATON_WORKER_FORK_FAILED` when it exits first (discovery failed: its stderr tail says
   * why) or says nothing within HELLO_TIMEOUT_MS.
   */
  readonly ready: Promise<Listing>;
  /** Resolves once the control channel closed: the fork server is exiting (or was closed). */
  readonly gone: Promise<void>;
  private readonly state: ControlState;

  private constructor(state: ControlState, ready: Promise<Listing>) {
    this.state = state;
    this.ready = ready;
    this.gone = state.gone;
  }

  /**
   * Starts a fork server for `command` (a `pythonTestServer` command): the process is
   * spawned before this returns to the event loop, since its discovery is the slowest part
   * of a run's start. Resolves once it is running; `ready` says when it discovered the
   * suite.
   */
  static async start(command: TestServerCommand, options: ForkServerOptions): Promise<ForkServer> {
    // Synchronous, like the spawn itself (spawnLocalProcess spawns before its first await):
    // a callback would wait behind whatever the caller does next.
    const dir = mkdtempSync(join(tmpdir(), 'baton-fork-'));
    let local: LocalProcess;
    try {
      local = await spawnLocalProcess(command.command, [...(command.args ?? []), '--fork-server'], {
        ...(command.cwd === undefined ? {} : { cwd: command.cwd }),
        ...(command.env === undefined ? {} : { env: command.env }),
      });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    const state = new ControlState(local, dir, options);
    const timer = setTimeout(() => {
      state.ready.reject(new WorkerError('BATON_WORKER_FORK_FAILED', `the fork server (pid ${local.pid}) did not discover the suite within ${HELLO_TIMEOUT_MS} ms`));
      local.kill('SIGKILL');
    }, HELLO_TIMEOUT_MS);
    const ready = state.ready.promise;
    ready.then(
      () => clearTimeout(timer),
      () => clearTimeout(timer),
    );
    return new ForkServer(state, ready);
  }

  /**
   * Forks a test server and waits for its three connections. May be asked before `ready`:
   * the fork server reads its requests once it discovered the suite, so that the first
   * children fork without waiting for a round trip through this process. Rejects with
   * `BATON_WORKER_FORK_UNAVAILABLE` when the fork server refuses (forking a process with
   * threads is unsafe), and with `BATON_WORKER_FORK_FAILED` when it died or the child
   * exited before it connected.
   */
  async fork(): Promise<LocalProcess> {
    const state = this.state;
    const id = state.nextId();
    const path = join(state.dir, `${id}.sock`);
    const listener = await listenForChild(path);
    try {
      const { pid, exit } = await state.request(id, path);
      const connected = await Promise.race([listener.sockets, exit]);
      if ('exitCode' in connected) {
        throw new WorkerError('BATON_WORKER_FORK_FAILED', `the forked test server (pid ${pid}) exited (${how(connected)}) before it connected`);
      }
      const { rpc, stdout, stderr } = connected;
      return {
        pid,
        channelIn: rpc,
        channelOut: rpc,
        stdout,
        stderr,
        exited: afterDrain(exit, Promise.all([finished(stdout, { writable: false }), finished(stderr, { writable: false })])),
        kill: (signal) => state.kill(pid, signal),
      };
    } finally {
      listener.close();
    }
  }

  /**
   * Asks the fork server to exit once its last child has exited (their slots are closing
   * them), forking no more: it then exits while the worker is busy elsewhere, instead of
   * when `close` comes. `close` still ends it.
   */
  finish(): void {
    this.state.finish();
  }

  /** Closes the control channel: the fork server kills the children left and exits. */
  async close(): Promise<void> {
    await this.state.close();
  }
}

/** The control channel's bookkeeping: requests in flight, children alive, the end. */
class ControlState {
  readonly ready = deferred<Listing>();
  readonly gone: Promise<void>;
  alive = true;
  private readonly forks = new Map<number, Deferred<Forked>>();
  /** Children whose exit has not been reported. */
  private readonly children = new Map<number, Deferred<ExitInfo>>();
  private readonly tail = new OutputTail();
  private readonly cleanedUp: Promise<void>;
  private lastId = 0;
  private closing = false;
  private wasReady = false;

  constructor(
    private readonly local: LocalProcess,
    readonly dir: string,
    private readonly options: ForkServerOptions,
  ) {
    local.stdout.on('data', (data: Buffer) => options.onStdout?.(data));
    local.stderr.on('data', (data: Buffer) => {
      options.onStderr?.(data);
      this.tail.push(data);
    });
    // Its death is noticed by the end of what it writes; a write to it meanwhile fails quietly.
    local.channelOut.on('error', () => undefined);
    readLines(local.channelIn, (line) => this.onLine(line));
    this.gone = new Promise((resolve) => local.channelIn.once('close', resolve));
    this.cleanedUp = this.gone.then(() => this.onGone());
  }

  nextId(): number {
    return ++this.lastId;
  }

  async request(id: number, path: string): Promise<Forked> {
    if (!this.alive) throw await this.death();
    const fork = deferred<Forked>();
    this.forks.set(id, fork);
    this.local.channelOut.write(`${JSON.stringify({ msg: 'fork', id, path })}\n`);
    return fork.promise;
  }

  kill(pid: number, signal: NodeJS.Signals): void {
    // Only a child whose exit is not reported: its pid cannot have been reused yet.
    if (!this.children.has(pid)) return;
    try {
      process.kill(pid, signal);
    } catch {
      // It exited a moment ago; the report is on its way.
    }
  }

  /** The error for requests the fork server can no longer answer. */
  async death(): Promise<WorkerError> {
    const exit = await this.local.exited;
    // A signal came from outside (the OOM killer, an operator): a new fork server may well
    // succeed, where a discovery that failed would fail again.
    const code = exit.signal !== null && !this.closing ? 'BATON_WORKER_FORK_KILLED' : 'BATON_WORKER_FORK_FAILED';
    return new WorkerError(code, `the fork server (pid ${this.local.pid}) exited (${how(exit)})${this.tailText()}`);
  }

  finish(): void {
    // Its exit is expected now: no death to report.
    this.closing = true;
    this.local.channelOut.write(`${JSON.stringify({ msg: 'finish' })}\n`);
  }

  async close(): Promise<void> {
    this.closing = true;
    // Its slots close their test servers before it: one left now gets no Goodbye.
    if (this.children.size > 0) {
      this.options.log(`the fork server (pid ${this.local.pid}) closes with test servers still running (pids ${[...this.children.keys()].join(', ')}): they are killed`);
    }
    this.local.channelOut.end();
    const timer = setTimeout(() => this.local.kill('SIGKILL'), this.options.closeGraceMs);
    await this.cleanedUp;
    clearTimeout(timer);
  }

  private tailText(): string {
    const tail = this.tail.text();
    return tail ? `\n--- stderr tail ---\n${tail}` : '';
  }

  private onLine(line: string): void {
    let report: Report;
    try {
      report = JSON.parse(line) as Report;
    } catch {
      this.options.log(`fork server: unreadable report ignored: ${line.slice(0, 200)}`);
      return;
    }
    switch (report.msg) {
      case 'ready':
        this.wasReady = true;
        this.ready.resolve({ tests: report.tests, classFixtureTests: report.classFixtureTests ?? [], moduleFixtureTests: report.moduleFixtureTests ?? [] });
        return;
      case 'unavailable':
        this.ready.reject(new WorkerError('BATON_WORKER_FORK_UNAVAILABLE', report.reason));
        return;
      case 'forked': {
        const exit = deferred<ExitInfo>();
        this.children.set(report.pid, exit);
        this.forks.get(report.id)?.resolve({ pid: report.pid, exit: exit.promise });
        this.forks.delete(report.id);
        return;
      }
      case 'refused':
        this.forks.get(report.id)?.reject(new WorkerError('BATON_WORKER_FORK_UNAVAILABLE', report.reason));
        this.forks.delete(report.id);
        return;
      case 'exited':
        this.children.get(report.pid)?.resolve({ exitCode: report.code, signal: report.signal });
        this.children.delete(report.pid);
        return;
    }
  }

  private async onGone(): Promise<void> {
    this.alive = false;
    // Nobody can report their exits any more (and the fork server kills them itself when it
    // exits cleanly): whatever is left is killed here.
    for (const [pid, child] of this.children) {
      this.kill(pid, 'SIGKILL');
      child.resolve({ exitCode: null, signal: 'SIGKILL' });
    }
    this.children.clear();
    const error = await this.death();
    this.ready.reject(error);
    for (const fork of this.forks.values()) fork.reject(error);
    this.forks.clear();
    if (this.wasReady && !this.closing) {
      const exit = await this.local.exited;
      this.options.log(
        `the fork server (pid ${this.local.pid}) died (${how(exit)}): its test servers were killed, and the next start forks from a new one${this.tailText()}`,
      );
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Calls `line` with each line of JSON the stream carries. */
function readLines(stream: NodeJS.ReadableStream, line: (text: string) => void): void {
  let partial: string[] = [];
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      partial.push(text.slice(start, end));
      line(partial.join(''));
      partial = [];
      start = end + 1;
    }
    if (start < text.length) partial.push(text.slice(start));
  });
}
