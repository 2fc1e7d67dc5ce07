import PQueue from 'p-queue';
import { StreamDecoder, encodePacket, type Packet } from '@baton/subunit';
import { systemClock, type Clock, type ClockTimer } from './clock.js';
import { decodeMessage, encodeMessage, isRpcPacket } from './codec.js';
import { ProtocolError, isFatalRemote, remoteError, type ProtocolErrorCode } from './errors.js';
import {
  MESSAGE_SPECS,
  SUPPORTED_VERSIONS,
  supports,
  type CancelMessage,
  type CancelledMessage,
  type DoneMessage,
  type HelloMessage,
  type ListMessage,
  type Message,
  type MessageName,
  type PingMessage,
  type PongMessage,
  type RunMessage,
  type VersionRange,
} from './messages.js';
import { negotiate } from './negotiate.js';
import { tokenMatches } from './token.js';
import type { Transport } from './transport.js';

/**
 * How long a peer has to send its Hello. A Python test server imports and discovers the
 * whole suite before it answers, which takes seconds on large suites.
 */
export const HELLO_TIMEOUT_MS = 30_000;
/** How often the client pings a peer that speaks version 2. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/**
 * How long a Ping, or a Cancel (commands a live peer answers at once), may go unanswered
 * before the peer counts as stuck. Test servers answer from a reader thread, so a long
 * test does not delay the answer; only a stuck server does.
 */
export const HEARTBEAT_TIMEOUT_MS = 30_000;
/** How long the client waits, after Goodbye, for the server to close the channel. */
export const GOODBYE_TIMEOUT_MS = 10_000;
/** Sends handed to the transport at once; further sends queue in order (see `backlog`). */
export const SEND_WINDOW = 16;
/** Bytes written in one turn of the event loop that are joined into one send, at most. */
export const COALESCE_BYTES: number = 256 * 1024;
/**
 * Bytes a peer may send before its Hello has arrived. A Hello takes a few hundred; a peer
 * that sends more without one is not a baton peer, and is closed instead of buffered.
 */
export const HELLO_MAX_BYTES: number = 64 * 1024;

/** The client sends Hello first and commands; the server answers them. */
export type ChannelRole = 'client' | 'server';

/**
 * `connecting` (server: waiting for the client's Hello) → `helloSent` (client: waiting for
 * the server's) → `ready` → `draining` (Goodbye sent or received) → `closed`; any state
 * may end in `lost` (the peer vanished, or the channel failed).
 */
export type ChannelState = 'connecting' | 'helloSent' | 'ready' | 'draining' | 'closed' | 'lost';

/** The optional version 2 fields of this end's Hello. */
export type HelloFields = Omit<HelloMessage, 'msg' | 'min' | 'max'>;

/** The outcome of the handshake. */
export interface Handshake {
  /** The version both ends use from now on. */
  readonly version: number;
  /** The peer's Hello (its range, and at version 2 its slots, name and digest). */
  readonly peer: HelloMessage;
}

/** How a channel ended: `closed` after Goodbye or `close()`, `lost` otherwise, with why. */
export interface CloseInfo {
  readonly state: 'closed' | 'lost';
  readonly error?: ProtocolError;
}

export interface HeartbeatOptions {
  /** @default HEARTBEAT_INTERVAL_MS */
  readonly intervalMs: number;
  /** @default HEARTBEAT_TIMEOUT_MS */
  readonly timeoutMs: number;
}

export interface ChannelHandlers {
  /**
   * A message that is not a reply: the commands List, Run, Cancel and Goodbye (server
   * role; answer with `send`), and Errors not tied to a request of ours.
   */
  message?(message: Message): void;
  /** An ordinary subunit packet: a result, an `exists`, output. */
  packet?(packet: Packet): void;
  /** Bytes that are not subunit at all. Logged when unhandled. */
  bytes?(data: Uint8Array): void;
  /** The channel ended (after the transport closed). */
  close?(info: CloseInfo): void;
}

export interface ChannelOptions {
  readonly role: ChannelRole;
  /** @default SUPPORTED_VERSIONS */
  readonly versions?: VersionRange;
  /** Version 2 fields of this end's Hello (slots, name, token, digest). */
  readonly hello?: HelloFields;
  /**
   * The shared secret of this channel: this end's Hello carries it (unless `hello.token`
   * says otherwise), and a peer whose Hello does not carry it is refused
   * (`BATON_PROTOCOL_AUTH`) before any command, compared in constant time. It never
   * appears in a log line or an error.
   */
  readonly expectToken?: string;
  /** @default HELLO_TIMEOUT_MS */
  readonly helloTimeoutMs?: number;
  /**
   * Pings at version 2, to tell a stuck peer from a stuck test; `false` turns them off.
   * @default on for the client role, off for the server role
   */
  readonly heartbeat?: HeartbeatOptions | false;
  /**
   * Milliseconds without a byte from the peer, past the handshake at version 2, after
   * which it counts as cut off: the channel fails (`BATON_PROTOCOL_HEARTBEAT_TIMEOUT`)
   * and the connection is dropped. For the end that is Pinged (a worker), whose peer
   * sends a Ping every interval, so that a silent network cut ends it too, instead of it
   * waiting for ever. @default off
   */
  readonly silenceMs?: number;
  /** Time for every timeout, heartbeat and silence check of the channel. @default systemClock */
  readonly clock?: Clock;
  /**
   * Where refusals, corrupt packets and stray bytes are reported, each line prefixed with
   * the transport's `peer` when it has one. @default console.warn
   */
  readonly log?: (line: string) => void;
  readonly handlers?: ChannelHandlers;
}

type Unsent<M> = Omit<M, 'nonce'>;
type RequestName = 'List' | 'Run' | 'Cancel' | 'Ping';
type ReplyMessage = DoneMessage | CancelledMessage | PongMessage;

const REPLY_OF: Readonly<Record<RequestName, ReplyMessage['msg']>> = {
  List: 'Done',
  Run: 'Done',
  Cancel: 'Cancelled',
  Ping: 'Pong',
};

/** The failure of a peer that left a command unanswered for `ms`. */
function unanswered(name: RequestName, ms: number): ProtocolError {
  return name === 'Ping'
    ? new ProtocolError(
        'BATON_PROTOCOL_HEARTBEAT_TIMEOUT',
        `the peer did not answer a Ping within ${ms} ms: the peer itself is stuck or unreachable (a stuck test still lets it answer)`,
      )
    : new ProtocolError('BATON_PROTOCOL_NO_ANSWER', `the peer did not answer a ${name} within ${ms} ms, which a live peer answers at once: it is stuck or cut off`);
}

interface Pending {
  readonly expect: ReplyMessage['msg'];
  resolve(reply: ReplyMessage): void;
  reject(error: ProtocolError): void;
}

/**
 * One end of an RPC channel over a transport: the handshake and version negotiation,
 * requests matched to replies by nonce, heartbeats, refusals of bad input (an Error reply
 * and a log line, never a throw), and the lifecycle in `state`. The same class serves
 * both hops (coordinator ↔ worker, worker ↔ test server) and both roles.
 */
export class Channel {
  readonly role: ChannelRole;
  /** Resolves once both Hellos crossed; rejects with the ProtocolError that ended the handshake. */
  readonly ready: Promise<Handshake>;
  /** Resolves once the transport closed. */
  readonly closed: Promise<CloseInfo>;

  private currentState: ChannelState;
  private negotiated: number | undefined;
  private peerHello: HelloMessage | undefined;
  private failure: ProtocolError | undefined;
  private readonly transport: Transport;
  private readonly versions: VersionRange;
  private readonly helloFields: HelloFields;
  private readonly expectToken: string | undefined;
  private readonly heartbeat: HeartbeatOptions | false;
  /** How long a command a live peer answers at once may wait for its answer: the Ping's. */
  readonly answerTimeoutMs: number;
  private readonly log: (line: string) => void;
  private readonly handlers: ChannelHandlers;
  private readonly decoder: StreamDecoder;
  private readonly queue = new PQueue({ concurrency: SEND_WINDOW });
  /** Bytes written this turn, not yet handed to the queue. */
  private batch: Batch | undefined;
  private readonly pending = new Map<string, Pending>();
  private nextNonce = 1;
  private readonly clock: Clock;
  private helloTimer: ClockTimer | undefined;
  private beatTimer: ClockTimer | undefined;
  private silenceTimer: ClockTimer | undefined;
  private readonly silenceMs: number | undefined;
  /** When the peer last sent anything (ms, on `clock`), for `silenceMs`. */
  private heard = 0;
  private settleReady!: { resolve(h: Handshake): void; reject(e: ProtocolError): void };
  private settleClosed!: (info: CloseInfo) => void;

  constructor(transport: Transport, options: ChannelOptions) {
    this.transport = transport;
    this.role = options.role;
    this.versions = options.versions ?? SUPPORTED_VERSIONS;
    this.expectToken = options.expectToken;
    this.helloFields = { ...(options.expectToken === undefined ? {} : { token: options.expectToken }), ...options.hello };
    this.silenceMs = options.silenceMs;
    this.clock = options.clock ?? systemClock;
    this.heartbeat =
      options.heartbeat ??
      (options.role === 'client' ? { intervalMs: HEARTBEAT_INTERVAL_MS, timeoutMs: HEARTBEAT_TIMEOUT_MS } : false);
    this.answerTimeoutMs = this.heartbeat === false ? HEARTBEAT_TIMEOUT_MS : this.heartbeat.timeoutMs;
    const log = options.log ?? ((line) => console.warn(`baton protocol: ${line}`));
    this.log = transport.peer === undefined ? log : (line) => log(`peer ${transport.peer}: ${line}`);
    this.handlers = options.handlers ?? {};
    this.ready = new Promise<Handshake>((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    // Callers that only watch `closed` must not crash the process on a failed handshake.
    this.ready.catch(() => undefined);
    this.closed = new Promise<CloseInfo>((resolve) => {
      this.settleClosed = resolve;
    });
    this.decoder = new StreamDecoder({
      packet: (packet, offset) => {
        if (!this.ended) this.onPacket(packet, offset);
      },
      bytes: (data, offset) => {
        if (this.ended) return;
        if (this.peerHello === undefined) this.notAPeer(`${data.length} bytes that are not subunit at byte ${offset}`);
        else if (this.handlers.bytes) this.handlers.bytes(data);
        else this.corrupt(`${data.length} bytes that are not subunit at byte ${offset}`);
      },
      error: (error) => {
        if (this.ended) return;
        if (this.peerHello === undefined) this.notAPeer(error.message);
        else if (error.code === 'BATON_SUBUNIT_TOO_LARGE') this.fail(new ProtocolError('BATON_PROTOCOL_TOO_LARGE', error.message), true);
        else this.corrupt(error.message);
      },
    });
    transport.onData((bytes) => {
      if (this.ended) return;
      this.heard = this.clock.now();
      this.decoder.push(bytes);
      if (this.peerHello === undefined && this.decoder.offset + this.decoder.buffered > HELLO_MAX_BYTES) {
        this.fail(new ProtocolError('BATON_PROTOCOL_TOO_LARGE', `the peer sent ${HELLO_MAX_BYTES} bytes without a Hello: it is not a baton peer; closing`), true);
      }
    });
    transport.onClose((error) => this.onTransportClose(error));

    const helloTimeoutMs = options.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
    this.helloTimer = this.clock.setTimeout(() => {
      this.fail(
        new ProtocolError(
          'BATON_PROTOCOL_HELLO_TIMEOUT',
          `no Hello from the peer within ${helloTimeoutMs} ms: is it a baton test server, and did it start? (its stderr may say why)`,
        ),
        true,
      );
    }, helloTimeoutMs);
    if (this.role === 'client') {
      this.sendHello();
      this.currentState = 'helloSent';
    } else {
      this.currentState = 'connecting';
    }
  }

  /** Where the channel is in its lifecycle. */
  get state(): ChannelState {
    return this.currentState;
  }

  /** Closed or lost: nothing more the peer sends is read. */
  private get ended(): boolean {
    return this.currentState === 'closed' || this.currentState === 'lost';
  }

  /** The negotiated version, once `ready`. */
  get version(): number | undefined {
    return this.negotiated;
  }

  /** The peer's Hello, once it arrived. */
  get peer(): HelloMessage | undefined {
    return this.peerHello;
  }

  /** Sends waiting for the transport (a slow peer makes this grow). */
  get backlog(): number {
    return this.queue.size;
  }

  /** Resolves once fewer than `limit` sends are waiting: how a producer respects backpressure. */
  writable(limit: number = SEND_WINDOW): Promise<void> {
    return this.queue.onSizeLessThan(limit);
  }

  /** Whether the negotiated version has `name` (false before the handshake). */
  supports(name: MessageName): boolean {
    return this.negotiated !== undefined && supports(this.negotiated, name);
  }

  /**
   * Sends a message: replies (Done, Cancelled) on the server, Goodbye on the client.
   * Rejects with `BATON_PROTOCOL_NOT_READY` outside `ready`/`draining` and with
   * `BATON_PROTOCOL_UNSUPPORTED` for a message the negotiated version lacks.
   */
  send(message: Message): Promise<void> {
    const refused = this.checkSendable(message.msg);
    if (refused) return Promise.reject(refused);
    return this.write(encodeMessage(message));
  }

  /** Sends an ordinary subunit packet (a result, an `exists`) once the handshake is done. */
  sendPacket(packet: Packet): Promise<void> {
    if (this.currentState !== 'ready' && this.currentState !== 'draining') return Promise.reject(this.notReady('send a packet'));
    return this.write(encodePacket(packet));
  }

  /**
   * Sends a command and resolves with the reply carrying its nonce; an Error reply rejects.
   * With `answerWithinMs`, for a command any live peer answers at once (Ping, Cancel), a
   * peer that has not answered by then is stuck or cut off: the channel fails
   * (BATON_PROTOCOL_NO_ANSWER; for Ping, BATON_PROTOCOL_HEARTBEAT_TIMEOUT) and its
   * transport is dropped at once, since a silent peer acknowledges no close either.
   */
  request(message: Unsent<ListMessage> | Unsent<RunMessage>): Promise<DoneMessage>;
  request(message: Unsent<CancelMessage>, answerWithinMs?: number): Promise<CancelledMessage>;
  request(message: Unsent<PingMessage>, answerWithinMs?: number): Promise<PongMessage>;
  request(message: Unsent<ListMessage | RunMessage | CancelMessage | PingMessage>, answerWithinMs?: number): Promise<ReplyMessage> {
    const name = message.msg as RequestName;
    const refused = this.checkSendable(name);
    if (refused) return Promise.reject(refused);
    const nonce = String(this.nextNonce++);
    const reply = new Promise<ReplyMessage>((resolve, reject) => {
      this.pending.set(nonce, { expect: REPLY_OF[name], resolve, reject });
      this.write(encodeMessage({ ...message, nonce } as Message)).catch(() => undefined);
    });
    if (answerWithinMs === undefined) return reply;
    const deadline = this.clock.setTimeout(() => {
      this.fail(unanswered(name, answerWithinMs), true);
      this.transport.abort?.();
    }, answerWithinMs);
    const disarm = () => deadline.cancel();
    reply.then(disarm, disarm);
    return reply;
  }

  /** Round trip of a Ping, in milliseconds (version 2). */
  async ping(): Promise<number> {
    const start = this.clock.now();
    await this.request({ msg: 'Ping' });
    return this.clock.now() - start;
  }

  /**
   * Client: sends Goodbye and waits for the server to close the channel, closing it
   * here after `timeoutMs` if the server does not.
   */
  async goodbye(timeoutMs: number = GOODBYE_TIMEOUT_MS): Promise<CloseInfo> {
    if (this.currentState === 'ready') {
      // Draining before the send: the server may close as soon as Goodbye reaches it.
      const sent = this.send({ msg: 'Goodbye' });
      this.currentState = 'draining';
      this.stopHeartbeat();
      await sent.catch(() => undefined);
    }
    let timer: ClockTimer | undefined;
    const late = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.closed, late]);
    timer?.cancel();
    this.close();
    return this.closed;
  }

  /** Closes the channel after the sends already queued. Pending requests reject. */
  close(): void {
    if (this.currentState === 'closed' || this.currentState === 'lost') return;
    this.currentState = 'closed';
    this.settle(new ProtocolError('BATON_PROTOCOL_NOT_READY', 'the channel was closed by this end'));
    this.closeTransport();
  }

  /**
   * Ends the channel because of `error`: tells the peer (an Error message, when `notify`)
   * before closing, rejects everything pending, and records the error in `closed`. A
   * failed handshake is not logged here: `ready` rejects with it, and whoever awaits the
   * handshake reports it once, naming the peer (`Transport.peer`).
   */
  fail(error: ProtocolError, notify: boolean): void {
    if (this.currentState === 'closed' || this.currentState === 'lost') return;
    if (notify) this.refuse(error.code, error.message, undefined, this.negotiated !== undefined);
    this.currentState = 'lost';
    this.failure = error;
    this.settle(error);
    this.closeTransport();
  }

  /**
   * Bytes that are not subunit, or a damaged packet, after the handshake: nothing says
   * what else the peer's channel lost (a result, a Done), so it is not read on as if
   * whole. The channel ends, said once, and its owner treats the peer as broken (a slot
   * records the running test as crashed and starts a fresh test server).
   */
  private corrupt(what: string): void {
    // fail() says it once (its refusal to the peer is logged), naming the peer.
    this.fail(new ProtocolError('BATON_PROTOCOL_CORRUPT', `the peer's channel is corrupt (${what}); closing it`), true);
  }

  private checkSendable(name: MessageName): ProtocolError | undefined {
    if (this.currentState !== 'ready' && this.currentState !== 'draining') return this.notReady(`send ${name}`);
    if (!supports(this.negotiated!, name)) {
      return new ProtocolError(
        'BATON_PROTOCOL_UNSUPPORTED',
        `${name} needs protocol version ${MESSAGE_SPECS[name].since}, but the peer negotiated version ${this.negotiated}`,
      );
    }
    return undefined;
  }

  private notReady(what: string): ProtocolError {
    return new ProtocolError('BATON_PROTOCOL_NOT_READY', `cannot ${what}: the channel is ${this.currentState}`);
  }

  /**
   * Queues bytes for the transport. Everything written in one turn of the event loop
   * (a worker forwarding a burst of results) goes out as one send, up to COALESCE_BYTES:
   * one system call and one frame instead of one per packet, on both ends.
   */
  private write(bytes: Uint8Array): Promise<void> {
    let batch = this.batch;
    if (batch === undefined || batch.size + bytes.length > COALESCE_BYTES) {
      const fresh: Batch = { parts: [], size: 0, sent: Promise.resolve() };
      fresh.sent = Promise.resolve().then(() => {
        if (this.batch === fresh) this.batch = undefined;
        const joined = fresh.parts.length === 1 ? fresh.parts[0]! : concat(fresh.parts, fresh.size);
        return this.queue.add(() => this.transport.send(joined));
      });
      this.batch = batch = fresh;
    }
    batch.parts.push(bytes);
    batch.size += bytes.length;
    return batch.sent;
  }

  private sendHello(): void {
    const hello: HelloMessage = { msg: 'Hello', max: this.versions.max, min: this.versions.min, ...this.helloFields };
    this.write(encodeMessage(hello)).catch(() => undefined);
  }

  /** Refuses a message with an Error reply where the peer can take one, and a log line. */
  private refuse(code: ProtocolErrorCode, message: string, nonce: string | undefined, logged = true): void {
    if (logged) this.log(`${code}: ${message}`);
    // Version 1 has no Error message; before the handshake the peer's version is unknown,
    // and an Error there is the only way to tell it why the channel is closing.
    if (this.negotiated !== undefined && this.negotiated < 2) return;
    if (this.currentState === 'closed' || this.currentState === 'lost') return;
    const error: Message = nonce === undefined ? { msg: 'Error', code, message } : { msg: 'Error', code, message, nonce };
    this.write(encodeMessage(error)).catch(() => undefined);
  }

  private onPacket(packet: Packet, offset: number): void {
    if (!isRpcPacket(packet)) {
      if (this.peerHello === undefined) this.notAPeer(`a packet for test ${JSON.stringify(packet.testId ?? '')} at byte ${offset}`);
      else this.handlers.packet?.(packet);
      return;
    }
    const decoded = decodeMessage(packet);
    if (decoded.ok) this.onMessage(decoded.message);
    else if (decoded.error.code === 'BATON_PROTOCOL_TOO_LARGE') this.fail(new ProtocolError('BATON_PROTOCOL_TOO_LARGE', `the message at byte ${offset}: ${decoded.error.message}; closing`), true);
    else if (this.peerHello === undefined) this.notAPeer(`at byte ${offset}, ${decoded.error.message}`);
    else this.refuse(decoded.error.code, `the message at byte ${offset}: ${decoded.error.message}`, decoded.nonce);
  }

  /**
   * The peer sent something other than a Hello first: whatever it is, it is not a baton
   * peer (a port scanner, a stray client, garbage). It is told why and closed at once,
   * in one log line, rather than heard out until the Hello timeout.
   */
  private notAPeer(what: string): void {
    this.fail(new ProtocolError('BATON_PROTOCOL_BAD_MESSAGE', `expected a Hello first, got ${what}: not a baton peer; closing`), true);
  }

  private onMessage(message: Message): void {
    if (this.currentState === 'closed' || this.currentState === 'lost') return;
    if (message.msg === 'Hello') {
      this.onHello(message);
      return;
    }
    if (this.negotiated === undefined) {
      if (message.msg === 'Error') this.fail(remoteError(message.code, message.message), false);
      else this.notAPeer(`${message.msg}`);
      return;
    }
    if (!supports(this.negotiated, message.msg)) {
      this.refuse('BATON_PROTOCOL_UNKNOWN_MESSAGE', `${message.msg} is not part of protocol version ${this.negotiated}`, nonceOf(message));
      return;
    }
    const from = MESSAGE_SPECS[message.msg].from;
    if (from === this.role) {
      this.refuse('BATON_PROTOCOL_BAD_MESSAGE', `${message.msg} is sent by the ${from}, and this end is the ${from}`, nonceOf(message));
      return;
    }
    switch (message.msg) {
      case 'Ping':
        this.write(encodeMessage({ msg: 'Pong', nonce: message.nonce })).catch(() => undefined);
        return;
      case 'Pong':
      case 'Done':
      case 'Cancelled':
        this.onReply(message);
        return;
      case 'Error':
        this.onError(message.code, message.message, message.nonce);
        return;
      case 'Goodbye':
        this.currentState = 'draining';
        this.handlers.message?.(message);
        return;
      default:
        if (this.handlers.message) this.handlers.message(message);
        else this.refuse('BATON_PROTOCOL_UNSUPPORTED', `this end does not serve ${message.msg}`, nonceOf(message));
    }
  }

  private onHello(hello: HelloMessage): void {
    if (this.peerHello !== undefined) {
      this.refuse('BATON_PROTOCOL_BAD_MESSAGE', 'a second Hello', undefined);
      return;
    }
    this.peerHello = hello;
    this.helloTimer?.cancel();
    if (this.expectToken !== undefined && !tokenMatches(hello.token, this.expectToken)) {
      this.fail(
        new ProtocolError('BATON_PROTOCOL_AUTH', `the peer's Hello carries ${hello.token === undefined ? 'no' : 'a wrong'} token: give both ends the same shared secret (--token-file)`),
        true,
      );
      return;
    }
    let version: number;
    try {
      version = negotiate(this.versions, { min: hello.min, max: hello.max });
    } catch (error) {
      // The server still answers Hello, so that the client can name both ranges itself.
      if (this.role === 'server') this.sendHello();
      this.fail(error as ProtocolError, true);
      return;
    }
    if (this.role === 'server') this.sendHello();
    this.negotiated = version;
    this.currentState = 'ready';
    this.settleReady.resolve({ version, peer: hello });
    this.startHeartbeat();
    this.watchSilence();
  }

  private watchSilence(): void {
    const limit = this.silenceMs;
    if (limit === undefined || !supports(this.negotiated!, 'Ping')) return;
    this.heard = this.clock.now();
    // A check now and then, not a timer reset on every chunk a busy channel reads.
    this.silenceTimer = this.clock.setInterval(() => {
      const quiet = this.clock.now() - this.heard;
      if (quiet < limit) return;
      this.fail(
        new ProtocolError('BATON_PROTOCOL_HEARTBEAT_TIMEOUT', `nothing from the peer for ${Math.round(quiet / 1000)} s, not even a Ping: it is gone or cut off`),
        true,
      );
      this.transport.abort?.();
    }, Math.max(10, limit / 8));
  }

  private onReply(reply: ReplyMessage): void {
    const pending = this.pending.get(reply.nonce);
    if (pending === undefined) {
      this.log(`${reply.msg} for nonce '${reply.nonce}', which no request of this end carries, ignored`);
      return;
    }
    this.pending.delete(reply.nonce);
    if (pending.expect === reply.msg) pending.resolve(reply);
    else pending.reject(new ProtocolError('BATON_PROTOCOL_BAD_MESSAGE', `the peer answered with ${reply.msg} where ${pending.expect} was due`));
  }

  private onError(code: string, text: string, nonce: string | undefined): void {
    const error = remoteError(code, text);
    const pending = nonce === undefined ? undefined : this.pending.get(nonce);
    if (pending !== undefined) {
      this.pending.delete(nonce!);
      pending.reject(error);
      return;
    }
    if (isFatalRemote(error)) {
      this.fail(error, false);
      return;
    }
    this.log(error.message);
    this.handlers.message?.({ msg: 'Error', code, message: text, ...(nonce === undefined ? {} : { nonce }) });
  }

  private startHeartbeat(): void {
    if (this.heartbeat === false || !supports(this.negotiated!, 'Ping')) return;
    const { intervalMs, timeoutMs } = this.heartbeat;
    this.beatTimer = this.clock.setTimeout(() => {
      this.request({ msg: 'Ping' }, timeoutMs).then(
        () => {
          if (this.currentState === 'ready') this.startHeartbeat();
        },
        () => undefined,
      );
    }, intervalMs);
  }

  private stopHeartbeat(): void {
    this.beatTimer?.cancel();
    this.silenceTimer?.cancel();
  }

  private settle(error: ProtocolError): void {
    this.helloTimer?.cancel();
    this.stopHeartbeat();
    this.settleReady.reject(error);
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  private closeTransport(): void {
    // Queued sends (an Error explaining the close, a last Done) go out first, including
    // the writes of this turn that are still gathering into a batch.
    const pending = this.batch?.sent ?? Promise.resolve();
    void pending
      .catch(() => undefined)
      .then(() => this.queue.onIdle())
      .then(() => this.transport.close(), () => this.transport.close());
  }

  private onTransportClose(cause: Error | undefined): void {
    this.decoder.end();
    if (this.currentState === 'draining') {
      this.currentState = 'closed';
      this.settle(new ProtocolError('BATON_PROTOCOL_NOT_READY', 'the channel closed after Goodbye'));
    } else if (this.currentState !== 'closed' && this.currentState !== 'lost') {
      const beforeHello = this.peerHello === undefined;
      this.fail(
        new ProtocolError(
          'BATON_PROTOCOL_PEER_LOST',
          beforeHello
            ? `the peer closed the channel before its Hello${cause ? ` (${cause.message})` : ''}: is it a baton test server? (its stderr may say why)`
            : `the peer closed the channel without Goodbye${cause ? `: ${cause.message}` : ''}`,
          cause ? { cause } : undefined,
        ),
        false,
      );
    }
    this.queue.clear();
    const info: CloseInfo =
      this.currentState === 'lost' && this.failure ? { state: 'lost', error: this.failure } : { state: 'closed' };
    this.settleClosed(info);
    this.handlers.close?.(info);
  }
}

function nonceOf(message: Message): string | undefined {
  return 'nonce' in message ? message.nonce : undefined;
}

/** Writes gathered into one send; `sent` settles when the send does. */
interface Batch {
  readonly parts: Uint8Array[];
  size: number;
  sent: Promise<void>;
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
