import { FINAL_STATUSES, ResultAggregator, type Packet, type StrayOutput, type TestResult, type Timestamp } from '@baton/subunit';
import { Channel, type ChannelOptions } from './channel.js';
import { systemClock, type Clock, type ClockTimer } from './clock.js';
import { groupsProblem } from './codec.js';
import { EventQueue } from './event-queue.js';
import { PeerDiedError, ProtocolError, type ExitInfo } from './errors.js';
import type { WorkerLink } from './link.js';
import { CLASS_FIXTURES_TAG, MODULE_FIXTURES_TAG, type HelloMessage, type ProcessCounts, type ProcessStart } from './messages.js';
import type { Transport } from './transport.js';

/**
 * How long past its timeout a test may run before the client kills the server. The
 * server fails a timed-out test itself (version 2); this is the backstop for a test stuck
 * where the server cannot interrupt it, and the only enforcement at version 1.
 */
export const KILL_GRACE_MS = 5_000;
/** After the channel drops (or after Goodbye), how long the server process gets to exit before it is killed. */
export const EXIT_WAIT_MS = 5_000;

/** The process behind a client, when it is a local test server. */
export interface TestServerProcess {
  /** Settles once the process exited. */
  readonly exited: Promise<ExitInfo>;
  /** The last lines it wrote to stderr. */
  stderrTail(): string;
  kill(signal: NodeJS.Signals): void;
}

export interface TestServerClientOptions extends Omit<ChannelOptions, 'role' | 'handlers'> {
  /** Attachments that belong to no test (output the server sent between tests). */
  readonly onOutput?: (output: StrayOutput) => void;
  /** A test started (its inprogress packet arrived, stamped with the server's clock). */
  readonly onTestStart?: (id: string, timestamp: Timestamp | undefined) => void;
  /**
   * A test finished, called in stream order with `onTestStart` (a Run's iterator hands
   * results over later, on the microtask queue, so it cannot order them against starts).
   */
  readonly onResult?: (result: TestResult) => void;
  /**
   * The server sent an Error tied to no request of ours: news about itself, such as a
   * worker announcing that it is leaving (`BATON_WORKER_LEAVING`).
   */
  readonly onNotice?: (code: string, message: string) => void;
  /**
   * A worker started a test server process beyond a slot's first (to go back in discovery
   * order, or after a death), as the Done of a Run tells it (version 2): after the results
   * of that Run.
   */
  readonly onProcessStart?: (start: ProcessStart) => void;
  /** @default KILL_GRACE_MS */
  readonly killGraceMs?: number;
}

/** The callbacks of `TestServerClientOptions` that `setHooks` can replace. */
export type ClientHooks = Pick<TestServerClientOptions, 'onOutput' | 'onTestStart' | 'onResult' | 'onNotice' | 'onProcessStart'>;

/** What a server can run, as its List answer says. */
export interface Listing {
  /** Every test id, in the server's (discovery) order. */
  readonly tests: string[];
  /** Those whose class has class fixtures (tagged CLASS_FIXTURES_TAG), in the same order. */
  readonly classFixtureTests: string[];
  /** Those whose module has module fixtures (tagged MODULE_FIXTURES_TAG), in the same order. */
  readonly moduleFixtureTests: string[];
}

/** Options of `cancel`. */
export interface CancelOptions {
  /**
   * Sizes of consecutive slices of the tests (scheduling units), each taken back whole or
   * not at all (Cancel's `groups`). @default every test a slice of its own
   */
  readonly groups?: readonly number[];
}

export interface RunOptions {
  /** Seconds any one test may take (sent at version 2; enforced by a kill at both). */
  readonly timeout?: number;
  /** The server's slot to run on, after what that slot holds (version 2; a worker's slots). */
  readonly slot?: number;
  /** On a test server process that has run nothing before: a retry (version 2; a worker's slots). */
  readonly fresh?: boolean;
}

/**
 * The results of one Run, as they stream in, in completion order. Iterate it (the
 * iterator throws the error that ended the Run, after the results that came before it)
 * or await `all()`.
 */
export class TestRun extends EventQueue<TestResult> {
  /** The tests asked for; undefined for "every test". */
  readonly tests: readonly string[] | undefined;
  /** Seconds per test, if the Run has a timeout. */
  readonly timeout: number | undefined;

  constructor(tests: readonly string[] | undefined, timeout: number | undefined) {
    super();
    this.tests = tests;
    this.timeout = timeout;
  }

  /** Every result, once the Run is done. */
  async all(): Promise<TestResult[]> {
    const out: TestResult[] = [];
    for await (const result of this) out.push(result);
    return out;
  }
}

/**
 * Drives a test server (a local Python server, or a worker seen by the coordinator) as
 * the client role: the handshake, List, Run with streamed results, Cancel, heartbeats,
 * Goodbye. When the server is a local process it also reports its death: which tests
 * were running, the exit code or signal and the tail of its stderr (`PeerDiedError`).
 */
export class TestServerClient implements WorkerLink {
  /** The channel underneath, for its state and lower-level requests. */
  readonly channel: Channel;
  private readonly process: TestServerProcess | undefined;
  private readonly aggregator: ResultAggregator;
  private readonly runs: TestRun[] = [];
  /**
   * Which Run asked for a test whose result has not come yet; null for a submitted one,
   * whose results go to the hooks only.
   */
  private readonly owners = new Map<string, TestRun | null>();
  private readonly lists: Listing[] = [];
  /** Tests the server started and has not finished, with their watchdogs. */
  private readonly started = new Map<string, ClockTimer | undefined>();
  private readonly clock: Clock;
  private hooks: ClientHooks;
  private readonly killGraceMs: number;
  private killReason: string | undefined;
  private death: Promise<ProtocolError> | undefined;
  private counts: ProcessCounts | undefined;

  private constructor(transport: Transport, options: TestServerClientOptions, process: TestServerProcess | undefined) {
    this.process = process;
    this.hooks = options;
    this.killGraceMs = options.killGraceMs ?? KILL_GRACE_MS;
    this.clock = options.clock ?? systemClock;
    this.aggregator = new ResultAggregator({
      result: (result) => this.onResult(result),
      listed: (id, packet) => {
        const listing = this.lists[0];
        listing?.tests.push(id);
        if (packet.tags?.includes(CLASS_FIXTURES_TAG)) listing?.classFixtureTests.push(id);
        if (packet.tags?.includes(MODULE_FIXTURES_TAG)) listing?.moduleFixtureTests.push(id);
      },
      output: (output) => this.hooks.onOutput?.(output),
    });
    this.channel = new Channel(transport, {
      ...options,
      role: 'client',
      handlers: {
        packet: (packet) => this.onPacket(packet),
        message: (message) => {
          if (message.msg === 'Error') this.hooks.onNotice?.(message.code, message.message);
        },
        close: (info) => {
          if (info.state === 'lost') this.death = this.bury(info.error);
        },
      },
    });
  }

  /**
   * Says Hello over `transport` and resolves once the server answered. Rejects with the
   * handshake's ProtocolError (no common version, no Hello in time, bad token), or with a
   * `PeerDiedError` when the server process exited before its Hello.
   */
  static async connect(transport: Transport, options: TestServerClientOptions = {}, process?: TestServerProcess): Promise<TestServerClient> {
    const client = new TestServerClient(transport, options, process);
    try {
      await client.channel.ready;
    } catch (error) {
      const cause = error as ProtocolError;
      const died = client.death ? await client.death : cause;
      throw cause.code === 'BATON_PROTOCOL_PEER_LOST' ? died : cause;
    }
    return client;
  }

  /**
   * Replaces the start, result and output callbacks: a client connected (and asked for
   * its list) before whoever drives its Runs existed hands them over this way.
   */
  setHooks(hooks: ClientHooks): void {
    this.hooks = hooks;
  }

  /** The negotiated protocol version. */
  get version(): number {
    return this.channel.version!;
  }

  /** The server's Hello: its name, slots and test-list digest at version 2. */
  get peer(): HelloMessage {
    return this.channel.peer!;
  }

  get ended(): Promise<string | undefined> {
    return this.channel.closed.then((info) => (info.state === 'lost' ? info.error?.message ?? 'connection lost' : undefined));
  }

  /** The worker's test server processes beyond each slot's first, as its latest Done said (a worker's, at version 2). */
  get processes(): ProcessCounts | undefined {
    return this.counts;
  }

  /** How many Runs the server executes at once (1 unless its Hello says otherwise). */
  get slots(): number {
    return this.peer.slots ?? 1;
  }

  /** Tests started (inprogress seen) and not finished. */
  get running(): string[] {
    return [...this.started.keys()];
  }

  /** The ids of the tests the server has (of `tests`, when given), in its order. */
  async list(tests?: readonly string[]): Promise<string[]> {
    return (await this.listing(tests)).tests;
  }

  /** `list`, and which of the tests the server tagged as sharing class or module fixtures. */
  async listing(tests?: readonly string[]): Promise<Listing> {
    const listing: Listing = { tests: [], classFixtureTests: [], moduleFixtureTests: [] };
    this.lists.push(listing);
    try {
      await this.channel.request(tests === undefined ? { msg: 'List' } : { msg: 'List', tests });
    } catch (error) {
      throw await this.explain(error as ProtocolError);
    } finally {
      this.lists.splice(this.lists.indexOf(listing), 1);
    }
    return listing;
  }

  /** Runs tests in the given order (all of them when `tests` is undefined); results stream into the TestRun. */
  run(tests?: readonly string[], options: RunOptions = {}): TestRun {
    const run = new TestRun(tests, options.timeout);
    this.runs.push(run);
    for (const id of tests ?? []) this.owners.set(id, run);
    this.sendRun(tests, options).then(
      () => this.finish(run),
      (error: ProtocolError) => this.finish(run, error),
    );
    return run;
  }

  /**
   * Runs tests whose results only the hooks want (a coordinator records them as they come):
   * no TestRun holds them. Resolves once the Run is done.
   */
  submit(tests: readonly string[], options: RunOptions = {}): Promise<void> {
    for (const id of tests) this.owners.set(id, null);
    return this.sendRun(tests, options).finally(() => {
      for (const id of tests) if (this.owners.get(id) === null) this.owners.delete(id);
    });
  }

  private async sendRun(tests: readonly string[] | undefined, options: RunOptions): Promise<void> {
    // Run.timeout is a version 2 field; a version 1 server gets the kill backstop only.
    const v2 = this.version >= 2;
    const timeout = options.timeout !== undefined && v2 ? { timeout: options.timeout } : {};
    const slot = options.slot !== undefined && v2 ? { slot: options.slot } : {};
    const fresh = options.fresh === true && v2 ? { fresh: true } : {};
    try {
      const done = await this.channel.request({ msg: 'Run', ...(tests === undefined ? {} : { tests }), ...timeout, ...slot, ...fresh });
      if (done.processes !== undefined) this.counts = done.processes;
      for (const start of done.starts ?? []) this.hooks.onProcessStart?.(start);
    } catch (error) {
      throw await this.explain(error as ProtocolError);
    }
  }

  refuse(code: string, message: string): void {
    void this.channel
      .send({ msg: 'Error', code, message })
      .catch(() => {})
      .finally(() => this.close());
  }

  /**
   * Takes back tests that have not started; resolves with those the server will not run
   * (they will get no result), whole `groups` only. A version 1 server cannot cancel:
   * nothing is taken back. Rejects with `BATON_PROTOCOL_BAD_MESSAGE` when `groups` does
   * not slice `tests`.
   */
  async cancel(tests: readonly string[], options: CancelOptions = {}): Promise<string[]> {
    const problem = groupsProblem(tests, options.groups);
    if (problem !== undefined) throw new ProtocolError('BATON_PROTOCOL_BAD_MESSAGE', problem);
    if (!this.channel.supports('Cancel')) return [];
    let taken: readonly string[];
    try {
      const groups = options.groups === undefined ? {} : { groups: options.groups };
      // A peer that answers Pings but leaves a Cancel unanswered would hold its tests for
      // ever: it is dropped instead, and its tests go to others.
      taken = (await this.channel.request({ msg: 'Cancel', tests, ...groups }, this.channel.answerTimeoutMs)).tests;
    } catch (error) {
      throw await this.explain(error as ProtocolError);
    }
    for (const id of taken) this.owners.delete(id);
    return [...taken];
  }

  /** Ping round trip in milliseconds (version 2; `BATON_PROTOCOL_UNSUPPORTED` at version 1). */
  ping(): Promise<number> {
    return this.channel.ping();
  }

  /** Says Goodbye and waits for the server to finish; resolves with how its process exited. */
  async goodbye(): Promise<ExitInfo | undefined> {
    await this.channel.goodbye();
    return this.process ? this.reap() : undefined;
  }

  /** Abandons the server without Goodbye: closes the channel and kills its process. */
  close(): void {
    this.channel.close();
    this.process?.kill('SIGKILL');
  }

  private onPacket(packet: Packet): void {
    const id = packet.testId;
    if (id !== undefined && packet.status === 'inprogress' && !this.started.has(id)) {
      const timeout = (this.owners.get(id) ?? this.runs[0])?.timeout;
      this.started.set(id, timeout === undefined ? undefined : this.clock.setTimeout(() => this.timedOut(id, timeout), timeout * 1000 + this.killGraceMs));
      this.hooks.onTestStart?.(id, packet.timestamp);
    } else if (id !== undefined && packet.status !== undefined && FINAL_STATUSES.has(packet.status)) {
      this.started.get(id)?.cancel();
      this.started.delete(id);
    }
    this.aggregator.packet(packet);
  }

  private onResult(result: TestResult): void {
    this.hooks.onResult?.(result);
    const owner = this.owners.get(result.id);
    this.owners.delete(result.id);
    const run = owner === undefined ? this.runs.find((r) => r.tests === undefined) ?? this.runs[0] : owner;
    run?.push(result);
  }

  private finish(run: TestRun, error?: ProtocolError): void {
    this.runs.splice(this.runs.indexOf(run), 1);
    for (const id of run.tests ?? []) if (this.owners.get(id) === run) this.owners.delete(id);
    if (error) run.fail(error);
    else run.end();
  }

  private timedOut(id: string, timeout: number): void {
    this.killReason = `test ${id} ran past its timeout of ${timeout}s and did not stop`;
    if (this.process) this.process.kill('SIGKILL');
    else this.channel.fail(new ProtocolError('BATON_PROTOCOL_PEER_LOST', this.killReason), true);
  }

  /** The error to report for a failed request: the server's death when that is the cause. */
  private async explain(error: ProtocolError): Promise<ProtocolError> {
    return this.death && this.channel.state === 'lost' ? this.death : error;
  }

  /** What the loss of the channel means: for a local process, how and while running what it died. */
  private async bury(error: ProtocolError | undefined): Promise<ProtocolError> {
    const cause = error ?? new ProtocolError('BATON_PROTOCOL_PEER_LOST', 'the channel was lost');
    const running = this.running;
    for (const timer of this.started.values()) timer?.cancel();
    if (!this.process) return cause;
    // A server that dropped the channel is dying anyway: wait for its exit status. One the
    // channel gave up on (no Pong, a protocol failure) is killed outright.
    if (cause.code !== 'BATON_PROTOCOL_PEER_LOST') this.process.kill('SIGKILL');
    const exit = await this.reap();
    const what = this.killReason
      ? `the test server was killed: ${this.killReason}`
      : cause.code === 'BATON_PROTOCOL_PEER_LOST'
        ? this.channel.peer === undefined
          ? 'the test server exited before its Hello'
          : 'the test server died'
        : `the test server was killed: ${cause.message}`;
    return new PeerDiedError(what, running, exit, this.process.stderrTail(), { cause });
  }

  /** Waits for the process to exit, killing it after EXIT_WAIT_MS. */
  private async reap(): Promise<ExitInfo> {
    const process = this.process!;
    let timer: ClockTimer | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(undefined), EXIT_WAIT_MS);
    });
    const exit = await Promise.race([process.exited, late]);
    timer?.cancel();
    if (exit !== undefined) return exit;
    process.kill('SIGKILL');
    return process.exited;
  }
}
