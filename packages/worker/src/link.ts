import {
  ProtocolError,
  SUPPORTED_VERSIONS,
  groupsProblem,
  type CancelOptions,
  type ClientHooks,
  type HelloFields,
  type ProcessCounts,
  type ProcessStart,
  type RunOptions,
  type WorkerLink,
} from '@baton/protocol';
import type { Attachment, TestResult, Timestamp } from '@baton/subunit';
import { routedResult } from './packets.js';
import type { Upstream } from './upstream.js';

/** What the link asks of its worker. */
export interface LinkedWorker {
  /** Queues a Run; says why not if it cannot. */
  run(nonce: string, tests: readonly string[], options: RunOptions): string | undefined;
  /** Takes back the slices `groups` gives (each test its own without it), each whole or not at all. */
  cancel(tests: readonly string[], groups: readonly number[] | undefined): Promise<string[]>;
  /** Test server processes started beyond each slot's first while linked. */
  processes(): ProcessCounts;
  log(line: string): void;
  /**
   * The coordinator said goodbye: resolves once the test servers closed and every result
   * their teardown brought was handed over. The link closes after it.
   */
  goodbye(): Promise<void>;
}

/**
 * A worker and a coordinator in one process, linked without a channel: what a channel
 * would carry as packets and messages is handed over as objects, with the same meaning
 * (results routed by slot and tagged `worker-N` as the worker's server sends them). Calls
 * into the worker are deferred to a microtask, as a message would be, so that the
 * coordinator's reaction to a result never re-enters the slot reporting it.
 */
export class InProcessLink implements WorkerLink, Upstream {
  readonly peer: HelloFields;
  readonly slots: number;
  readonly version: number = SUPPORTED_VERSIONS.max;
  readonly ended: Promise<string | undefined>;
  private end!: (lost: string | undefined) => void;
  private over = false;
  private hooks: ClientHooks = {};
  private readonly worker: LinkedWorker;
  private readonly runs = new Map<string, { resolve(): void; reject(error: Error): void }>();
  private nextNonce = 1;

  constructor(hello: Required<Pick<HelloFields, 'slots'>> & HelloFields, worker: LinkedWorker) {
    this.peer = hello;
    this.slots = hello.slots;
    this.worker = worker;
    this.ended = new Promise((resolve) => {
      this.end = resolve;
    });
  }

  setHooks(hooks: ClientHooks): void {
    this.hooks = hooks;
  }

  submit(tests: readonly string[], options: RunOptions): Promise<void> {
    if (this.over) return Promise.reject(this.gone());
    const nonce = `local-${this.nextNonce++}`;
    return new Promise((resolve, reject) => {
      this.runs.set(nonce, { resolve, reject });
      queueMicrotask(() => {
        if (this.over) return;
        const refused = this.worker.run(nonce, tests, options);
        if (refused === undefined) return;
        this.worker.log(refused);
        this.runs.delete(nonce);
        reject(new ProtocolError('BATON_PROTOCOL_BAD_MESSAGE', refused));
      });
    });
  }

  get processes(): ProcessCounts {
    return this.worker.processes();
  }

  async cancel(tests: readonly string[], options: CancelOptions = {}): Promise<string[]> {
    const problem = groupsProblem(tests, options.groups);
    if (problem !== undefined) throw new ProtocolError('BATON_PROTOCOL_BAD_MESSAGE', problem);
    await Promise.resolve();
    if (this.over) throw this.gone();
    return this.worker.cancel(tests, options.groups);
  }

  refuse(code: string, message: string): void {
    this.worker.log(`the coordinator refused this worker (${code}): ${message}`);
    this.close();
  }

  async goodbye(): Promise<void> {
    if (!this.over) await this.worker.goodbye();
    this.close();
  }

  close(): void {
    if (this.over) return;
    this.over = true;
    for (const run of this.runs.values()) run.reject(this.gone());
    this.runs.clear();
    this.end(undefined);
  }

  /** @internal */
  started(_slot: number, id: string, timestamp: Timestamp): void {
    if (!this.over) this.hooks.onTestStart?.(id, timestamp);
  }

  /** @internal */
  finished(slot: number, result: TestResult): void {
    if (!this.over) this.hooks.onResult?.(routedResult(result, slot));
  }

  /** @internal */
  output(slot: number, attachment: Attachment, timestamp: Timestamp): void {
    if (!this.over) this.hooks.onOutput?.({ attachment, routeCode: String(slot), timestamp });
  }

  /** @internal */
  processStarted(start: ProcessStart): void {
    if (!this.over) this.hooks.onProcessStart?.(start);
  }

  /** @internal */
  done(nonce: string): void {
    this.runs.get(nonce)?.resolve();
    this.runs.delete(nonce);
  }

  /** @internal */
  notice(code: string, message: string): void {
    if (!this.over) this.hooks.onNotice?.(code, message);
  }

  /** What a closed channel would reject with. */
  private gone(): ProtocolError {
    return new ProtocolError('BATON_PROTOCOL_NOT_READY', 'the link to the in-process worker is closed');
  }
}
