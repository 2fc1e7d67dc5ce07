import { hostname } from 'node:os';
import {
  Channel,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  systemClock,
  testListDigest,
  WORKER_LEAVING,
  type CancelMessage,
  type ChannelOptions,
  type Clock,
  type CloseInfo,
  type HelloFields,
  type ListMessage,
  type Listing,
  type Message,
  type ProcessCounts,
  type ProcessStart,
  type RunMessage,
  type RunOptions,
  type Transport,
  type WorkerLink,
} from '@baton/protocol';
import { resultPackets, timestampFromMillis, type Attachment, type Packet, type TestResult, type Timestamp } from '@baton/subunit';
import type { AdapterFactory, TestAdapter } from './adapter.js';
import { WorkerError } from './errors.js';
import { InProcessLink } from './link.js';
import { outputPackets, routedResult, startPacket } from './packets.js';
import { Slot, type SlotSink } from './slot.js';
import type { Upstream } from './upstream.js';

/**
 * The most slots one worker may have: each is a test server process, so a typo such as
 * `-j 99999` would fork until the machine gives out. Four times the cores of the largest
 * machines sold today.
 */
export const MAX_SLOTS = 1024;

export interface WorkerServerOptions {
  /** How each slot runs tests: `testServerAdapter(…)` or `testrCommandAdapter(…)`. */
  readonly adapter: AdapterFactory;
  /** Tests run at once, each slot with its own adapter. @default 1 */
  readonly slots?: number;
  /** The identity in Hello and in failure reasons. @default `${hostname()}:${process.pid}` */
  readonly name?: string;
  /** @default MAX_FAILED_STARTS */
  readonly maxFailedStarts?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default console.warn with a `baton worker:` prefix */
  readonly log?: (line: string) => void;
}

/** Options of `WorkerServer.link`. */
export interface LinkOptions {
  /**
   * The worker lives for one run (`baton run -j N`): once the coordinator's goodbye has
   * closed the test servers (and delivered their fixtures' teardown results), `close`
   * starts, which stops what the adapters share (the fork server).
   */
  readonly closeOnGoodbye?: boolean;
}

/** Test server processes the worker started beyond each slot's first, in all and per slot. */
export interface WorkerStats extends ProcessCounts {
  readonly slots: readonly ProcessCounts[];
}

/** Options of one coordinator channel, passed on to protocol's Channel. */
export type ServeOptions = Pick<ChannelOptions, 'expectToken' | 'helloTimeoutMs' | 'heartbeat' | 'silenceMs' | 'versions'>;

/**
 * A worker: to a coordinator it is a test server with several slots. It serves the
 * protocol's server role on one channel at a time (`serve`), announcing its slots, name
 * and test-list digest, and runs each Run on a slot (the one named, or the least loaded),
 * forwarding results with the slot as route code and a `worker-N` tag.
 */
export class WorkerServer implements SlotSink {
  /** What Hello announces: slots, name and the digest of the tests the adapter lists. */
  readonly hello: Required<Pick<HelloFields, 'slots' | 'name' | 'digest'>>;
  /** Every test id the adapter lists, in its order, and which share fixtures (`TestAdapter.listing`). */
  readonly listing: Listing;
  private readonly slots: readonly Slot[];
  private readonly factory: AdapterFactory;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  /** The coordinator served now, if any. */
  private upstream: Upstream | undefined;
  /** `stats()` when it began to be served: its Dones count from there. */
  private baseline: ProcessCounts = { fresh: 0, restarts: 0 };
  /** The slots saying farewell to the coordinator served now (Goodbye, or leaving). */
  private parting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private leaving = false;

  /** Every test id the adapter lists, in its order. */
  get tests(): readonly string[] {
    return this.listing.tests;
  }

  private constructor(options: WorkerServerOptions, adapters: readonly (TestAdapter | Promise<TestAdapter>)[], listing: Listing, name: string) {
    this.factory = options.adapter;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? ((line) => console.warn(`baton worker: ${line}`));
    this.listing = listing;
    const tests = listing.tests;
    this.hello = { slots: adapters.length, name, digest: testListDigest(tests) };
    const order = new Map(tests.map((id, position) => [id, position]));
    this.slots = adapters.map(
      (adapter, index) =>
        new Slot(
          {
            index,
            factory: options.adapter,
            order,
            sink: this,
            clock: this.clock,
            workerName: name,
            log: this.log,
            ...(options.maxFailedStarts === undefined ? {} : { maxFailedStarts: options.maxFailedStarts }),
          },
          adapter,
        ),
    );
  }

  /**
   * Starts an adapter per slot and lists the tests once, with slot 0's adapter: resolves
   * as soon as that one is up, while the others still start (their slots' Runs wait for
   * them, and one that fails to start is retried like an adapter that died), so that a
   * coordinator can plan the run meanwhile. Rejects with `BATON_WORKER_BAD_OPTION` for
   * fewer than one slot or more than `MAX_SLOTS`, and with `BATON_WORKER_ADAPTER_FAILED` when slot 0's adapter
   * cannot start or list (nothing is left running then).
   */
  static async start(options: WorkerServerOptions): Promise<WorkerServer> {
    const slots = options.slots ?? 1;
    if (!Number.isSafeInteger(slots) || slots < 1 || slots > MAX_SLOTS) throw new WorkerError('BATON_WORKER_BAD_OPTION', `slots must be an integer from 1 to ${MAX_SLOTS}, not ${slots}`);
    const name = options.name ?? `${hostname()}:${process.pid}`;
    const log = options.log ?? ((line: string) => console.warn(`baton worker: ${line}`));
    // The first adapters exist before the server does; their output reaches it once it does.
    let server: WorkerServer | undefined;
    const early: SlotSink = {
      started: () => undefined,
      finished: () => undefined,
      processStarted: () => undefined,
      done: () => undefined,
      output: (slot, attachment) => server?.output(slot, attachment),
    };
    const starting = Array.from({ length: slots }, (_, slot) => options.adapter(Slot.context(slot, early, log)));
    // Their failures are the slots' to report, once they have slots.
    for (const adapter of starting) adapter.catch(() => undefined);
    let first: TestAdapter | undefined;
    let listing: Listing;
    try {
      first = await (starting[0] as Promise<TestAdapter>);
      listing = await listingOf(first).catch((cause: Error) => {
        throw new WorkerError('BATON_WORKER_ADAPTER_FAILED', `cannot list the tests: ${cause.message}`, { cause });
      });
    } catch (error) {
      await Promise.all([first?.close(), ...starting.slice(1).map((adapter) => adapter.then((a) => a.close(), () => undefined))]);
      await options.adapter.dispose?.();
      throw error;
    }
    server = new WorkerServer(options, [first, ...starting.slice(1)], listing, name);
    return server;
  }

  /**
   * Serves one coordinator over `transport` until the channel closes (Goodbye, or the
   * coordinator vanished); resolves with how it ended. Work still queued then is dropped.
   * Rejects with `BATON_WORKER_BUSY` while another channel is served.
   */
  async serve(transport: Transport, options: ServeOptions = {}): Promise<CloseInfo> {
    if (this.upstream !== undefined) {
      transport.close();
      throw this.busy();
    }
    const channel = new Channel(transport, {
      // The coordinator Pings every HEARTBEAT_INTERVAL_MS and waits HEARTBEAT_TIMEOUT_MS
      // for the Pong: silence longer than both is a coordinator cut off, and a worker
      // behind a silent network cut would otherwise wait for ever.
      silenceMs: HEARTBEAT_INTERVAL_MS + HEARTBEAT_TIMEOUT_MS,
      ...options,
      role: 'server',
      hello: this.hello,
      log: this.log,
      handlers: { message: (message) => this.onMessage(channel, message) },
    });
    const upstream = channelUpstream(channel);
    this.attach(upstream);
    const info = await channel.closed;
    this.detach(upstream);
    return info;
  }

  /**
   * Serves a coordinator in this process without a channel (`baton run -j N`): the link is
   * what the coordinator drives (`Coordinator.adopt`), and results reach it as objects.
   * Throws `BATON_WORKER_BUSY` while another coordinator is served.
   */
  link(options: LinkOptions = {}): WorkerLink {
    if (this.upstream !== undefined) throw this.busy();
    const link = new InProcessLink(this.hello, {
      run: (nonce, tests, options) => this.enqueue(nonce, tests, options),
      cancel: (ids, groups) => this.takeBack(ids, groups),
      processes: () => this.processes(),
      log: this.log,
      goodbye: async () => {
        await this.part();
        if (options.closeOnGoodbye) void this.close().catch(() => undefined);
      },
    });
    this.attach(link);
    void link.ended.then(() => this.detach(link));
    return link;
  }

  /**
   * Test server processes started beyond each slot's first, since the worker started:
   * `fresh` ones, because a slot's next tests lay behind its process in discovery order,
   * and `restarts` after a crash or a timeout. A coordinator sees its own share in the
   * Done of each Run (`processes`, also `WorkerLink.processes`).
   */
  stats(): WorkerStats {
    const slots = this.slots.map((slot) => ({ ...slot.stats }));
    return { fresh: sum(slots.map((s) => s.fresh)), restarts: sum(slots.map((s) => s.restarts)), slots };
  }

  /** What `stats()` counted since the coordinator served now began to be. */
  private processes(): ProcessCounts {
    const now = this.stats();
    return { fresh: now.fresh - this.baseline.fresh, restarts: now.restarts - this.baseline.restarts };
  }

  private attach(upstream: Upstream): void {
    this.upstream = upstream;
    this.baseline = this.stats();
  }

  /**
   * The coordinator is done with this worker (Goodbye, or the worker leaves): every slot's
   * test server that ran anything closes, tearing down the fixtures it holds open, and
   * what that reports goes upstream. Resolves once those processes are gone: then, and
   * not before, the connection may close.
   */
  private part(): Promise<void> {
    this.parting ??= Promise.all(this.slots.map((slot) => slot.farewell())).then(() => undefined);
    return this.parting;
  }

  private busy(): WorkerError {
    return new WorkerError('BATON_WORKER_BUSY', `worker ${this.hello.name} already serves a coordinator`);
  }

  /** The coordinator is gone: work still queued is dropped. */
  private detach(upstream: Upstream): void {
    if (this.upstream !== upstream) return;
    this.upstream = undefined;
    this.leaving = false;
    this.parting = undefined;
    for (const slot of this.slots) slot.abandon();
  }

  /**
   * Leaves the coordinator gracefully (the machine is going away, `baton worker` got
   * SIGTERM): tells it so, so that it takes back the tests not started yet, finishes the
   * running ones, and closes the channel once every slot is idle. `serve` then resolves.
   */
  leave(reason: string): void {
    const upstream = this.upstream;
    if (upstream === undefined || this.leaving) return;
    this.leaving = true;
    upstream.notice(WORKER_LEAVING, `worker ${this.hello.name} is leaving: ${reason}`);
    this.closeIfLeft();
  }

  private closeIfLeft(): void {
    const upstream = this.upstream;
    if (this.leaving && this.slots.every((slot) => slot.load === 0)) void this.part().then(() => upstream?.close());
  }

  /**
   * Stops every adapter cleanly (Goodbye, then a kill after the grace period), then what
   * the adapter factory shares between them (`dispose`: a fork server). Later calls
   * resolve with the first.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.upstream?.close();
      const closing = Promise.all(this.slots.map((slot) => slot.close()));
      this.factory.finish?.();
      await closing;
      await this.factory.dispose?.();
    })();
    return this.closing;
  }

  /** @internal */
  started(slot: number, id: string, timestamp: Timestamp | undefined): void {
    // The test server's own stamp, so that start and stop come from one clock.
    this.upstream?.started(slot, id, timestamp ?? timestampFromMillis(this.clock.now()));
  }

  /** @internal */
  finished(slot: number, result: TestResult): void {
    this.upstream?.finished(slot, result);
  }

  /** @internal */
  output(slot: number, attachment: Attachment): void {
    this.upstream?.output(slot, attachment, timestampFromMillis(this.clock.now()));
  }

  /** @internal */
  processStarted(start: ProcessStart): void {
    this.upstream?.processStarted(start);
  }

  /** @internal */
  done(nonce: string): void {
    this.upstream?.done(nonce, this.processes());
    this.closeIfLeft();
  }

  private onMessage(channel: Channel, message: Message): void {
    switch (message.msg) {
      case 'List':
        this.list(channel, message);
        return;
      case 'Run':
        this.run(channel, message);
        return;
      case 'Cancel':
        void this.cancel(channel, message);
        return;
      case 'Goodbye':
        void this.part().then(() => channel.close());
        return;
      case 'Error':
        return;
      default:
        this.log(`${message.msg} from the coordinator ignored`);
    }
  }

  private list(channel: Channel, message: ListMessage): void {
    const wanted = message.tests === undefined ? undefined : new Set(message.tests);
    for (const id of this.tests) {
      if (wanted === undefined || wanted.has(id)) channel.sendPacket({ testId: id, status: 'exists' }).catch(() => undefined);
    }
    channel.send({ msg: 'Done', nonce: message.nonce }).catch(() => undefined);
  }

  private run(channel: Channel, message: RunMessage): void {
    const refused = this.enqueue(message.nonce, message.tests ?? this.tests, message);
    if (refused === undefined) return;
    this.log(refused);
    channel.send({ msg: 'Error', code: 'BATON_PROTOCOL_BAD_MESSAGE', message: refused, nonce: message.nonce }).catch(() => undefined);
  }

  /** Queues a Run on its slot (the one named, or the least loaded); says why not if it cannot. */
  private enqueue(nonce: string, tests: readonly string[], { slot, timeout, fresh }: RunOptions): string | undefined {
    if (slot !== undefined && slot >= this.slots.length) {
      return `Run ${nonce} asks for slot ${slot}, but worker ${this.hello.name} has slots 0..${this.slots.length - 1}`;
    }
    (slot === undefined ? this.leastLoaded() : this.slots[slot]!).enqueue(nonce, tests, timeout, fresh === true);
    return undefined;
  }

  private async cancel(channel: Channel, message: CancelMessage): Promise<void> {
    const taken = await this.takeBack(message.tests, message.groups);
    channel.send({ msg: 'Cancelled', tests: taken, nonce: message.nonce }).catch(() => undefined);
  }

  /**
   * Takes back the slices of `tests` that `groups` gives (each test its own without it),
   * each whole or not at all. A slot decides for the slices it holds whole; a slice held
   * by no slot, or only in part (a test finished, or two slots hold it), stays.
   */
  private async takeBack(tests: readonly string[], groups: readonly number[] | undefined): Promise<string[]> {
    const slices: string[][] = [];
    let at = 0;
    for (const size of groups ?? tests.map(() => 1)) slices.push(tests.slice(at, (at += size)));
    return (await Promise.all(this.slots.map((slot) => slot.cancel(slices)))).flat();
  }

  private leastLoaded(): Slot {
    let best = this.slots[0]!;
    for (const slot of this.slots) if (slot.load < best.load) best = slot;
    return best;
  }
}

/** A coordinator at the other end of a channel: everything goes out as packets and messages. */
function channelUpstream(channel: Channel): Upstream {
  const send = (packets: readonly Packet[]) => {
    for (const packet of packets) channel.sendPacket(packet).catch(() => undefined);
  };
  // Version 2 fields: a version 1 peer gets the Done of the draft spec. Starts are told
  // with the next Done: a process is counted as it takes its first tests, so the Done of
  // that Run comes after it.
  const v2 = () => channel.supports('Cancel');
  let starts: ProcessStart[] = [];
  return {
    started: (slot, id, timestamp) => send([startPacket(id, slot, timestamp)]),
    finished: (slot, result) => send(resultPackets(routedResult(result, slot))),
    output: (slot, attachment, timestamp) => send(outputPackets(attachment, slot, timestamp)),
    processStarted: (start) => {
      if (v2()) starts.push(start);
    },
    done: (nonce, processes) => {
      const told = starts.length > 0 ? { starts } : {};
      starts = [];
      void channel.send({ msg: 'Done', nonce, ...(v2() ? { processes } : {}), ...told }).catch(() => undefined);
    },
    notice: (code, message) => void channel.send({ msg: 'Error', code, message }).catch(() => undefined),
    close: () => channel.close(),
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** What an adapter lists: with what it knows of shared fixtures, where it can tell. */
export async function listingOf(adapter: TestAdapter): Promise<Listing> {
  return (await adapter.listing?.()) ?? { tests: await adapter.list(), classFixtureTests: [], moduleFixtureTests: [] };
}
