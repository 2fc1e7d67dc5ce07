import type { VersionRange } from './messages.js';

/** Stable codes of protocol errors. Callers branch on these, never on messages. */
export type ProtocolErrorCode =
  /** The two ends' version ranges do not overlap. */
  | 'BATON_PROTOCOL_NO_COMMON_VERSION'
  /** The peer sent no Hello within the hello timeout. */
  | 'BATON_PROTOCOL_HELLO_TIMEOUT'
  /** An RPC packet whose JSON is malformed or whose fields have the wrong types. */
  | 'BATON_PROTOCOL_BAD_MESSAGE'
  /** A well-formed message this end does not know at the negotiated version. */
  | 'BATON_PROTOCOL_UNKNOWN_MESSAGE'
  /** A message over MAX_MESSAGE_BYTES, or a frame over the transport's limit. */
  | 'BATON_PROTOCOL_TOO_LARGE'
  /** A local test server process exited while the channel was open. */
  | 'BATON_PROTOCOL_PEER_DIED'
  /** The channel closed without a Goodbye (network loss, peer crash). */
  | 'BATON_PROTOCOL_PEER_LOST'
  /** The peer stopped answering Ping: the peer itself is stuck, not a test. */
  | 'BATON_PROTOCOL_HEARTBEAT_TIMEOUT'
  /** The peer left a command that is answered at once (Cancel) unanswered: it is stuck or cut off. */
  | 'BATON_PROTOCOL_NO_ANSWER'
  /** A missing or wrong token (at the WebSocket upgrade or in Hello). */
  | 'BATON_PROTOCOL_AUTH'
  /** Listening beyond loopback without a token (`requireTokenBeyondLoopback`). */
  | 'BATON_PROTOCOL_TOKEN_REQUIRED'
  /** A feature the negotiated version lacks (Cancel or Ping at version 1). */
  | 'BATON_PROTOCOL_UNSUPPORTED'
  /** A command sent before the handshake finished or after the channel closed. */
  | 'BATON_PROTOCOL_NOT_READY'
  /** The peer reported an error whose code this end does not know. */
  | 'BATON_PROTOCOL_PEER_ERROR'
  /** The test server command could not be started at all. */
  | 'BATON_PROTOCOL_SPAWN_FAILED'
  /** Bytes that are not subunit, or a damaged packet, on a channel past its handshake. */
  | 'BATON_PROTOCOL_CORRUPT';

const CODES: ReadonlySet<string> = new Set<ProtocolErrorCode>([
  'BATON_PROTOCOL_NO_COMMON_VERSION',
  'BATON_PROTOCOL_HELLO_TIMEOUT',
  'BATON_PROTOCOL_BAD_MESSAGE',
  'BATON_PROTOCOL_UNKNOWN_MESSAGE',
  'BATON_PROTOCOL_TOO_LARGE',
  'BATON_PROTOCOL_PEER_DIED',
  'BATON_PROTOCOL_PEER_LOST',
  'BATON_PROTOCOL_HEARTBEAT_TIMEOUT',
  'BATON_PROTOCOL_NO_ANSWER',
  'BATON_PROTOCOL_AUTH',
  'BATON_PROTOCOL_TOKEN_REQUIRED',
  'BATON_PROTOCOL_UNSUPPORTED',
  'BATON_PROTOCOL_NOT_READY',
  'BATON_PROTOCOL_PEER_ERROR',
  'BATON_PROTOCOL_SPAWN_FAILED',
  'BATON_PROTOCOL_CORRUPT',
]);

/** Whether a code received on the wire is one of ours. */
function isProtocolErrorCode(code: string): code is ProtocolErrorCode {
  return CODES.has(code);
}

/** A problem with the RPC channel or the peer at the other end of it. */
export class ProtocolError extends Error {
  override readonly name: string = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  /** True when the peer reported the error (an Error message), false when found here. */
  readonly remote: boolean;

  constructor(code: ProtocolErrorCode, message: string, options?: ErrorOptions & { remote?: boolean }) {
    super(message, options);
    this.code = code;
    this.remote = options?.remote ?? false;
  }
}

/** The version ranges of two ends do not overlap. */
export class NoCommonVersionError extends ProtocolError {
  override readonly name: string = 'NoCommonVersionError';
  readonly ours: VersionRange;
  readonly theirs: VersionRange;

  constructor(ours: VersionRange, theirs: VersionRange) {
    super(
      'BATON_PROTOCOL_NO_COMMON_VERSION',
      `no common protocol version: this end speaks ${formatRange(ours)}, the peer speaks ${formatRange(theirs)}; ` +
        'upgrade the older side (baton or the test server adapter)',
    );
    this.ours = ours;
    this.theirs = theirs;
  }
}

/** How a test server process ended. */
export interface ExitInfo {
  /** The exit code, or null when a signal ended the process. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A local test server died with the channel open. `running` names the tests it had
 * started (inprogress seen) without reporting a final status: the tests that killed it,
 * or were killed with it.
 */
export class PeerDiedError extends ProtocolError {
  override readonly name: string = 'PeerDiedError';
  readonly running: readonly string[];
  readonly exit: ExitInfo;
  /** The last lines the process wrote to stderr. */
  readonly stderrTail: string;

  constructor(message: string, running: readonly string[], exit: ExitInfo, stderrTail: string, options?: ErrorOptions) {
    const how = exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.exitCode}`;
    const tests = running.length > 0 ? ` while running ${running.join(', ')}` : '';
    const tail = stderrTail.length > 0 ? `\n--- stderr tail ---\n${stderrTail}` : '';
    super('BATON_PROTOCOL_PEER_DIED', `${message} (${how})${tests}${tail}`, options);
    this.running = running;
    this.exit = exit;
    this.stderrTail = stderrTail;
  }
}

/** `1..2`, or `1` for a single version. */
export function formatRange(range: VersionRange): string {
  return range.min === range.max ? `version ${range.min}` : `versions ${range.min}..${range.max}`;
}

/** Codes that end the channel when the peer reports them without a nonce. */
const FATAL_REMOTE: ReadonlySet<ProtocolErrorCode> = new Set<ProtocolErrorCode>([
  'BATON_PROTOCOL_NO_COMMON_VERSION',
  'BATON_PROTOCOL_HELLO_TIMEOUT',
  'BATON_PROTOCOL_HEARTBEAT_TIMEOUT',
  'BATON_PROTOCOL_NO_ANSWER',
  'BATON_PROTOCOL_AUTH',
]);

/** The error an Error message from the peer stands for. */
export function remoteError(code: string, message: string): ProtocolError {
  if (isProtocolErrorCode(code)) return new ProtocolError(code, `peer reported: ${message}`, { remote: true });
  return new ProtocolError('BATON_PROTOCOL_PEER_ERROR', `peer reported ${code}: ${message}`, { remote: true });
}

/** Whether an error reported by the peer means it is closing the channel. */
export function isFatalRemote(error: ProtocolError): boolean {
  return FATAL_REMOTE.has(error.code);
}
