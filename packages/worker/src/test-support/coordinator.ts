// The coordinator's end of a worker channel for tests: a raw client Channel that keeps
// every packet and result, and waits for the one a test needs instead of sleeping.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Channel, memoryPair, type CloseInfo, type DoneMessage, type RunMessage } from '@baton/protocol';
import { ResultAggregator, type Packet, type TestResult } from '@baton/subunit';
import { WorkerServer, type WorkerServerOptions } from '../server.js';
import { Waiters } from './waiters.js';

/** The suite under test/fixtures/python-worker. */
export const SUITE_DIR: string = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/fixtures/python-worker');

export const T = {
  a: 'tests.test_quick.Quick.test_a',
  b: 'tests.test_quick.Quick.test_b',
  c: 'tests.test_quick.Quick.test_c',
  d: 'tests.test_quick.Quick.test_d',
  waits: 'tests.test_hostile.Hostile.test_waits_for_signal_file',
  sleeps: 'tests.test_hostile.Hostile.test_sleeps_forever',
  exit: 'tests.test_hostile.Hostile.test_exit',
  fdOutput: 'tests.test_hostile.Hostile.test_fd_output',
  /** After every test of Hostile in discovery order, before Quick's. */
  laterExit: 'tests.test_hostile.Later.test_exit',
  laterSleeps: 'tests.test_hostile.Later.test_sleeps_forever',
};

let scratch: string | undefined;
let lastPath = 0;

/** A file path no one uses yet, in one directory removed at exit. */
export function freshPath(prefix: string): string {
  if (scratch === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'baton-worker-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    scratch = dir;
  }
  return join(scratch, `${prefix}-${++lastPath}`);
}

/** A signal file path for `test_waits_for_signal_file`, fresh per call. */
export function signalPath(): string {
  return freshPath('go');
}

export class FakeCoordinator {
  readonly channel: Channel;
  readonly packets: Packet[] = [];
  readonly results: TestResult[] = [];
  private readonly waiters = new Waiters();
  private readonly aggregator = new ResultAggregator({ result: (r) => this.results.push(r) });

  constructor(transport: ConstructorParameters<typeof Channel>[0]) {
    this.channel = new Channel(transport, {
      role: 'client',
      heartbeat: false,
      log: () => undefined,
      handlers: {
        packet: (packet) => {
          this.packets.push(packet);
          this.aggregator.packet(packet);
          this.waiters.changed();
        },
      },
    });
  }

  run(tests: readonly string[], extra: Partial<Pick<RunMessage, 'slot' | 'timeout' | 'fresh'>> = {}): Promise<DoneMessage> {
    return this.channel.request({ msg: 'Run', tests, ...extra });
  }

  result(id: string): TestResult | undefined {
    return this.results.find((r) => r.id === id);
  }

  /** Resolves once `check` holds, looking at what arrived so far and at every later packet. */
  until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    return this.waiters.until(check, what, timeoutMs);
  }

  started(id: string): Promise<void> {
    return this.until(() => this.packets.some((p) => p.testId === id && p.status === 'inprogress'), `${id} to start`);
  }
}

export interface Harness {
  readonly worker: WorkerServer;
  readonly coordinator: FakeCoordinator;
  readonly served: Promise<CloseInfo>;
  /** Goodbye, then the worker's adapters stop. */
  stop(): Promise<void>;
}

/** A worker over `adapter`, served to a FakeCoordinator through memoryPair(). */
export async function harness(options: WorkerServerOptions): Promise<Harness> {
  const worker = await WorkerServer.start({ log: () => undefined, ...options });
  const [ours, theirs] = memoryPair();
  const served = worker.serve(theirs);
  const coordinator = new FakeCoordinator(ours);
  await coordinator.channel.ready;
  return {
    worker,
    coordinator,
    served,
    async stop() {
      await coordinator.channel.goodbye();
      await served;
      await worker.close();
    },
  };
}

export function text(result: TestResult | undefined, name: string): string | undefined {
  const attachment = result?.attachments.find((a) => a.name === name);
  return attachment && Buffer.from(attachment.content).toString('utf8');
}
