export {
  RPC_TEST_ID,
  RPC_MIME_TYPE,
  RPC_FILE_NAME,
  MAX_MESSAGE_BYTES,
  SUPPORTED_VERSIONS,
  WORKER_LEAVING,
  CLASS_FIXTURES_TAG,
  MODULE_FIXTURES_TAG,
  TIMEOUT_ATTACHMENT,
  ERROR_ATTACHMENT,
  MESSAGE_SPECS,
  supports,
  type VersionRange,
  type Message,
  type MessageName,
  type Sender,
  type HelloMessage,
  type GoodbyeMessage,
  type ListMessage,
  type RunMessage,
  type DoneMessage,
  type CancelMessage,
  type CancelledMessage,
  type ProcessCounts,
  type ProcessStart,
  type ProcessStartCause,
  type PingMessage,
  type PongMessage,
  type ErrorMessage,
} from './messages.js';
export { negotiate } from './negotiate.js';
export { ExitCode, type ExitStatus, type RunExitStatus } from './exit-codes.js';
export { encodeMessage, decodeMessage, messagePacket, isRpcPacket, groupsProblem, type Decoded } from './codec.js';
export {
  ProtocolError,
  NoCommonVersionError,
  PeerDiedError,
  formatRange,
  type ProtocolErrorCode,
  type ExitInfo,
} from './errors.js';
export { systemClock, sleep, type Clock, type ClockTimer } from './clock.js';
export type { Transport } from './transport.js';
export { EventQueue } from './event-queue.js';
export { memoryPair } from './transports/memory.js';
export {
  Channel,
  HELLO_TIMEOUT_MS,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  GOODBYE_TIMEOUT_MS,
  SEND_WINDOW,
  HELLO_MAX_BYTES,
  type ChannelRole,
  type ChannelState,
  type ChannelOptions,
  type ChannelHandlers,
  type HelloFields,
  type Handshake,
  type CloseInfo,
  type HeartbeatOptions,
} from './channel.js';
export { streamTransport, RPC_FDS_ENV, CHILD_RPC_FDS } from './transports/fd.js';
export { testListDigest } from './digest.js';
export {
  TestServerClient,
  TestRun,
  KILL_GRACE_MS,
  EXIT_WAIT_MS,
  type TestServerClientOptions,
  type TestServerProcess,
  type RunOptions,
  type CancelOptions,
  type ClientHooks,
  type Listing,
} from './client.js';
export type { WorkerLink } from './link.js';
export {
  spawnTestServer,
  spawnLocalProcess,
  connectLocalTestServer,
  afterDrain,
  OutputTail,
  STDERR_TAIL_BYTES,
  STDERR_TAIL_LINES,
  type SpawnTestServerOptions,
  type LocalProcess,
  type LocalOutputOptions,
} from './spawn.js';
export {
  wsTransport,
  connectWebSocket,
  WebSocketAcceptor,
  WS_MAX_PAYLOAD,
  WS_PATH,
  remoteAddress,
  type ConnectWebSocketOptions,
  type WebSocketAcceptorOptions,
} from './transports/ws.js';
export { tokenMatches, isLoopback, requireTokenBeyondLoopback } from './token.js';
