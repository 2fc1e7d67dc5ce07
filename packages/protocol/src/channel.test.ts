import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodePacket, type Packet } from '@baton/subunit';
import {
  Channel,
  GOODBYE_TIMEOUT_MS,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  HELLO_MAX_BYTES,
  HELLO_TIMEOUT_MS,
  type ChannelOptions,
} from './channel.js';
import { ProtocolError } from './errors.js';
import { RPC_TEST_ID, type Message } from './messages.js';
import { FakeClock } from './test-kit.js';
import { RawPeer } from './test-support/raw-peer.js';
import type { Transport } from './transport.js';
import { memoryPair } from './transports/memory.js';

const quiet = (lines: string[] = []): ((line: string) => void) => (line) => lines.push(line);

/** Two channels over a memoryPair, on one fake clock: no real timer is ever armed. */
function pair(client: Partial<ChannelOptions> = {}, server: Partial<ChannelOptions> = {}): { client: Channel; server: Channel; clock: FakeClock } {
  const [a, b] = memoryPair();
  const clock = new FakeClock();
  return {
    client: new Channel(a, { role: 'client', log: quiet(), heartbeat: false, clock, ...client }),
    server: new Channel(b, { role: 'server', log: quiet(), clock, ...server }),
    clock,
  };
}

/** Pings a RawPeer received so far. */
const pings = (raw: RawPeer): number => raw.messages.filter((m) => m.msg === 'Ping').length;

function rejectsWith(promise: Promise<unknown>, code: string, text?: RegExp): Promise<void> {
  return assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof ProtocolError, `not a ProtocolError: ${String(e)}`);
    assert.equal(e.code, code);
    if (text) assert.match(e.message, text);
    return true;
  });
}

test('the handshake settles on the highest common version and shares the Hello fields', async () => {
  const { client, server } = pair({ hello: { name: 'coordinator' } }, { hello: { slots: 4, name: 'w1', digest: 'd' } });
  assert.equal(client.state, 'helloSent');
  assert.equal(server.state, 'connecting');
  const [c, s] = await Promise.all([client.ready, server.ready]);
  assert.equal(c.version, 2);
  assert.equal(s.version, 2);
  assert.deepEqual(c.peer, { msg: 'Hello', max: 2, min: 1, slots: 4, name: 'w1', digest: 'd' });
  assert.equal(s.peer.name, 'coordinator');
  assert.equal(client.state, 'ready');
  assert.equal(server.state, 'ready');
});

test('a version 1 peer works at version 1, and version 2 requests are refused clearly', async () => {
  const { client, server } = pair({}, { versions: { min: 1, max: 1 } });
  assert.equal((await client.ready).version, 1);
  assert.equal(client.supports('Cancel'), false);
  assert.equal(client.supports('Run'), true);
  await rejectsWith(client.ping(), 'BATON_PROTOCOL_UNSUPPORTED', /^Ping needs protocol version 2, but the peer negotiated version 1$/);
  await rejectsWith(client.request({ msg: 'Cancel', tests: ['a'] }), 'BATON_PROTOCOL_UNSUPPORTED');
  assert.equal(server.version, 1);
});

for (const [what, clientVersions, serverVersions] of [
  ['newer client, older server', { min: 3, max: 4 }, { min: 1, max: 2 }],
  ['older client, newer server', { min: 1, max: 2 }, { min: 3, max: 3 }],
] as const) {
  test(`no common version (${what}) fails both ends, naming both ranges`, async () => {
    const serverLog: string[] = [];
    const { client, server } = pair({ versions: clientVersions }, { versions: serverVersions, log: quiet(serverLog) });
    const ours = `${clientVersions.min}..${clientVersions.max}`;
    const theirs = serverVersions.min === serverVersions.max ? `version ${serverVersions.min}` : `versions ${serverVersions.min}..${serverVersions.max}`;
    await rejectsWith(client.ready, 'BATON_PROTOCOL_NO_COMMON_VERSION', new RegExp(`this end speaks versions ${ours}, the peer speaks ${theirs}`));
    await rejectsWith(server.ready, 'BATON_PROTOCOL_NO_COMMON_VERSION');
    assert.equal((await client.closed).state, 'lost');
    assert.equal((await server.closed).error?.code, 'BATON_PROTOCOL_NO_COMMON_VERSION');
    // Reported once, by whoever awaits the handshake, not logged as well.
    assert.deepEqual(serverLog, []);
  });
}

test('the refusal reaches a peer before the channel closes', async () => {
  const [a, b] = memoryPair();
  const raw = new RawPeer(a);
  const server = new Channel(b, { role: 'server', log: quiet() });
  raw.send({ msg: 'Hello', min: 5, max: 6 });
  await rejectsWith(server.ready, 'BATON_PROTOCOL_NO_COMMON_VERSION');
  await raw.closed;
  assert.deepEqual(raw.messages.map((m) => m.msg), ['Hello', 'Error']);
  assert.equal((await raw.next('Error')).code, 'BATON_PROTOCOL_NO_COMMON_VERSION');
});

test('a peer that never says Hello is a clear error at HELLO_TIMEOUT_MS, and not before', async () => {
  const [a, b] = memoryPair();
  const raw = new RawPeer(a);
  const clock = new FakeClock();
  const server = new Channel(b, { role: 'server', log: quiet(), clock });
  await clock.advanceAsync(HELLO_TIMEOUT_MS - 1);
  assert.equal(server.state, 'connecting');
  await clock.advanceAsync(1);
  await rejectsWith(server.ready, 'BATON_PROTOCOL_HELLO_TIMEOUT', new RegExp(`^no Hello from the peer within ${HELLO_TIMEOUT_MS} ms: is it a baton test server`));
  const error = await raw.next('Error');
  assert.equal(error.code, 'BATON_PROTOCOL_HELLO_TIMEOUT');
  assert.equal(server.state, 'lost');
});

test('a command before Hello is refused and the peer closed at once', async () => {
  const [a, b] = memoryPair();
  const raw = new RawPeer(a);
  const seen: Message[] = [];
  const lines: string[] = [];
  const server = new Channel(b, { role: 'server', log: quiet(lines), handlers: { message: (m) => seen.push(m) } });
  raw.send({ msg: 'Run', nonce: 'early' });
  raw.send({ msg: 'Hello', min: 1, max: 2 });
  const error = await raw.next('Error');
  assert.deepEqual(error, { msg: 'Error', code: 'BATON_PROTOCOL_BAD_MESSAGE', message: 'expected a Hello first, got Run: not a baton peer; closing' });
  await rejectsWith(server.ready, 'BATON_PROTOCOL_BAD_MESSAGE', /^expected a Hello first, got Run: not a baton peer; closing$/);
  await raw.closed;
  assert.equal((await server.closed).state, 'lost');
  assert.deepEqual(seen, []);
  assert.deepEqual(lines, []);
});

for (const [what, bytes, said] of [
  ['random bytes', Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251), /got \d+ bytes that are not subunit at byte 0|corrupt subunit packet at byte \d+/],
  ['a corrupt packet', Uint8Array.from([0xb3, 0x29, 0x01, 0x05, 0, 0, 0, 0, 0]), /got corrupt subunit packet at byte 0: /],
  ['a test result', encodePacket({ testId: 'pkg.T.test_a', status: 'success' }), /got a packet for test "pkg\.T\.test_a" at byte 0/],
  ['malformed JSON', encodePacket({ testId: RPC_TEST_ID, mimeType: 'application/json', file: { name: 'message', content: new TextEncoder().encode('{"msg":') } }), /got at byte 0, message is not UTF-8 JSON/],
] as const) {
  test(`a peer whose first bytes are ${what} is closed at once with one error, not a log line per packet`, async () => {
    const [a, b] = memoryPair();
    const raw = new RawPeer(a);
    const lines: string[] = [];
    const server = new Channel(b, { role: 'server', log: quiet(lines) });
    raw.sendBytes(bytes);
    raw.sendBytes(bytes);
    await raw.closed;
    const info = await server.closed;
    assert.equal(info.state, 'lost');
    assert.equal(info.error?.code, 'BATON_PROTOCOL_BAD_MESSAGE');
    assert.match(info.error.message, /^expected a Hello first, /);
    assert.match(info.error.message, said);
    assert.deepEqual(lines, []);
    await rejectsWith(server.ready, 'BATON_PROTOCOL_BAD_MESSAGE');
  });
}

test('after the handshake a corrupt packet ends the channel: one line naming the peer, and a BATON_PROTOCOL_CORRUPT loss', async () => {
  const [a, b] = memoryPair();
  const raw = new RawPeer(a);
  const lines: string[] = [];
  const named: Transport = { peer: '198.51.100.7:4242', send: (x) => b.send(x), onData: (cb) => b.onData(cb), onClose: (cb) => b.onClose(cb), close: () => b.close() };
  const server = new Channel(named, { role: 'server', log: quiet(lines) });
  raw.send({ msg: 'Hello', min: 1, max: 2 });
  await server.ready;
  raw.sendBytes(Uint8Array.from([0xb3, 0x29, 0x01, 0x05, 0, 0, 0, 0, 0]));
  raw.send({ msg: 'Ping', nonce: 'after' });
  const info = await server.closed;
  assert.equal(info.state, 'lost');
  assert.equal(info.error?.code, 'BATON_PROTOCOL_CORRUPT');
  assert.deepEqual(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, /^peer 198\.51\.100\.7:4242: BATON_PROTOCOL_CORRUPT: the peer's channel is corrupt \(.*at byte \d+.*\); closing it$/);
});

test('a peer that sends HELLO_MAX_BYTES without a Hello (one packet that never ends) is closed', async () => {
  const [a, b] = memoryPair();
  const lines: string[] = [];
  const server = new Channel(b, { role: 'server', log: quiet(lines) });
  // A packet header claiming 4 MiB, its bytes trickling in: not buffered up to 4 MiB.
  const header = Uint8Array.from([0xb3, 0x20, 0x00, 0xbf, 0xff, 0xff]);
  void a.send(header);
  for (let sent = 0; sent <= HELLO_MAX_BYTES; sent += 8192) void a.send(new Uint8Array(8192));
  const info = await server.closed;
  assert.equal(info.error?.code, 'BATON_PROTOCOL_TOO_LARGE');
  assert.equal(info.error.message, `the peer sent ${HELLO_MAX_BYTES} bytes without a Hello: it is not a baton peer; closing`);
  assert.deepEqual(lines, []);
});

test('List and Run: commands reach the server handler, packets and Done flow back', async () => {
  const packets: Packet[] = [];
  const [a, b] = memoryPair();
  const server: Channel = new Channel(b, {
    role: 'server',
    log: quiet(),
    handlers: {
      message(m) {
        if (m.msg !== 'List' && m.msg !== 'Run') return;
        for (const id of m.tests ?? ['t1', 't2']) void server.sendPacket({ testId: id, status: m.msg === 'List' ? 'exists' : 'success' });
        void server.send({ msg: 'Done', nonce: m.nonce });
      },
    },
  });
  const client = new Channel(a, { role: 'client', log: quiet(), heartbeat: false, handlers: { packet: (p) => packets.push(p) } });
  await client.ready;
  await client.request({ msg: 'List' });
  await client.request({ msg: 'Run', tests: ['t2'] });
  assert.deepEqual(
    packets.map((p) => `${p.testId}:${p.status}`),
    ['t1:exists', 't2:exists', 't2:success'],
  );
});

test('malformed JSON and unknown messages get an Error reply and a log line, and the channel lives on', async () => {
  const [a, b] = memoryPair();
  const raw = new RawPeer(a);
  const lines: string[] = [];
  const server = new Channel(b, { role: 'server', log: quiet(lines) });
  raw.send({ msg: 'Hello', min: 1, max: 2 });
  await server.ready;
  raw.sendPacket({ testId: RPC_TEST_ID, mimeType: 'application/json', file: { name: 'message', content: new TextEncoder().encode('{"msg": "Run", "nonce": ') } });
  raw.sendPacket({ testId: RPC_TEST_ID, mimeType: 'application/json', file: { name: 'message', content: new TextEncoder().encode('{"msg":"Explode","nonce":"u1"}') } });
  raw.send({ msg: 'Done', nonce: 'wrong-direction' });
  raw.send({ msg: 'Ping', nonce: 'alive' });
  assert.deepEqual(await raw.next('Pong'), { msg: 'Pong', nonce: 'alive' });
  const errors = raw.messages.filter((m) => m.msg === 'Error');
  assert.deepEqual(
    errors.map((e) => e.msg === 'Error' && [e.code, e.nonce]),
    [
      ['BATON_PROTOCOL_BAD_MESSAGE', undefined],
      ['BATON_PROTOCOL_UNKNOWN_MESSAGE', 'u1'],
      ['BATON_PROTOCOL_BAD_MESSAGE', 'wrong-direction'],
    ],
  );
  assert.equal(lines.length, 3);
  assert.match(lines[1]!, /^BATON_PROTOCOL_UNKNOWN_MESSAGE: the message at byte \d+: unknown message 'Explode'$/);
  assert.match(lines[2]!, /^BATON_PROTOCOL_BAD_MESSAGE: Done is sent by the server, and this end is the server$/);
  assert.equal(server.state, 'ready');
});

test('an oversized message is refused with TOO_LARGE and the channel closed', async () => {
  const [a, b] = memoryPair();
  const raw = new RawPeer(a);
  const lines: string[] = [];
  const server = new Channel(b, { role: 'server', log: quiet(lines) });
  raw.send({ msg: 'Hello', min: 1, max: 2 });
  await server.ready;
  const json = JSON.stringify({ msg: 'Run', nonce: 'big', tests: [ 'x'.repeat(1024 * 1024) ] });
  raw.sendBytes(encodePacket({ testId: RPC_TEST_ID, mimeType: 'application/json', file: { name: 'message', content: new TextEncoder().encode(json) } }));
  const error = await raw.next('Error');
  assert.equal(error.code, 'BATON_PROTOCOL_TOO_LARGE');
  assert.equal(error.nonce, undefined);
  await raw.closed;
  assert.equal((await server.closed).error?.code, 'BATON_PROTOCOL_TOO_LARGE');
  assert.match(lines.join('\n'), /^BATON_PROTOCOL_TOO_LARGE: the message at byte \d+: message of 1048\d+ bytes exceeds the limit of 1048576 bytes; closing$/);
});

test('at version 1 bad messages are only logged: version 1 has no Error message', async () => {
  const [a, b] = memoryPair();
  const raw = new RawPeer(a);
  const lines: string[] = [];
  const server = new Channel(b, { role: 'server', log: quiet(lines), handlers: { message: (m) => m.msg === 'List' && void server.send({ msg: 'Done', nonce: m.nonce }) } });
  raw.send({ msg: 'Hello', min: 1, max: 1 });
  await server.ready;
  raw.send({ msg: 'Ping', nonce: 'p' });
  raw.send({ msg: 'List', nonce: 'l' });
  await raw.next('Done');
  assert.deepEqual(raw.messages.map((m) => m.msg), ['Hello', 'Done']);
  assert.deepEqual(lines, ['BATON_PROTOCOL_UNKNOWN_MESSAGE: Ping is not part of protocol version 1']);
});

test('a server that wants a token refuses a Hello without it, before any command', async () => {
  for (const token of [undefined, 'wrong']) {
    const seen: Message[] = [];
    const { client, server } = pair(token === undefined ? {} : { hello: { token } }, { expectToken: 'sesame', handlers: { message: (m) => seen.push(m) } });
    await rejectsWith(server.ready, 'BATON_PROTOCOL_AUTH', new RegExp(`carries ${token === undefined ? 'no' : 'a wrong'} token`));
    await rejectsWith(client.ready, 'BATON_PROTOCOL_AUTH', /^peer reported: /);
    assert.deepEqual(seen, []);
  }
  const { client, server } = pair({ hello: { token: 'sesame' } }, { expectToken: 'sesame' });
  await Promise.all([client.ready, server.ready]);
});

test('Goodbye drains and closes both ends cleanly', async () => {
  const got: string[] = [];
  const [a, b] = memoryPair();
  const server: Channel = new Channel(b, {
    role: 'server',
    log: quiet(),
    handlers: { message: (m) => { got.push(m.msg); if (m.msg === 'Goodbye') server.close(); } },
  });
  const client = new Channel(a, { role: 'client', log: quiet(), heartbeat: false });
  await client.ready;
  assert.deepEqual(await client.goodbye(), { state: 'closed' });
  assert.deepEqual(await server.closed, { state: 'closed' });
  assert.deepEqual(got, ['Goodbye']);
  await rejectsWith(client.request({ msg: 'List' }), 'BATON_PROTOCOL_NOT_READY', /the channel is closed/);
});

test('a peer that vanishes fails pending requests with PEER_LOST', async () => {
  const [a, b] = memoryPair();
  const raw = new RawPeer(b);
  const client = new Channel(a, { role: 'client', log: quiet(), heartbeat: false });
  raw.send({ msg: 'Hello', min: 1, max: 2 });
  await client.ready;
  const run = client.request({ msg: 'Run', tests: ['t'] });
  await raw.next('Run');
  raw.close();
  await rejectsWith(run, 'BATON_PROTOCOL_PEER_LOST', /without Goodbye/);
  assert.equal(client.state, 'lost');
  assert.equal((await client.closed).error?.code, 'BATON_PROTOCOL_PEER_LOST');
});

test('an Error reply rejects the request it names', async () => {
  const [a, b] = memoryPair();
  const raw = new RawPeer(b, (m, peer) => {
    if (m.msg === 'Run') peer.send({ msg: 'Error', code: 'BATON_WORKER_BUSY', message: 'no free slot', nonce: m.nonce });
  });
  const client = new Channel(a, { role: 'client', log: quiet(), heartbeat: false });
  raw.send({ msg: 'Hello', min: 1, max: 2 });
  await client.ready;
  await rejectsWith(client.request({ msg: 'Run' }), 'BATON_PROTOCOL_PEER_ERROR', /^peer reported BATON_WORKER_BUSY: no free slot$/);
  assert.equal(client.state, 'ready');
});

test('heartbeats: a Ping every interval while the peer answers; the first one unanswered fails the channel at the timeout', async () => {
  const [a, b] = memoryPair();
  let answering = true;
  const raw = new RawPeer(b, (m, peer) => {
    if (m.msg === 'Ping' && answering) peer.send({ msg: 'Pong', nonce: m.nonce });
  });
  const clock = new FakeClock();
  const client = new Channel(a, { role: 'client', log: quiet(), clock });
  raw.send({ msg: 'Hello', min: 1, max: 2 });
  await client.ready;
  await clock.advanceAsync(HEARTBEAT_INTERVAL_MS - 1);
  assert.equal(pings(raw), 0);
  await clock.advanceAsync(1);
  assert.equal(pings(raw), 1);
  await clock.advanceAsync(2 * HEARTBEAT_INTERVAL_MS);
  assert.equal(pings(raw), 3);

  answering = false;
  await clock.advanceAsync(HEARTBEAT_INTERVAL_MS);
  assert.equal(pings(raw), 4);
  // One Ping at a time: none while the fourth waits for its Pong.
  await clock.advanceAsync(HEARTBEAT_TIMEOUT_MS - 1);
  assert.equal(client.state, 'ready');
  assert.equal(pings(raw), 4);
  await clock.advanceAsync(1);
  const closed = await client.closed;
  assert.equal(closed.error?.code, 'BATON_PROTOCOL_HEARTBEAT_TIMEOUT');
  assert.match(closed.error?.message ?? '', new RegExp(`did not answer a Ping within ${HEARTBEAT_TIMEOUT_MS} ms: the peer itself is stuck`));
  assert.equal((await raw.next('Error')).code, 'BATON_PROTOCOL_HEARTBEAT_TIMEOUT');
});

test('a peer that answers Pings but leaves a Cancel unanswered is dropped at the Ping timeout, not before', async () => {
  const [a, b] = memoryPair();
  const raw = new RawPeer(b, (m, peer) => {
    if (m.msg === 'Ping') peer.send({ msg: 'Pong', nonce: m.nonce });
  });
  const clock = new FakeClock();
  const client = new Channel(a, { role: 'client', log: quiet(), clock });
  raw.send({ msg: 'Hello', min: 1, max: 2 });
  await client.ready;
  assert.equal(client.answerTimeoutMs, HEARTBEAT_TIMEOUT_MS);
  const cancel = client.request({ msg: 'Cancel', tests: ['t.a'] }, client.answerTimeoutMs);
  await clock.advanceAsync(HEARTBEAT_TIMEOUT_MS - 1);
  assert.equal(client.state, 'ready');
  await clock.advanceAsync(1);
  await rejectsWith(cancel, 'BATON_PROTOCOL_NO_ANSWER', new RegExp(`did not answer a Cancel within ${HEARTBEAT_TIMEOUT_MS} ms, which a live peer answers at once`));
  const closed = await client.closed;
  assert.equal(closed.state, 'lost');
  assert.equal(closed.error?.code, 'BATON_PROTOCOL_NO_ANSWER');
  assert.equal(pings(raw), HEARTBEAT_TIMEOUT_MS / HEARTBEAT_INTERVAL_MS - 1, 'the peer kept answering Pings meanwhile');
});

test('an answered request disarms its deadline', async () => {
  const { client, server, clock } = pair({}, { handlers: {} });
  await Promise.all([client.ready, server.ready]);
  await client.request({ msg: 'Ping' }, HEARTBEAT_TIMEOUT_MS);
  assert.equal(clock.pending, 0, 'no timer left armed');
  await clock.advanceAsync(2 * HEARTBEAT_TIMEOUT_MS);
  assert.equal(client.state, 'ready');
  client.close();
});

test('silenceMs: the Pinged end drops a peer that went silent (a cut network) after silenceMs, and keeps one that Pings', async () => {
  const silenceMs = HEARTBEAT_INTERVAL_MS + HEARTBEAT_TIMEOUT_MS;
  const silent = pair({ heartbeat: false }, { silenceMs });
  await silent.server.ready;
  await silent.clock.advanceAsync(silenceMs - 1);
  assert.equal(silent.server.state, 'ready');
  await silent.clock.advanceAsync(silenceMs / 8);
  const info = await silent.server.closed;
  assert.equal(info.state, 'lost');
  assert.equal(info.error?.code, 'BATON_PROTOCOL_HEARTBEAT_TIMEOUT');
  assert.match(info.error?.message ?? '', new RegExp(`nothing from the peer for ${silenceMs / 1000} s, not even a Ping`));

  const alive = pair({ heartbeat: { intervalMs: HEARTBEAT_INTERVAL_MS, timeoutMs: HEARTBEAT_TIMEOUT_MS } }, { silenceMs });
  await alive.server.ready;
  // Many silence windows pass; the Pings keep it open.
  await alive.clock.advanceAsync(10 * silenceMs);
  assert.equal(alive.server.state, 'ready');
  alive.client.close();
  await alive.server.closed;
});

test('Goodbye to a server that never closes: the client closes it after GOODBYE_TIMEOUT_MS', async () => {
  const { client, server, clock } = pair({}, { handlers: { message: () => undefined } });
  await Promise.all([client.ready, server.ready]);
  let ended = false;
  const closing = client.goodbye().then((info) => ((ended = true), info));
  await clock.advanceAsync(GOODBYE_TIMEOUT_MS - 1);
  assert.equal(ended, false);
  assert.equal(client.state, 'draining');
  await clock.advanceAsync(1);
  assert.deepEqual(await closing, { state: 'closed' });
  assert.equal((await server.closed).state, 'closed');
});
