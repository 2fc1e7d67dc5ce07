import type { HelloFields } from './channel.js';
import type { ClientHooks, RunOptions } from './client.js';

/**
 * A worker as a coordinator drives it. Over a connection it is a `TestServerClient`; the
 * worker in the coordinator's own process (`baton run -j N`) is linked directly
 * (`WorkerServer.link()`), handing results over as objects rather than encoding every
 * packet only to decode it again. Either way starts and results arrive through the hooks,
 * in the order the worker saw them.
 */
export interface WorkerLink {
  /** What the worker said of itself: name, slots, test-list digest. */
  readonly peer: HelloFields;
  /** How many Runs it executes at once. */
  readonly slots: number;
  /** The protocol version spoken. */
  readonly version: number;
  /**
   * Settles once the worker is gone: with why, when it was lost (a dropped connection,
   * a dead process); with undefined when it left in good order.
   */
  readonly ended: Promise<string | undefined>;
  setHooks(hooks: ClientHooks): void;
  /**
   * Queues tests on a slot; their starts and results come through the hooks. Resolves once
   * each has a result or was cancelled; rejects when the worker is lost or refuses the Run.
   */
  submit(tests: readonly string[], options: RunOptions): Promise<void>;
  /** Takes back tests that have not started; resolves with those that never will. */
  cancel(tests: readonly string[]): Promise<string[]>;
  /** Tells the worker why it is not wanted (an Error with `code`), then lets it go. */
  refuse(code: string, message: string): void;
  /** Lets the worker go in good order, once the run is over. */
  goodbye(): Promise<unknown>;
}
