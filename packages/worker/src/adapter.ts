import type { Listing } from '@baton/protocol';
import type { Attachment, TestResult, Timestamp } from '@baton/subunit';

/** What an adapter reports while it runs tests: a test started, or one finished. */
export type AdapterEvent =
  | { readonly type: 'start'; readonly id: string; readonly timestamp: Timestamp | undefined }
  | { readonly type: 'result'; readonly result: TestResult };

export interface AdapterRunOptions {
  /** Seconds per test; informative: the slot enforces it by killing the adapter. */
  readonly timeout?: number;
}

/**
 * One slot's way of running tests: a long-lived test server, or a testr-style command
 * started per batch. The slot owns ordering, timeouts and restarts; an adapter only does
 * the I/O.
 */
export interface TestAdapter {
  /**
   * `run` may be called again before the batches already handed are over: the adapter
   * queues them and runs them one after another in the order handed (a test server that
   * queues Runs), so that it never waits for the slot between two batches. Each batch's
   * iterable carries that batch's events; an event of no batch's test (a class fixture's
   * error holder) goes to the oldest batch not over. A death ends every batch not over with
   * an error. Without it, the slot hands one batch at a time.
   */
  readonly pipelined?: boolean;
  /**
   * Every batch runs in a process of its own (a testr command): nothing carries over from
   * one batch to the next, so the slot needs no fresh adapter to go back in discovery
   * order.
   */
  readonly processPerBatch?: boolean;
  /** Every test id the adapter can run, in discovery order. */
  list(): Promise<string[]>;
  /**
   * `list`, and which of the tests share class or module fixtures, for adapters that can
   * tell (baton's Python test server): a process sets such a fixture up once for all the
   * tests of its class or module that it runs, so they are best scheduled together.
   */
  listing?(): Promise<Listing>;
  /**
   * Runs `tests` in the given order (the slot's: discovery order). The iterable ends once
   * the batch is over, and throws when the adapter died: the tests it had started without
   * a result are the casualties. One batch at a time, unless `pipelined`.
   */
  run(tests: readonly string[], options: AdapterRunOptions): AsyncIterable<AdapterEvent>;
  /**
   * Takes back tests of the batches handed and not over that have not started; resolves
   * with those that never will. `groups` (sizes of consecutive slices of `tests`) makes
   * each slice come back whole or not at all.
   */
  cancel(tests: readonly string[], groups?: readonly number[]): Promise<string[]>;
  /** Stops at once (a stuck test): every batch not over ends with an error. */
  kill(): void;
  /**
   * Stops cleanly, killing after a grace period. A test server tears down the class and
   * module fixtures it holds open first: the results that brings (a failed
   * `tearDownClass`) go to `late`, and it resolves once the process is gone and every one
   * was handed over.
   */
  close(late?: (result: TestResult) => void): Promise<void>;
}

/** What a slot gives the adapter it creates. */
export interface AdapterContext {
  /** 0-based slot number. */
  readonly slot: number;
  /** Output that belongs to no test (fd-level stdout/stderr, bytes that are not subunit). */
  output(attachment: Attachment): void;
  /** Lines for the operator (protocol refusals, odd input). */
  log(line: string): void;
}

/** Starts an adapter for a slot; rejects with `BATON_WORKER_ADAPTER_FAILED` when it cannot. */
export interface AdapterFactory {
  (context: AdapterContext): Promise<TestAdapter>;
  /**
   * Stops what the factory shares between its adapters (`pythonAdapter`'s fork server).
   * `WorkerServer.close` calls it once every slot's adapter closed; a later call of the
   * factory starts afresh.
   */
  dispose?(): Promise<void>;
  /**
   * The slots are closing their adapters (`WorkerServer.close`): what the factory shares
   * may end as soon as they have (a fork server exits after its last child) instead of
   * waiting for `dispose`, which still follows.
   */
  finish?(): void;
}
