/**
 * A byte pipe between two ends, all the channel needs from a connection. Bytes arrive
 * in order but in chunks of any size (a packet may span chunks, a chunk may hold many
 * packets). Implementations: `wsTransport`, `streamTransport` (a dedicated descriptor
 * of a local test server) and `memoryPair` (tests).
 */
export interface Transport {
  /**
   * Who is at the other end, for log lines (`203.0.113.7:50412`, a URL); never a secret.
   * Absent where there is no one to name (a local test server's descriptors, memory).
   */
  readonly peer?: string;
  /**
   * Writes bytes after everything sent before. Resolves once the transport took them
   * (handed to the socket or pipe), which is how the channel's send queue sees
   * backpressure; rejects when the transport is closed.
   */
  send(bytes: Uint8Array): Promise<void>;
  /** Registers the receiver of incoming bytes (one receiver; set it before awaiting anything). */
  onData(cb: (bytes: Uint8Array) => void): void;
  /** Called once, when either end closed the transport or it broke (`error` says how). */
  onClose(cb: (error?: Error) => void): void;
  /** Closes after the bytes already sent; the peer sees the end of the stream. */
  close(): void;
  /**
   * Drops the connection at once, with no closing handshake: the peer stopped answering,
   * and a close it would have to acknowledge (a WebSocket's, 30 s) would keep its work
   * from being given to others. Absent: `close` is already immediate.
   */
  abort?(): void;
}
