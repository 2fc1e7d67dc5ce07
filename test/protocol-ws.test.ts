// The coordinator ↔ worker hop over a real WebSocket on loopback: a coordinator accepts
// workers with a token and drives each one as a test server with several slots.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect as connectTcp, type AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import {
  Channel,
  MAX_MESSAGE_BYTES,
  RPC_TEST_ID,
  TestServerClient,
  encodeMessage,
  WS_PATH,
  WebSocketAcceptor,
  connectWebSocket,
  testListDigest,
  wsTransport,
  ProtocolError,
  type Transport,
  type WebSocketAcceptorOptions,
} from '@baton/protocol';
import { encodePacket } from '@baton/subunit';
import { WebSocket } from 'ws';

const TESTS = ['w.T.test_1', 'w.T.test_2', 'w.T.test_3'];
const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

/** An HTTP server on port 0 with the acceptor on its upgrade event; `accepted` yields the transports. */
async function coordinator(options: Omit<WebSocketAcceptorOptions, 'onTransport'>): Promise<{ url: string; accepted: Transport[]; next: () => Promise<Transport> }> {
  const accepted: Transport[] = [];
  let wake: ((t: Transport) => void) | undefined;
  const acceptor = new WebSocketAcceptor({
    ...options,
    onTransport: (transport) => {
      accepted.push(transport);
      wake?.(transport);
    },
  });
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', acceptor.handleUpgrade);
  server.on('close', () => acceptor.close());
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}${options.path ?? WS_PATH}`,
    accepted,
    next: () => new Promise((resolve) => (wake = resolve)),
  };
}

/** A worker: to the coordinator, a test server with two slots. */
function worker(transport: Transport): Channel {
  const channel: Channel = new Channel(transport, {
    role: 'server',
    hello: { slots: 2, name: 'worker-1', digest: testListDigest(TESTS) },
    log: () => undefined,
    handlers: {
      message(m) {
        if (m.msg === 'List') {
          for (const id of m.tests ?? TESTS) void channel.sendPacket({ testId: id, status: 'exists' });
          void channel.send({ msg: 'Done', nonce: m.nonce });
        } else if (m.msg === 'Run') {
          for (const id of m.tests ?? TESTS) {
            void channel.sendPacket({ testId: id, status: 'inprogress', timestamp: { seconds: 1_700_000_000, nanos: 0 } });
            void channel.sendPacket({ testId: id, status: 'success', timestamp: { seconds: 1_700_000_001, nanos: 5 } });
          }
          void channel.send({ msg: 'Done', nonce: m.nonce });
        } else if (m.msg === 'Cancel') {
          void channel.send({ msg: 'Cancelled', tests: [], nonce: m.nonce });
        } else if (m.msg === 'Goodbye') {
          channel.close();
        }
      },
    },
  });
  return channel;
}

test('a worker connects with the token and is driven as a test server with slots', async () => {
  const c = await coordinator({ token: 'sesame' });
  const arrived = c.next();
  const w = worker(await connectWebSocket(c.url, { token: 'sesame' }));
  const client = await TestServerClient.connect(await arrived, { log: () => undefined });
  assert.equal(client.version, 2);
  assert.equal(client.slots, 2);
  assert.equal(client.peer.name, 'worker-1');
  assert.equal(client.peer.digest, testListDigest(await client.list()));
  const results = await client.run(['w.T.test_2', 'w.T.test_1']).all();
  assert.deepEqual(results.map((r) => [r.id, r.status, r.stop?.nanos]), [['w.T.test_2', 'success', 5], ['w.T.test_1', 'success', 5]]);
  assert.deepEqual(await client.cancel(['w.T.test_3']), []);
  assert.ok((await client.ping()) >= 0);
  assert.equal(await client.goodbye(), undefined);
  assert.deepEqual(await w.closed, { state: 'closed' });
});

test('a missing or wrong token is refused at the upgrade, before anything is read, and logged once naming the address, never the token', async () => {
  const lines: string[] = [];
  const c = await coordinator({ token: 'sesame', log: (line) => lines.push(line) });
  for (const token of [undefined, 'open sesame', '']) {
    await assert.rejects(connectWebSocket(c.url, token === undefined ? {} : { token }), (e: unknown) => {
      assert.ok(e instanceof ProtocolError);
      assert.equal(e.code, 'BATON_PROTOCOL_AUTH');
      // Told apart: none sent (the user forgot --token-file) or a wrong one.
      assert.equal(e.message, `${c.url} ${token === undefined ? 'requires a token' : 'refused the token'} (HTTP 401): give the shared secret it was started with (--token-file)`);
      return true;
    });
  }
  // A hand-made upgrade with a wrong token and protocol bytes straight after the headers:
  // the answer is a bare 401 and the connection ends.
  const { port } = new URL(c.url);
  const socket = connectTcp(Number(port), '127.0.0.1');
  socket.write(
    `GET ${WS_PATH} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
      'Sec-WebSocket-Version: 13\r\nAuthorization: Bearer nope\r\n\r\n\x82\x05hello',
  );
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  await once(socket, 'end');
  const answer = Buffer.concat(chunks).toString();
  assert.match(answer, /^HTTP\/1\.1 401 Unauthorized\r\n/);
  assert.match(answer, /\r\n\r\nbaton: unauthorized: the request sent a wrong bearer token\n$/);
  assert.deepEqual(c.accepted, []);
  assert.equal(lines.length, 4, lines.join('\n'));
  // No header, a wrong token, an empty one, the hand-made upgrade.
  ['no', 'a wrong', 'no', 'a wrong'].forEach((what, i) =>
    assert.match(lines[i]!, new RegExp(`^refused a connection from 127\\.0\\.0\\.1:\\d+: it sent ${what} bearer token \\(HTTP 401 Unauthorized\\)$`)),
  );
  assert.doesNotMatch(lines.join('\n'), /sesame|nope/);
});

/** A connection that passed the bearer check, driven by hand: `frames` go out once it is open. */
async function rawPeer(url: string, token: string, frames: Uint8Array[]): Promise<{ socket: WebSocket; closed: Promise<number>; received: Buffer[] }> {
  const raw = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const received: Buffer[] = [];
  raw.on('message', (data: Buffer) => received.push(data));
  const closed = once(raw, 'close').then(([code]) => code as number);
  await once(raw, 'open');
  for (const frame of frames) raw.send(frame);
  return { socket: raw, closed, received };
}

test('a peer past the bearer check that sends random bytes is closed at once with one error, and its transport names its address', async () => {
  const c = await coordinator({ token: 'sesame' });
  const arrived = c.next();
  const random = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256);
  const peer = await rawPeer(c.url, 'sesame', [random]);
  const lines: string[] = [];
  const transport = await arrived;
  assert.match(transport.peer ?? '', /^127\.0\.0\.1:\d+$/);
  await assert.rejects(TestServerClient.connect(transport, { expectToken: 'sesame', log: (line) => lines.push(line) }), (e: unknown) => {
    assert.ok(e instanceof ProtocolError);
    assert.equal(e.code, 'BATON_PROTOCOL_BAD_MESSAGE');
    assert.match(e.message, /^expected a Hello first, got (\d+ bytes that are not subunit|corrupt subunit packet) at byte 0.*: not a baton peer; closing$/);
    return true;
  });
  await peer.closed;
  // Reported once, by the caller of the handshake; not a line per damaged packet.
  assert.deepEqual(lines, []);
});

test('a peer past the bearer check whose Hello carries no token or a wrong one is refused before any command, the tokens never said', async () => {
  for (const token of [undefined, 'open sesame']) {
    const c = await coordinator({ token: 'sesame' });
    const arrived = c.next();
    const hello = encodeMessage({ msg: 'Hello', min: 1, max: 2, slots: 1, ...(token === undefined ? {} : { token }) });
    const peer = await rawPeer(c.url, 'sesame', [hello]);
    const lines: string[] = [];
    await assert.rejects(TestServerClient.connect(await arrived, { expectToken: 'sesame', log: (line) => lines.push(line) }), (e: unknown) => {
      assert.ok(e instanceof ProtocolError);
      assert.equal(e.code, 'BATON_PROTOCOL_AUTH');
      assert.match(e.message, new RegExp(`the peer's Hello carries ${token === undefined ? 'no' : 'a wrong'} token`));
      assert.doesNotMatch(e.message, /sesame/);
      return true;
    });
    await peer.closed;
    assert.deepEqual(lines, []);
  }
});

test('a message over MAX_MESSAGE_BYTES is refused and the connection closed', async () => {
  const c = await coordinator({ token: 'sesame' });
  const arrived = c.next();
  const hello = encodeMessage({ msg: 'Hello', min: 1, max: 2, token: 'sesame' });
  const big = encodePacket({ testId: RPC_TEST_ID, mimeType: 'application/json', file: { name: 'message', content: new TextEncoder().encode(JSON.stringify({ msg: 'Done', nonce: 'x'.repeat(MAX_MESSAGE_BYTES) })) } });
  const peer = await rawPeer(c.url, 'sesame', [hello]);
  const lines: string[] = [];
  const client = await TestServerClient.connect(await arrived, { expectToken: 'sesame', heartbeat: false, log: (line) => lines.push(line) });
  peer.socket.send(big);
  const info = await client.channel.closed;
  assert.equal(info.error?.code, 'BATON_PROTOCOL_TOO_LARGE');
  assert.equal(await peer.closed, 1000);
  assert.match(lines.join('\n'), /BATON_PROTOCOL_TOO_LARGE: the message at byte \d+: message of \d+ bytes exceeds the limit of 1048576 bytes; closing/);
});

test('an unknown path is refused', async () => {
  const c = await coordinator({});
  await assert.rejects(connectWebSocket(c.url.replace(WS_PATH, '/elsewhere')), (e: unknown) => e instanceof ProtocolError && /HTTP 404/.test(e.message));
  assert.deepEqual(c.accepted, []);
});

test('frames are bounded: big sends are split, a frame over maxPayload drops the peer', async () => {
  const c = await coordinator({ maxPayload: 64 });
  const arrived = c.next();
  worker(await connectWebSocket(c.url, { maxPayload: 64 }));
  const client = await TestServerClient.connect(await arrived, { log: () => undefined });
  // Every packet here is longer than one 64-byte frame, so each crossed as several.
  assert.deepEqual(await client.list(), TESTS);
  await client.goodbye();

  const next = c.next();
  const raw = new WebSocket(c.url);
  await once(raw, 'open');
  const channel = new Channel(await next, { role: 'client', heartbeat: false, log: () => undefined });
  raw.send(new Uint8Array(65));
  const [code] = (await once(raw, 'close')) as [number];
  assert.equal(code, 1009);
  const closed = await channel.closed;
  assert.equal(closed.error?.code, 'BATON_PROTOCOL_PEER_LOST');
  assert.match(closed.error?.message ?? '', /Max payload size exceeded/);
});

test('a worker cut off without its socket closing is lost at the heartbeat timeout, not after a closing handshake it never answers', async () => {
  const c = await coordinator({});
  const arrived = c.next();
  const raw = new WebSocket(c.url);
  await once(raw, 'open');
  worker(wsTransport(raw));
  const client = await TestServerClient.connect(await arrived, { heartbeat: { intervalMs: 50, timeoutMs: 200 }, log: () => undefined });
  assert.deepEqual(await client.list(), TESTS);
  // The network goes silent: the worker's end reads nothing more and answers nothing,
  // a close handshake included (as a dropped link or a frozen machine would).
  (raw as unknown as { _socket: { pause(): void } })._socket.pause();
  const ended = await Promise.race([client.ended, new Promise((resolve) => setTimeout(() => resolve('still waiting after 10 s'), 10_000).unref())]);
  assert.match(String(ended), /did not answer a Ping within 200 ms/);
  raw.terminate();
});
