export { Coordinator, TICK_MS, type CoordinatorOptions } from './coordinator.js';
export { CoordinatorError, type CoordinatorErrorCode } from './errors.js';
export { deliver } from './events.js';
export type {
  Reporter,
  RunEvent,
  RunFinished,
  RunResult,
  RunStarted,
  RunStats,
  RunSummary,
  WorkerOutput,
  TestFinished,
  ProcessStarted,
  TestRetried,
  TestStarted,
  TestsDispatched,
  TestsReclaimed,
  TimedTest,
  WorkerGone,
  WorkerJoined,
  WorkerRefused,
} from './events.js';
export { SLOWEST_SHOWN } from './ledger.js';
export { infrastructureOf, toResultInput } from './results.js';
export { batchTimeout, HISTORY_TIMEOUT_FLOOR_SECONDS, type TimeoutPolicy } from './timeouts.js';
export { REPORTERS_CLOSE_WAIT_MS } from './reporting.js';
export { WRITE_BATCH, WRITE_INTERVAL_MS } from './writer.js';
