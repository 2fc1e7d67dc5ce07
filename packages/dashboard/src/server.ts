import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { isLoopback, requireTokenBeyondLoopback } from '@baton/protocol';
import type { SqliteRepository } from '@baton/store';
import { Api, type ApiResponse } from './api.js';
import { DashboardError, HTTP_STATUS, type DashboardErrorCode } from './errors.js';
import type { LiveFeed } from './live.js';

/**
 * The page's files (static/), found from this module both where tsc puts it
 * (packages/dashboard/dist) and inside the CLI's bundle (packages/cli/dist): each sits
 * two levels below the packages folder.
 */
const STATIC_DIR = new URL('../../dashboard/static/', import.meta.url);

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** How long closing waits for requests in flight before it cuts their connections. */
const CLOSE_GRACE_MS = 1000;

/** The cookie a page keeps the token in once it was opened with `?token=`. */
const TOKEN_COOKIE = 'baton_token';

/**
 * No inline script or style, nothing from elsewhere: a test id or traceback that holds
 * markup can never run as code in the page.
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface DashboardOptions {
  /** Where to listen; beyond loopback only with `authorize` (else `BATON_PROTOCOL_TOKEN_REQUIRED`). */
  readonly host: string;
  /** 0 picks a free port (see `Dashboard.url`). */
  readonly port: number;
  readonly repository: SqliteRepository;
  /** The run being watched (`baton run --serve`), if any. */
  readonly live?: LiveFeed | undefined;
  /**
   * Whether a presented token is the secret, compared in constant time; absent: no token
   * is asked for (loopback only). The dashboard never sees the secret itself.
   */
  readonly authorize?: ((token: string | undefined) => boolean) | undefined;
  /** Where refused requests are reported (one line each, naming the address, never a token). */
  readonly log?: ((line: string) => void) | undefined;
}

export interface Dashboard {
  /** Where the page is (the real port when 0 was asked for). */
  readonly url: string;
  close(): Promise<void>;
}

interface StaticFile {
  readonly type: string;
  readonly body: Buffer;
}

function loadStatic(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(STATIC_DIR)) {
    const type = TYPES[extname(name)];
    if (type !== undefined) files.set(`/${name}`, { type, body: readFileSync(new URL(name, STATIC_DIR)) });
  }
  files.set('/', files.get('/index.html')!);
  return files;
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** The token a request presents: a bearer token, the page's cookie, or `?token=`. */
function presented(req: IncomingMessage, url: URL): { token: string | undefined; fromQuery: boolean } {
  const query = url.searchParams.get('token');
  if (query !== null) return { token: query, fromQuery: true };
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7), fromQuery: false };
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) {
      try {
        return { token: decodeURIComponent(value.join('=')), fromQuery: false };
      } catch {
        return { token: undefined, fromQuery: false };
      }
    }
  }
  return { token: undefined, fromQuery: false };
}

/**
 * Whether a request without a token may be answered: only one addressed to this machine
 * by a loopback name, so that a web page elsewhere cannot read the API through a name
 * of its own that resolves to 127.0.0.1 (DNS rebinding).
 */
function loopbackHost(req: IncomingMessage): boolean {
  return isLoopback((req.headers.host ?? '').replace(/:\d+$/, ''));
}

/**
 * Serves the dashboard: the page and its files, the read-only JSON API (`/api/…`) over
 * `repository`, and `/api/live` (server-sent events) when a run is watched.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  requireTokenBeyondLoopback(options.host, options.authorize !== undefined);
  const files = loadStatic();
  const api = new Api(options.repository, options.live !== undefined);
  const { authorize, live } = options;

  const send = (res: ServerResponse, r: ApiResponse, head: boolean) => {
    res.writeHead(r.status, { 'content-type': r.contentType, ...SECURITY_HEADERS, ...r.headers });
    res.end(head ? undefined : r.body);
  };
  const fail = (res: ServerResponse, code: DashboardErrorCode, message: string, head: boolean) =>
    send(res, { status: HTTP_STATUS[code], contentType: 'application/json; charset=utf-8', body: errorBody(code, message) }, head);

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      return fail(res, 'BATON_DASHBOARD_METHOD', `${req.method} ${url.pathname}: the dashboard only reads (GET, HEAD)`, head);
    }
    if (authorize === undefined) {
      if (!loopbackHost(req)) return fail(res, 'BATON_DASHBOARD_UNAUTHORIZED', 'this dashboard answers requests for localhost or 127.0.0.1 only', head);
    } else {
      const { token, fromQuery } = presented(req, url);
      if (!authorize(token)) {
        options.log?.(`refused a dashboard request from ${req.socket.remoteAddress ?? 'an unknown address'}: ${token === undefined ? 'no token' : 'a wrong token'}`);
        return fail(res, 'BATON_DASHBOARD_UNAUTHORIZED', 'this dashboard needs its token: open it as /?token=… (the secret in --token-file) or send "Authorization: Bearer …"', head);
      }
      if (fromQuery) {
        // Out of the address bar and the history at once, into a cookie only this server sees.
        url.searchParams.delete('token');
        res.writeHead(303, {
          location: `${url.pathname}${url.search}`,
          'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token!)}; HttpOnly; SameSite=Strict; Path=/`,
          ...SECURITY_HEADERS,
        });
        return res.end();
      }
    }
    if (url.pathname === '/api/live') {
      if (url.search !== '') return fail(res, 'BATON_DASHBOARD_BAD_PARAM', '/api/live takes no query parameters', head);
      if (live === undefined) return fail(res, 'BATON_DASHBOARD_NOT_FOUND', 'no run is being watched: `baton run --serve` streams one', head);
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', ...SECURITY_HEADERS });
      if (head) return res.end();
      const unsubscribe = live.subscribe(res);
      res.once('close', unsubscribe);
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      try {
        return send(res, api.get(url.pathname, url.searchParams), head);
      } catch (error) {
        if (error instanceof DashboardError) return fail(res, error.code, error.message, head);
        // The repository's own failures (damaged, its disk full) under their codes.
        const code = (error as { code?: unknown }).code;
        const body = errorBody(typeof code === 'string' ? code : 'BATON_DASHBOARD_INTERNAL', String((error as Error).message ?? error));
        return send(res, { status: HTTP_STATUS.BATON_DASHBOARD_INTERNAL, contentType: 'application/json; charset=utf-8', body }, head);
      }
    }
    const file = files.get(url.pathname);
    if (file === undefined) return fail(res, 'BATON_DASHBOARD_NOT_FOUND', `no such page: ${url.pathname}`, head);
    res.writeHead(200, { 'content-type': file.type, ...SECURITY_HEADERS });
    res.end(head ? undefined : file.body);
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new DashboardError('BATON_DASHBOARD_LISTEN', `cannot serve the dashboard on ${options.host}:${options.port}: ${error.message}`, { cause: error })));
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/`,
    // Requests in flight (and the live stream's last bytes) get a moment to finish.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
      }),
  };
}
