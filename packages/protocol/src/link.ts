import type { HelloFields } from './channel.js';
import type { CancelOptions, ClientHooks, RunOptions } from './client.js';
import type { ProcessCounts } from './messages.js';

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
  /**
   * Takes back tests that have not started; resolves with those that never will. With
   * `groups` (sizes of consecutive slices of `tests`, one per scheduling unit), each slice
   * comes back whole or not at all: nothing of a unit any of whose tests started.
   */
  cancel(tests: readonly string[], options?: CancelOptions): Promise<string[]>;
  /**
   * Test server processes the worker started beyond each slot's first while serving this
   * coordinator (`fresh`: for discovery order; `restarts`: after a crash or a timeout), as
   * of the latest Done; undefined when the worker does not say (a bare test server).
   */
  readonly processes?: ProcessCounts | undefined;
  /** Tells the worker why it is not wanted (an Error with `code`), then lets it go. */
  refuse(code: string, message: string): void;
  /**
   * Lets the worker go in good order, once the run is over. The worker's test servers
   * then tear down the class and module fixtures they still hold, and a teardown that
   * fails is a result like any other (`tearDownClass (pkg.mod.Class)`, an id outside the
   * run's tests), delivered through `onResult` before this resolves: it resolves once the
   * worker's test servers exited and every result they sent was handed over, and `ended`
   * settles no earlier.
   */
  goodbye(): Promise<unknown>;
}
