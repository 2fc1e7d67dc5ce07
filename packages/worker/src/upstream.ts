import type { ProcessCounts, ProcessStart } from '@baton/protocol';
import type { Attachment, TestResult, Timestamp } from '@baton/subunit';

/**
 * Where a worker reports to: a coordinator over a channel (packets and messages), or one
 * in the same process (`InProcessLink`, objects). Reports name the slot they come from.
 */
export interface Upstream {
  started(slot: number, id: string, timestamp: Timestamp): void;
  finished(slot: number, result: TestResult): void;
  /** Output on a slot that belongs to no test. */
  output(slot: number, attachment: Attachment, timestamp: Timestamp): void;
  /** A slot continues on a test server process beyond its first (see ProcessStart). */
  processStarted(start: ProcessStart): void;
  /** Every test of the Run with this nonce has a result or was cancelled; `processes` so far. */
  done(nonce: string, processes: ProcessCounts): void;
  /** News about the worker itself (an Error tied to no request: `BATON_WORKER_LEAVING`). */
  notice(code: string, message: string): void;
  /** Ends the connection from the worker's side. */
  close(): void;
}
