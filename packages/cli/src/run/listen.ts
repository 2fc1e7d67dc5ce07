import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketAcceptor, WS_PATH, requireTokenBeyondLoopback, type Transport } from '@baton/protocol';
import { CliError } from '../errors.js';
import { readInput, readInputBytes } from '../files.js';

/**
 * `HOST:PORT` or `[v6]:PORT` as given to `--listen`; `PORT` or `:PORT` alone listen on
 * loopback (127.0.0.1): reaching beyond this machine is always asked for by name
 * (`0.0.0.0:PORT`), and then needs a token.
 */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:(?:\[([^\]]+)\]|([^:]*)):)?(\d+)$/.exec(value);
  const port = Number(m?.[3]);
  if (!m || port > MAX_PORT) throw new CliError('BATON_CLI_USAGE', `--listen takes HOST:PORT with a port from 0 to ${MAX_PORT} (e.g. 127.0.0.1:7700, or 0.0.0.0:7700 for every interface), not ${JSON.stringify(value)}`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

const MAX_PORT = 65_535;

/**
 * The URL `--worker` or `--connect` dials: ws:// or wss://. The bare `ws://HOST:PORT`
 * (what people type, and what the README shows) gets baton's path, WS_PATH.
 */
export function dialUrl(flag: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'ws:' && url.protocol !== 'wss:') || url.hostname === '') {
    throw new CliError('BATON_CLI_USAGE', `${flag} takes a ws:// or wss:// URL such as ws://HOST:7701, not ${JSON.stringify(value)}`);
  }
  if (url.pathname === '/') url.pathname = WS_PATH;
  return url.href;
}

/**
 * A plain HTTP server, or HTTPS (for wss://) when given `--tls-cert` and `--tls-key`:
 * files that cannot be read, or are no certificate and key, are refused naming them.
 */
export function httpServer(tlsCert: string | undefined, tlsKey: string | undefined, cwd: string): Server {
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new CliError('BATON_CLI_USAGE', '--tls-cert and --tls-key go together');
  if (tlsCert === undefined || tlsKey === undefined) return createHttpServer();
  const cert = readInputBytes('--tls-cert', tlsCert, cwd);
  const key = readInputBytes('--tls-key', tlsKey, cwd);
  try {
    return createHttpsServer({ cert, key });
  } catch (error) {
    throw new CliError('BATON_CLI_BAD_INPUT', `--tls-cert ${tlsCert} and --tls-key ${tlsKey} are not a PEM certificate and its private key: ${(error as Error).message}`, { cause: error });
  }
}

/** Parses `--listen` and refuses it beyond loopback without a token: checked before a run starts anything. */
export function checkListen(listen: string, token: string | undefined): { host: string; port: number } {
  const { host, port } = parseListen(listen);
  requireTokenBeyondLoopback(host, token !== undefined);
  return { host, port };
}

/** The token in a `--token-file`, never echoed anywhere. */
export function readToken(file: string | undefined, cwd: string): string | undefined {
  if (file === undefined) return undefined;
  const token = readInput('--token-file', file, cwd).trim();
  if (token.length < 16) throw new CliError('BATON_CLI_USAGE', `${file}: a token needs at least 16 characters (e.g. \`openssl rand -hex 32\`)`);
  return token;
}

export interface ListenForPeersOptions {
  readonly listen: string;
  readonly token: string | undefined;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  /** What relative `--tls-cert` and `--tls-key` paths are relative to. */
  readonly cwd: string;
  readonly onTransport: (transport: Transport) => void;
  /** Where refused connections are reported (one line each, naming the address, never a token). */
  readonly log: (line: string) => void;
}

export interface Listener {
  /** The URL workers connect to (the real port when 0 was asked for). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Listens for baton peers over WebSocket (wss with `--tls-cert`/`--tls-key`). Beyond
 * loopback a token is required, so that nobody on the network can join a run or feed it
 * results; the token is checked on the upgrade request, before any protocol byte.
 */
export async function listenForPeers(options: ListenForPeersOptions): Promise<Listener> {
  const { host, port } = checkListen(options.listen, options.token);
  const acceptor = new WebSocketAcceptor({
    ...(options.token === undefined ? {} : { token: options.token }),
    onTransport: (transport) => options.onTransport(transport),
    log: options.log,
  });
  const server = httpServer(options.tlsCert, options.tlsKey, options.cwd);
  const tls = server instanceof HttpsServer;
  server.on('request', (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end(`baton speaks WebSocket at ${WS_PATH}\n`);
  });
  server.on('upgrade', acceptor.handleUpgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new CliError('BATON_CLI_USAGE', `cannot listen on ${options.listen}: ${error.message}`)));
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${tls ? 'wss' : 'ws'}://${shown}:${address.port}${WS_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
