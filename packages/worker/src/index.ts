export { WorkerServer, listingOf, MAX_SLOTS, type WorkerServerOptions, type ServeOptions, type LinkOptions } from './server.js';
export { WorkerError, type WorkerErrorCode } from './errors.js';
export type { TestAdapter, AdapterFactory, AdapterContext, AdapterEvent, AdapterRunOptions } from './adapter.js';
export {
  testServerAdapter,
  pythonTestServer,
  PYTHON_ADAPTER_DIR,
  CLOSE_GRACE_MS,
  type TestServerCommand,
  type PythonSuite,
} from './testserver-adapter.js';
export { pythonAdapter } from './python-adapter.js';
export { isolatedAdapter } from './isolated.js';
export { MAX_FAILED_STARTS } from './slot.js';
export { slotRoute, workerTag } from './packets.js';
export { testrCommandAdapter, COMMAND_STDERR_TAIL_BYTES, type TestrCommand } from './command-adapter.js';
export { listShellCommand, runShellCommand } from './substitute.js';
export {
  runWorker,
  dialCoordinator,
  CONNECT_WAIT_MS,
  CONNECT_BACKOFF_MS,
  CONNECT_BACKOFF_MAX_MS,
  type DialOptions,
  type WorkerConnection,
  type RunWorkerOptions,
} from './connect.js';
export { listenWorker, type ListenOptions, type WorkerListener } from './listen.js';
export { inheritedTransport } from './inherited.js';
