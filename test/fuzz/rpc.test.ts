// The RPC message reader under seeded fuzzing, from bytes to packets to messages: valid
// message streams mutated as bytes, valid packets carrying mutated JSON (malformed text,
// wrong-typed or missing fields, boundary numbers), random JSON and bytes that are not
// UTF-8. decodeMessage never throws: a message it accepts reads back the same once
// re-encoded, and a refusal has a protocol code, names the field at fault, and keeps the
// request's nonce so that the Error reply reaches the request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Channel, HELLO_MAX_BYTES, decodeMessage, encodeMessage, MESSAGE_SPECS, messagePacket, RPC_FILE_NAME, RPC_MIME_TYPE, RPC_TEST_ID, isRpcPacket, type Message, type Transport } from '@baton/protocol';
import { decodeAll, encodePacket, encodePackets, type Packet } from '@baton/subunit';
import { assertExercised, caseCount, fuzz, generateJson, hex, int, jsonCase, mutateBytes, pick, summary, type Outcome, type Rng } from '../utils/fuzz.js';

const SEEDS: Message[] = [
  { msg: 'Hello', max: 2, min: 1, slots: 4, name: 'worker-1', token: 'x'.repeat(32), digest: 'a'.repeat(64) },
  { msg: 'Hello', max: 1, min: 1 },
  { msg: 'Goodbye' },
  { msg: 'List', nonce: '1' },
  { msg: 'List', tests: ['pkg.a', 'pkg.b'], nonce: '2' },
  { msg: 'Run', tests: ['pkg.mod.T.test_1', 'pkg.mod.T.test_é'], nonce: '3', timeout: 60, slot: 0 },
  { msg: 'Run', nonce: '4' },
  { msg: 'Done', nonce: '3' },
  { msg: 'Done', nonce: '3', processes: { fresh: 1, restarts: 0 }, starts: [{ slot: 1, cause: 'fresh', askedMs: 1_700_000_000_100.5, readyMs: 1_700_000_000_106, fromMs: 1_700_000_000_140 }] },
  { msg: 'Cancel', tests: ['pkg.a'], nonce: '5' },
  { msg: 'Cancelled', tests: [], nonce: '5' },
  { msg: 'Ping', nonce: '6' },
  { msg: 'Pong', nonce: '6' },
  { msg: 'Error', code: 'BATON_PROTOCOL_BAD_MESSAGE', message: 'Run.tests must be an array of strings', nonce: '7' },
  { msg: 'Error', code: 'BATON_WORKER_LEAVING', message: 'worker w is leaving' },
];
const TEXTS = SEEDS.map((m) => JSON.stringify(m));
const CODES = new Set(['BATON_PROTOCOL_BAD_MESSAGE', 'BATON_PROTOCOL_UNKNOWN_MESSAGE', 'BATON_PROTOCOL_TOO_LARGE']);
const utf8 = new TextEncoder();

function jsonPacket(content: Uint8Array, r: Rng): Packet {
  const mimeType = r() < 0.9 ? RPC_MIME_TYPE : pick(r, ['application/json; charset=utf-8', 'text/plain', 'APPLICATION/JSON', '']);
  return { testId: RPC_TEST_ID, mimeType, file: { name: r() < 0.9 ? RPC_FILE_NAME : 'other', content }, eof: true };
}

/** The RPC packets of one case: decoded from mutated bytes, or built around mutated JSON. */
function rpcCase(r: Rng): Packet[] {
  switch (int(r, 5)) {
    case 0: {
      const stream = encodePackets(Array.from({ length: 1 + int(r, 4) }, () => messagePacket(pick(r, SEEDS))));
      return decodeAll(mutateBytes(r, stream, [stream])).packets.filter(isRpcPacket);
    }
    case 1:
    case 2:
      return [jsonPacket(utf8.encode(jsonCase(r, SEEDS, TEXTS)), r)];
    case 3:
      return [jsonPacket(utf8.encode(JSON.stringify({ msg: pick(r, Object.keys(MESSAGE_SPECS)), ...(generateJson(r, 2) as object) })), r)];
    default:
      // Not UTF-8 at all, or no attachment.
      return [r() < 0.8 ? jsonPacket(Uint8Array.from({ length: int(r, 64) }, () => int(r, 256)), r) : { testId: RPC_TEST_ID, eof: true }];
  }
}

function checkPacket(packet: Packet): Outcome {
  const decoded = decodeMessage(packet);
  if (decoded.ok) {
    const { message } = decoded;
    assert.ok(Object.hasOwn(MESSAGE_SPECS, message.msg));
    const again = decodeMessage(messagePacket(message));
    assert.ok(again.ok, 'an accepted message re-encodes to one that is accepted');
    // As JSON carries it: -0 crosses as 0.
    assert.deepEqual(again.message, JSON.parse(JSON.stringify(message)), 'and reads back the same');
    return 'accepted';
  }
  const { error, nonce } = decoded;
  assert.ok(CODES.has(error.code), `code ${error.code}`);
  assert.ok(error.message.length > 10, `a message that explains: ${error.message}`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(packet.file?.content));
  } catch {
    return 'refused';
  }
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  // Read (the mime type right, not too large to parse): the Error reply goes to the request that caused it, and
  // a field at fault is named (`Run.tests must be …`).
  if (packet.mimeType !== undefined && !/^application\/json\s*(;|$)/i.test(packet.mimeType)) return 'refused';
  if (error.code === 'BATON_PROTOCOL_TOO_LARGE') return 'refused';
  if (typeof record['nonce'] === 'string' && record['msg'] !== 'Hello') assert.equal(nonce, record['nonce']);
  const name = record['msg'];
  if (typeof name === 'string' && Object.hasOwn(MESSAGE_SPECS, name) && error.code === 'BATON_PROTOCOL_BAD_MESSAGE') {
    assert.match(error.message, new RegExp(`^${name}\\.\\w+ `), `the refusal names the field: ${error.message}`);
  }
  return 'refused';
}

test('the RPC message reader never throws, re-reads what it accepts, and refuses the rest naming the field, over seeded random and mutated packets', (t) => {
  let packets = 0;
  const report = fuzz({
    seed: 20260304,
    cases: caseCount(10_000),
    input: rpcCase,
    check: (input) => {
      let accepted = 0;
      for (const packet of input) if (checkPacket(packet) === 'accepted') accepted++;
      packets += input.length;
      return accepted === input.length && input.length > 0 ? 'accepted' : 'refused';
    },
    show: (input) => input.map((p) => hex(encodePacket(p))).join(' | '),
  });
  t.diagnostic(`${packets} RPC packets; ${report.cases} cases: ${report.accepted} all accepted, ${report.refused} with a refusal; slowest case ${report.slowestCase} took ${report.slowestMs.toFixed(1)} ms`);
  assertExercised(report, { accepted: 1 / 10, refused: 1 / 4 });
});

/** A transport whose bytes the test pushes by hand, synchronously, so a throw lands here. */
function handFed(): { transport: Transport; push: (bytes: Uint8Array) => void } {
  let receive: (bytes: Uint8Array) => void = () => undefined;
  let closed: (error?: Error) => void = () => undefined;
  return {
    transport: {
      send: () => Promise.resolve(),
      onData: (cb) => (receive = cb),
      onClose: (cb) => (closed = cb),
      close: () => closed(),
    },
    push: (bytes) => receive(bytes),
  };
}

test('a worker-side channel fed seeded mutated streams never throws, and closes a peer whose first bytes are not a Hello', (t) => {
  const hello = encodeMessage({ msg: 'Hello', min: 1, max: 2, name: 'coordinator' });
  const stream = encodePackets(SEEDS.filter((m) => m.msg !== 'Hello').map((m) => messagePacket(m)));
  const report = fuzz({
    seed: 20260305,
    cases: caseCount(2_000),
    input: (r) => {
      const body = mutateBytes(r, stream, [stream, hello]);
      const bytes = r() < 0.5 ? Buffer.concat([hello, body]) : body;
      // A splice may have put a Hello first on its own.
      const helloFirst = bytes.length >= hello.length && Buffer.compare(bytes.subarray(0, hello.length), hello) === 0;
      return { helloFirst, bytes, chunk: 1 + int(r, 300) };
    },
    check: ({ helloFirst, bytes, chunk }) => {
      const { transport, push } = handFed();
      const lines: string[] = [];
      const channel = new Channel(transport, { role: 'server', log: (l) => lines.push(l), handlers: { message: () => undefined } });
      for (let at = 0; at < bytes.length; at += chunk) push(bytes.subarray(at, at + chunk));
      const state = channel.state;
      channel.close();
      if (helloFirst) {
        assert.ok(state === 'ready' || state === 'draining' || state === 'lost', state);
        return state === 'lost' ? 'refused' : 'accepted';
      }
      // Without a Hello first, nothing is heard out: the peer is closed, or it has not yet
      // sent one whole packet.
      assert.ok(state === 'lost' || (state === 'connecting' && bytes.length < HELLO_MAX_BYTES), `${state} after ${bytes.length} bytes`);
      assert.deepEqual(lines, [], 'a refused handshake is not logged by the channel');
      return 'refused';
    },
    show: (c) => `hello first: ${c.helloFirst}, chunk ${c.chunk}, ${hex(c.bytes)}`,
  });
  t.diagnostic(summary(report));
  // A damaged packet after the Hello ends the channel too, so most mutated streams are refused.
  assertExercised(report, { accepted: 1 / 40, refused: 1 / 10 });
});
