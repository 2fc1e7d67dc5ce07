import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { MAX_PACKET_SIZE } from '@baton/subunit';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import { ProtocolError } from '../errors.js';
import { tokenMatches } from '../token.js';
import type { Transport } from '../transport.js';

/**
 * The largest WebSocket frame either end accepts (`maxPayload`): one subunit packet of the
 * largest size the format allows. Larger sends are split into several frames, since the
 * channel is a byte stream; a peer sending a larger frame is disconnected (close 1009).
 */
export const WS_MAX_PAYLOAD: number = MAX_PACKET_SIZE + 1;
/** The path workers connect to. */
export const WS_PATH = '/baton/rpc';

/**
 * `ws`, loaded on first use: it takes a sixth of a second to load, which every `baton run`
 * on local workers alone (no WebSocket at all) would otherwise pay before its first test.
 */
let wsModule: typeof import('ws') | undefined;
function ws(): typeof import('ws') {
  return (wsModule ??= createRequire(import.meta.url)('ws') as typeof import('ws'));
}

/**
 * A transport over an open WebSocket: binary frames carry the byte stream. Text frames
 * are a protocol violation and close the connection (1003). `peer` names the other end
 * in log lines.
 */
export function wsTransport(socket: WebSocket, maxFrame: number = WS_MAX_PAYLOAD, peer?: string): Transport {
  // ws reports a bad or oversized frame as an error, then closes; the close tells the channel.
  let failure: Error | undefined;
  socket.on('error', (error) => {
    failure = error;
  });
  // Frames are taken from the start and held until the receiver is set: a peer that
  // speaks first (a coordinator's Hello to a worker that dialled it) may have its first
  // frame parsed with the upgrade response, before the caller could call onData.
  let receiver: ((bytes: Uint8Array) => void) | undefined;
  const early: Uint8Array[] = [];
  socket.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) socket.close(1003, 'baton speaks binary frames only');
    else if (receiver) receiver(data as Buffer);
    else early.push(data as Buffer);
  });
  return {
    ...(peer === undefined ? {} : { peer }),
    send(bytes) {
      if (socket.readyState !== socket.OPEN) return Promise.reject(new Error('the WebSocket is closed'));
      const frames: Promise<void>[] = [];
      for (let at = 0; at < bytes.length; at += maxFrame) {
        const frame = bytes.subarray(at, Math.min(at + maxFrame, bytes.length));
        frames.push(new Promise((resolve, reject) => socket.send(frame, { binary: true }, (error) => (error ? reject(error) : resolve()))));
      }
      return Promise.all(frames).then(() => undefined);
    },
    onData(cb) {
      // Not re-entrantly: the caller is still setting itself up (as with memoryPair).
      queueMicrotask(() => {
        for (const data of early.splice(0)) cb(data);
        receiver = cb;
      });
    },
    onClose(cb) {
      socket.once('close', (code: number, reason: Buffer) => {
        if (code === 1000 || code === 1005) cb();
        else cb(new Error(`WebSocket closed with ${code}${reason.length > 0 ? ` (${reason.toString()})` : ''}${failure ? `: ${failure.message}` : ''}`));
      });
    },
    close() {
      if (socket.readyState === socket.CONNECTING || socket.readyState === socket.OPEN) socket.close(1000);
    },
    abort() {
      failure ??= new Error('the peer stopped answering; the connection was dropped');
      socket.terminate();
    },
  };
}

export interface ConnectWebSocketOptions {
  /** Sent as `Authorization: Bearer <token>`; the server refuses the upgrade without it. */
  readonly token?: string;
  /** @default WS_MAX_PAYLOAD */
  readonly maxPayload?: number;
}

/**
 * Opens a WebSocket to `url` (ws:// or wss://) and resolves with its transport. Rejects
 * with `BATON_PROTOCOL_AUTH` when the server refuses the token (HTTP 401), and with
 * `BATON_PROTOCOL_PEER_LOST` when it cannot connect at all.
 */
export function connectWebSocket(url: string, options: ConnectWebSocketOptions = {}): Promise<Transport> {
  const maxPayload = options.maxPayload ?? WS_MAX_PAYLOAD;
  const socket = new (ws().WebSocket)(url, {
    maxPayload,
    perMessageDeflate: false,
    headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(wsTransport(socket, maxPayload, new URL(url).host)));
    socket.once('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      socket.terminate();
      reject(
        status === 401
          ? new ProtocolError(
              'BATON_PROTOCOL_AUTH',
              options.token === undefined
                ? `${url} requires a token (HTTP 401): give the shared secret it was started with (--token-file)`
                : `${url} refused the token (HTTP 401): give the shared secret it was started with (--token-file)`,
            )
          : new ProtocolError('BATON_PROTOCOL_PEER_LOST', `${url} refused the WebSocket upgrade (HTTP ${status})`),
      );
    });
    socket.once('error', (error) => {
      reject(new ProtocolError('BATON_PROTOCOL_PEER_LOST', `cannot connect to ${url}: ${error.message}`, { cause: error }));
    });
  });
}

export interface WebSocketAcceptorOptions {
  /** Required as `Authorization: Bearer <token>`; without this option anyone may connect. */
  readonly token?: string;
  /** @default WS_PATH */
  readonly path?: string;
  /** @default WS_MAX_PAYLOAD */
  readonly maxPayload?: number;
  /** A peer connected and passed the token check. */
  readonly onTransport: (transport: Transport, request: IncomingMessage) => void;
  /**
   * Where refused connections are reported, one line each, naming the peer's address
   * (never the token it sent). @default not reported
   */
  readonly log?: (line: string) => void;
}

/**
 * Accepts WebSocket peers on an HTTP server the caller owns (which may serve other
 * things: the dashboard): `server.on('upgrade', acceptor.handleUpgrade)`. The token and
 * path are checked on the upgrade request, before the WebSocket handshake, so a refused
 * peer gets a bare HTTP 401 or 404 and not one byte of it is read as protocol.
 */
export class WebSocketAcceptor {
  private readonly wss: WebSocketServer;
  private readonly options: WebSocketAcceptorOptions;
  private readonly path: string;
  private readonly maxPayload: number;

  constructor(options: WebSocketAcceptorOptions) {
    this.options = options;
    this.path = options.path ?? WS_PATH;
    this.maxPayload = options.maxPayload ?? WS_MAX_PAYLOAD;
    this.wss = new (ws().WebSocketServer)({ noServer: true, maxPayload: this.maxPayload, perMessageDeflate: false });
  }

  /** The `upgrade` listener for an http(s) server. */
  readonly handleUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const peer = remoteAddress(request);
    const path = new URL(request.url ?? '/', 'http://host').pathname;
    if (path !== this.path) {
      this.refuse(socket, peer, '404 Not Found', `it asked for ${JSON.stringify(path.slice(0, 100))}, not ${this.path}`);
      return;
    }
    if (this.options.token !== undefined) {
      const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
      if (!tokenMatches(match?.[1], this.options.token)) {
        this.refuse(socket, peer, '401 Unauthorized', match === null ? 'it sent no bearer token' : 'it sent a wrong bearer token');
        return;
      }
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.options.onTransport(wsTransport(ws, this.maxPayload, peer), request));
  };

  /** Answers a refused upgrade with a bare HTTP status and a one-line reason, and logs it once. */
  private refuse(socket: Duplex, peer: string, status: string, why: string): void {
    this.options.log?.(`refused a connection from ${peer}: ${why} (HTTP ${status})`);
    const body = `baton: ${status.slice(4).toLowerCase()}: ${why.replace(/^it /, 'the request ')}\n`;
    socket.once('finish', () => socket.destroy());
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  /** Disconnects every peer accepted so far. */
  close(): void {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }
}

/** `address:port` of the other end of an HTTP request, `[v6]:port` for IPv6. */
export function remoteAddress(request: IncomingMessage): string {
  const { remoteAddress: address = 'unknown', remotePort } = request.socket;
  return `${address.includes(':') ? `[${address}]` : address}:${remotePort ?? '?'}`;
}
