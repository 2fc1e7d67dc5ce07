import type { Listing } from '@baton/protocol';
import type { TestResult } from '@baton/subunit';
import type { AdapterContext, AdapterEvent, AdapterFactory, AdapterRunOptions, TestAdapter } from './adapter.js';
import { WorkerError } from './errors.js';
import { listingOf } from './server.js';

/**
 * Adapters that run every test in a process of its own (`baton run --isolated`): each test
 * of a batch goes to a fresh adapter of `factory` (a fork of the fork server, for Python),
 * which runs it alone, tears its class and module fixtures down and exits before the next
 * test starts. To the slot such an adapter is one that starts a process per batch, so it
 * never needs a fresh one to go back in discovery order; its deaths and timeouts are the
 * inner adapter's, met as any adapter's are.
 */
export function isolatedAdapter(factory: AdapterFactory): AdapterFactory {
  const isolated: AdapterFactory = async (context) => new IsolatingAdapter(factory, context);
  if (factory.dispose !== undefined) isolated.dispose = () => factory.dispose!();
  if (factory.finish !== undefined) isolated.finish = () => factory.finish!();
  return isolated;
}

class IsolatingAdapter implements TestAdapter {
  readonly processPerBatch = true;
  private readonly factory: AdapterFactory;
  private readonly context: AdapterContext;
  /** Tests handed and not started: what Cancel may take back. */
  private readonly waiting = new Set<string>();
  /** The adapter of the test running now. */
  private current: TestAdapter | undefined;
  private stopped: string | undefined;

  constructor(factory: AdapterFactory, context: AdapterContext) {
    this.factory = factory;
    this.context = context;
  }

  async list(): Promise<string[]> {
    return (await this.listing()).tests;
  }

  /** From an adapter started for it alone: the suite as any process of it lists it. */
  async listing(): Promise<Listing> {
    const adapter = await this.factory(this.context);
    try {
      return await listingOf(adapter);
    } finally {
      await adapter.close();
    }
  }

  async *run(tests: readonly string[], options: AdapterRunOptions): AsyncIterable<AdapterEvent> {
    for (const id of tests) this.waiting.add(id);
    try {
      for (const id of tests) {
        if (!this.waiting.delete(id)) continue;
        const adapter = await this.factory(this.context);
        if (this.stopped !== undefined) {
          adapter.kill();
          await adapter.close();
          throw new WorkerError('BATON_WORKER_ADAPTER_DIED', `the isolated test servers were ${this.stopped} before ${id} started`);
        }
        this.current = adapter;
        // A class fixture's teardown failure, reported as the process closes.
        const late: TestResult[] = [];
        try {
          yield* adapter.run([id], options);
        } finally {
          this.current = undefined;
          await adapter.close((result) => late.push(result));
        }
        for (const result of late) yield { type: 'result', result };
      }
    } finally {
      for (const id of tests) this.waiting.delete(id);
    }
  }

  async cancel(tests: readonly string[], groups: readonly number[] = tests.map(() => 1)): Promise<string[]> {
    const taken: string[] = [];
    let at = 0;
    for (const size of groups) {
      const slice = tests.slice(at, (at += size));
      if (!slice.every((id) => this.waiting.has(id))) continue;
      for (const id of slice) this.waiting.delete(id);
      taken.push(...slice);
    }
    return taken;
  }

  kill(): void {
    this.stopped = 'killed';
    this.current?.kill();
  }

  async close(late?: (result: TestResult) => void): Promise<void> {
    this.stopped ??= 'closed';
    await this.current?.close(late);
  }
}
