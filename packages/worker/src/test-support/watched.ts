// A real adapter seen from the slot's side: which batches the slot handed it and when,
// what the adapter produced for each, and a gate that keeps a batch's events from the
// slot until the test releases them, so that a test can tell what happened before the
// slot read a result.
import { EventQueue } from '@baton/protocol';
import type { TestResult } from '@baton/subunit';
import type { AdapterEvent, AdapterFactory, AdapterRunOptions, TestAdapter } from '../adapter.js';
import { Waiters } from './waiters.js';

export interface WatchedBatch {
  readonly tests: readonly string[];
  /** What the adapter produced for the batch so far, as `start ID` and `result ID`, whether the slot got it or not. */
  readonly seen: string[];
}

export class Watcher {
  /** Every batch handed to an adapter of the factory, in hand-out order, across restarts. */
  readonly batches: WatchedBatch[] = [];
  /** Every `cancel` asked of an adapter. */
  readonly cancels: string[][] = [];
  /** In order: `run N` when batch N was handed, `end N` when the slot got the end of its events. */
  readonly log: string[] = [];
  /** Adapters the factory started. */
  adapters = 0;
  /** Adapters closed cleanly (not killed). */
  closes = 0;
  private readonly held = new Map<number, (() => void)[]>();
  private readonly waiters = new Waiters();

  /** `inner`, watched. */
  wrap(inner: AdapterFactory): AdapterFactory {
    const factory: AdapterFactory = async (context) => {
      const adapter = await inner(context);
      this.adapters++;
      this.changed();
      return new WatchedAdapter(adapter, this);
    };
    if (inner.dispose) factory.dispose = () => inner.dispose!();
    return factory;
  }

  /** Keeps the events of batch `index` (in hand-out order, counted from 0) from the slot until `release(index)`. */
  hold(index: number): void {
    if (!this.held.has(index)) this.held.set(index, []);
  }

  release(index: number): void {
    const queued = this.held.get(index) ?? [];
    this.held.delete(index);
    for (const forward of queued) forward();
  }

  /** Resolves once `check` holds, looking now and after everything the watcher records. */
  until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return this.waiters.until(check, what, timeoutMs);
  }

  /** @internal */
  handed(tests: readonly string[]): { readonly index: number; readonly batch: WatchedBatch } {
    const batch: WatchedBatch = { tests: [...tests], seen: [] };
    const index = this.batches.push(batch) - 1;
    this.log.push(`run ${index}`);
    this.changed();
    return { index, batch };
  }

  /** @internal Runs `forward` now, or on release when batch `index` is held. */
  forward(index: number, forward: () => void): void {
    const queued = this.held.get(index);
    if (queued) queued.push(forward);
    else forward();
  }

  /** @internal */
  changed(): void {
    this.waiters.changed();
  }
}

class WatchedAdapter implements TestAdapter {
  constructor(
    private readonly inner: TestAdapter,
    private readonly watcher: Watcher,
  ) {}

  get pipelined(): boolean | undefined {
    return this.inner.pipelined;
  }

  list(): Promise<string[]> {
    return this.inner.list();
  }

  run(tests: readonly string[], options: AdapterRunOptions): AsyncIterable<AdapterEvent> {
    const { index, batch } = this.watcher.handed(tests);
    const out = new EventQueue<AdapterEvent>();
    const end = (error?: unknown): void => {
      this.watcher.log.push(`end ${index}`);
      if (error === undefined) out.end();
      else out.fail(error);
      this.watcher.changed();
    };
    // Read at once, whatever the gate, so that `seen` tells what the adapter did.
    void (async () => {
      try {
        for await (const event of this.inner.run(tests, options)) {
          batch.seen.push(event.type === 'start' ? `start ${event.id}` : `result ${event.result.id}`);
          this.watcher.changed();
          this.watcher.forward(index, () => out.push(event));
        }
        this.watcher.forward(index, () => end());
      } catch (error) {
        this.watcher.forward(index, () => end(error));
      }
    })();
    return out;
  }

  get processPerBatch(): boolean | undefined {
    return this.inner.processPerBatch;
  }

  cancel(tests: readonly string[], groups?: readonly number[]): Promise<string[]> {
    this.watcher.cancels.push([...tests]);
    return this.inner.cancel(tests, groups);
  }

  kill(): void {
    this.inner.kill();
  }

  close(late?: (result: TestResult) => void): Promise<void> {
    this.watcher.closes++;
    this.watcher.changed();
    return this.inner.close(late);
  }
}
