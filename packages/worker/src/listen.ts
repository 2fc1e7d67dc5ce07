import { createServer, type Server } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WS_PATH, WebSocketAcceptor, remoteAddress, requireTokenBeyondLoopback } from '@baton/protocol';
import type { ServeOptions, WorkerServer } from './server.js';

export interface ListenOptions {
  /** The interface to listen on; anything but loopback requires `token`. */
  readonly host: string;
  /** 0 picks a free port (see `WorkerListener.port`). */
  readonly port: number;
  /** Required from coordinators as a bearer token on the upgrade. */
  readonly token?: string;
  /** An http(s) server to attach to instead of a new plain one (for wss, `--tls-cert`). */
  readonly server?: Server | HttpsServer;
  readonly serve?: ServeOptions;
  /**
   * A coordinator session ended: undefined after Goodbye, else why it was lost (a refused
   * handshake included); `peer` is the address it came from.
   */
  readonly onSessionEnd?: (error: Error | undefined, peer: string | undefined) => void;
  /** Where refused connections are reported (one line each, naming the address, never a token). */
  readonly log?: (line: string) => void;
}

/** A listening worker. */
export interface WorkerListener {
  /** The port actually bound. */
  readonly port: number;
  /** The URL a coordinator dials (`baton run --worker …`). */
  readonly url: string;
  /** Stops listening and disconnects the coordinator, if any; the worker itself stays up. */
  close(): Promise<void>;
}

/**
 * `baton worker --listen`: waits for coordinators to dial in and serves one at a time
 * (another one meanwhile gets HTTP 503). Refuses with `BATON_PROTOCOL_TOKEN_REQUIRED` to
 * listen beyond loopback without a token.
 */
export async function listenWorker(worker: WorkerServer, options: ListenOptions): Promise<WorkerListener> {
  requireTokenBeyondLoopback(options.host, options.token !== undefined);
  let busy = false;
  // With a token, the coordinator's Hello must carry it too, and ours carries it back.
  const serve = options.token === undefined ? options.serve : { expectToken: options.token, ...options.serve };
  const acceptor = new WebSocketAcceptor({
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.log === undefined ? {} : { log: options.log }),
    onTransport: (transport) => {
      busy = true;
      worker.serve(transport, serve).then(
        (info) => options.onSessionEnd?.(info.error, transport.peer),
        (error: Error) => options.onSessionEnd?.(error, transport.peer),
      ).finally(() => {
        busy = false;
      });
    },
  });
  const server = options.server ?? createServer((_request, response) => response.writeHead(404).end());
  server.on('upgrade', (request, socket: Duplex, head: Buffer) => {
    if (!busy) {
      acceptor.handleUpgrade(request, socket, head);
      return;
    }
    options.log?.(`refused a connection from ${remoteAddress(request)}: this worker already serves a coordinator (HTTP 503)`);
    const body = 'baton: this worker already serves a coordinator\n';
    socket.once('finish', () => socket.destroy());
    socket.end(`HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;
  const scheme = server instanceof HttpsServer ? 'wss' : 'ws';
  return {
    port,
    url: `${scheme}://${host}:${port}${WS_PATH}`,
    close: async () => {
      acceptor.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
