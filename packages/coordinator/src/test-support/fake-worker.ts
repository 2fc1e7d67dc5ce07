// A worker host for coordinator tests: speaks the real protocol (server role) over a real
// in-memory transport, and runs tests only when the test says so (`step`), so that every
// interleaving a test needs — start, finish, cancel, death — is explicit and no test sleeps.
import { Channel, memoryPair, type Message, type ProcessStart, type Transport } from '@baton/protocol';
import { TEXT_MIME_TYPE, type Packet, type TestStatus } from '@baton/subunit';

export interface FakeWorkerOptions {
  readonly name: string;
  readonly slots?: number;
  readonly digest?: string;
  /** Outcome per test id, or a function asked at each of its results (a flaky test). @default success */
  readonly outcomes?: ReadonlyMap<string, TestStatus | (() => TestStatus)>;
  /** Seconds each test takes (stamped into its timestamps). @default 0.01 */
  readonly duration?: (id: string) => number;
  /** A broken worker: it answers every Run with Done at once and runs nothing. @default false */
  readonly dropsRuns?: boolean;
}

interface Queued {
  readonly id: string;
  readonly nonce: string;
}

export class FakeWorker {
  /** The coordinator's end of the channel. */
  readonly transport: Transport;
  /** Tests per slot, in the order received. */
  readonly queues: Queued[][];
  /** Every test this worker ran (reported a result for), in order. */
  readonly ran: string[] = [];
  /** Every Run received, in order: its tests, its slot and whether it asked for a fresh process. */
  readonly runs: { readonly tests: readonly string[]; readonly slot: number; readonly fresh: boolean }[] = [];
  private readonly channel: Channel;
  private readonly options: FakeWorkerOptions;
  private readonly running: (Queued | undefined)[];
  private readonly runsLeft = new Map<string, number>();
  private clockMs = Date.UTC(2026, 0, 1);
  private readonly ourEnd: Transport;
  /** Processes started since the last Done, which the next one tells. */
  private starts: ProcessStart[] = [];

  constructor(options: FakeWorkerOptions) {
    this.options = options;
    const [coordinatorEnd, workerEnd] = memoryPair();
    this.transport = coordinatorEnd;
    this.ourEnd = workerEnd;
    const slots = options.slots ?? 1;
    this.queues = Array.from({ length: slots }, () => []);
    this.running = Array.from({ length: slots }, () => undefined);
    this.channel = new Channel(workerEnd, {
      role: 'server',
      hello: { slots, name: options.name, ...(options.digest ? { digest: options.digest } : {}) },
      heartbeat: false,
      log: () => {},
      handlers: { message: (m) => this.onMessage(m) },
    });
  }

  /** Tests waiting (not started) on every slot. */
  get queued(): number {
    return this.queues.reduce((n, q) => n + q.length, 0);
  }

  /** Starts the next test of a slot (inprogress), or finishes the running one. Returns false if idle. */
  async step(slot = 0): Promise<boolean> {
    const running = this.running[slot];
    if (running !== undefined) {
      await this.finish(slot, running);
      return true;
    }
    const next = this.queues[slot]!.shift();
    if (next === undefined) return false;
    this.running[slot] = next;
    await this.send({ testId: next.id, status: 'inprogress', timestamp: this.stamp(0), routeCode: String(slot) });
    return true;
  }

  /** Steps every slot until this worker holds nothing. */
  async drain(): Promise<void> {
    let busy = true;
    while (busy) {
      busy = false;
      for (let slot = 0; slot < this.queues.length; slot++) busy = (await this.step(slot)) || busy;
    }
  }

  /**
   * Reports a failed result for an id nobody sent (a class fixture's error holder, as
   * the Python server reports a failing setUpClass), with a traceback.
   */
  async fixtureFailed(id: string, traceback: string, slot = 0): Promise<void> {
    const timestamp = this.stamp(0);
    const routeCode = String(slot);
    await this.send({ testId: id, timestamp, routeCode, mimeType: TEXT_MIME_TYPE, file: { name: 'traceback', content: new TextEncoder().encode(traceback) }, eof: true });
    await this.send({ testId: id, status: 'fail', timestamp, routeCode });
  }

  /**
   * A slot continues on a fresh test server process from now on (it took 6 ms to start),
   * as a real worker's does when its next tests lie behind its process: the next Done
   * tells it. Returns what it tells.
   */
  startedProcess(slot: number, cause: ProcessStart['cause'] = 'fresh'): ProcessStart {
    const start: ProcessStart = { slot, cause, askedMs: this.clockMs, readyMs: this.clockMs + 6, fromMs: this.clockMs + 6 };
    this.stamp(0.006);
    this.starts.push(start);
    return start;
  }

  /** The worker vanishes: its end of the transport closes without Goodbye. */
  die(): void {
    this.ourEnd.close();
  }

  private async finish(slot: number, test: Queued): Promise<void> {
    this.running[slot] = undefined;
    const outcome = this.options.outcomes?.get(test.id) ?? 'success';
    const status = typeof outcome === 'function' ? outcome() : outcome;
    const seconds = this.options.duration?.(test.id) ?? 0.01;
    this.ran.push(test.id);
    await this.send({ testId: test.id, status, timestamp: this.stamp(seconds), tags: [`worker-${slot}`], routeCode: String(slot) });
    await this.settle(test.nonce);
  }

  private stamp(advanceSeconds: number) {
    this.clockMs += advanceSeconds * 1000;
    return { seconds: Math.floor(this.clockMs / 1000), nanos: (this.clockMs % 1000) * 1e6 };
  }

  private async send(packet: Packet): Promise<void> {
    if (this.channel.state === 'ready') await this.channel.sendPacket(packet);
  }

  /** One test of a Run is over (or cancelled): Done when none is left. */
  private async settle(nonce: string): Promise<void> {
    const left = (this.runsLeft.get(nonce) ?? 1) - 1;
    this.runsLeft.set(nonce, left);
    if (left === 0) {
      this.runsLeft.delete(nonce);
      // The coordinator may have said Goodbye on the last result, before this Done.
      const starts = this.starts.length > 0 ? { starts: this.starts } : {};
      this.starts = [];
      if (this.channel.state === 'ready') await this.channel.send({ msg: 'Done', nonce, ...starts });
    }
  }

  private onMessage(message: Message): void {
    switch (message.msg) {
      case 'List':
        void this.channel.send({ msg: 'Done', nonce: message.nonce });
        return;
      case 'Run': {
        const tests = this.options.dropsRuns ? [] : message.tests ?? [];
        const slot = message.slot ?? 0;
        this.runs.push({ tests, slot, fresh: message.fresh === true });
        if (tests.length === 0) {
          void this.channel.send({ msg: 'Done', nonce: message.nonce });
          return;
        }
        this.runsLeft.set(message.nonce, tests.length);
        for (const id of tests) this.queues[slot]!.push({ id, nonce: message.nonce });
        return;
      }
      case 'Cancel': {
        const wanted = new Set(message.tests);
        const taken: Queued[] = [];
        for (const queue of this.queues) {
          for (let i = queue.length - 1; i >= 0; i--) {
            if (wanted.has(queue[i]!.id)) taken.push(...queue.splice(i, 1));
          }
        }
        void this.channel.send({ msg: 'Cancelled', nonce: message.nonce, tests: taken.map((t) => t.id) }).then(async () => {
          for (const t of taken) await this.settle(t.nonce);
        });
        return;
      }
      case 'Goodbye':
        this.channel.close();
        return;
      default:
        return;
    }
  }
}
