import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeAll, encodePacket, type Packet } from '@baton/subunit';
import { decodeMessage, encodeMessage, isRpcPacket, messagePacket } from './codec.js';
import { ProtocolError } from './errors.js';
import { MAX_MESSAGE_BYTES, RPC_TEST_ID, type Message } from './messages.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const jsonPacket = (json: string, mimeType = 'application/json'): Packet => ({
  testId: RPC_TEST_ID,
  mimeType,
  file: { name: 'message', content: new TextEncoder().encode(json) },
  eof: true,
});

test('encodes messages byte for byte as python-subunit does', () => {
  // Written by python-subunit's StreamResultToBytes.status(test_id='testrepository-rpc',
  // file_name='message', file_bytes=<json>, mime_type='application/json', eof=True).
  assert.equal(
    hex(encodeMessage({ msg: 'Hello', max: 1, min: 1 })),
    'b32970405512746573747265706f7369746f72792d727063106170706c69636174696f6e2f6a736f6e076d6573736167651f7b226d7367223a2248656c6c6f222c226d6178223a312c226d696e223a317d85f1ddd3',
  );
  assert.equal(
    hex(encodeMessage({ msg: 'Run', tests: ['a.b'], nonce: '7' })),
    'b32970405f12746573747265706f7369746f72792d727063106170706c69636174696f6e2f6a736f6e076d657373616765297b226d7367223a2252756e222c227465737473223a5b22612e62225d2c226e6f6e6365223a2237227d3c33daf9',
  );
});

test('every message round-trips through a packet', () => {
  const messages: Message[] = [
    { msg: 'Hello', max: 2, min: 1, slots: 4, name: 'w1', token: 't', digest: 'abc' },
    { msg: 'Goodbye' },
    { msg: 'List', nonce: 'n' },
    { msg: 'List', tests: ['a', 'b'], nonce: 'n' },
    { msg: 'Run', tests: ['b', 'a'], nonce: 'n', timeout: 2.5 },
    { msg: 'Run', tests: ['c'], nonce: 'n', slot: 0 },
    { msg: 'Run', tests: ['c'], nonce: 'n', slot: 1, fresh: true },
    { msg: 'Done', nonce: 'n' },
    { msg: 'Done', nonce: 'n', processes: { fresh: 2, restarts: 0 } },
    {
      msg: 'Done', nonce: 'n', processes: { fresh: 1, restarts: 1 },
      starts: [
        { slot: 1, cause: 'fresh', askedMs: 1_700_000_000_100.25, readyMs: 1_700_000_000_106.5, fromMs: 1_700_000_000_140 },
        { slot: 0, cause: 'restart', askedMs: 1_700_000_001_000, readyMs: 1_700_000_001_040, fromMs: 1_700_000_001_041 },
      ],
    },
    { msg: 'Cancel', tests: ['x'], nonce: 'c' },
    { msg: 'Cancel', tests: ['x', 'y', 'z'], nonce: 'c', groups: [2, 1] },
    { msg: 'Cancelled', tests: [], nonce: 'c' },
    { msg: 'Ping', nonce: 'p' },
    { msg: 'Pong', nonce: 'p' },
    { msg: 'Error', code: 'BATON_PROTOCOL_BAD_MESSAGE', message: 'no', nonce: 'n' },
  ];
  for (const message of messages) {
    const { packets, errors } = decodeAll(encodeMessage(message));
    assert.deepEqual(errors, []);
    assert.equal(packets.length, 1);
    assert.ok(isRpcPacket(packets[0]!));
    assert.deepEqual(decodeMessage(packets[0]!), { ok: true, message });
  }
});

test('unknown fields are dropped, so newer peers may add optional ones', () => {
  const decoded = decodeMessage(jsonPacket('{"msg":"Done","nonce":"1","extra":{"x":1}}'));
  assert.deepEqual(decoded, { ok: true, message: { msg: 'Done', nonce: '1' } });
  const counted = decodeMessage(jsonPacket('{"msg":"Done","nonce":"1","processes":{"fresh":1,"restarts":2,"later":3}}'));
  assert.deepEqual(counted, { ok: true, message: { msg: 'Done', nonce: '1', processes: { fresh: 1, restarts: 2 } } });
  const started = decodeMessage(jsonPacket('{"msg":"Done","nonce":"1","starts":[{"slot":0,"cause":"fresh","askedMs":1,"readyMs":2,"fromMs":3,"pid":42}]}'));
  assert.deepEqual(started, { ok: true, message: { msg: 'Done', nonce: '1', starts: [{ slot: 0, cause: 'fresh', askedMs: 1, readyMs: 2, fromMs: 3 }] } });
});

test('bad packets come back as errors with their nonce, never as throws', () => {
  const table: [Packet, string, string, string | undefined][] = [
    [jsonPacket('{"msg":"Run",'), 'BATON_PROTOCOL_BAD_MESSAGE', 'message is not UTF-8 JSON', undefined],
    [jsonPacket('[1]'), 'BATON_PROTOCOL_BAD_MESSAGE', 'message is not a JSON object', undefined],
    [jsonPacket('{"nonce":"4"}'), 'BATON_PROTOCOL_BAD_MESSAGE', "message has no string 'msg' field", '4'],
    [jsonPacket('{"msg":"Launch","nonce":"5"}'), 'BATON_PROTOCOL_UNKNOWN_MESSAGE', "unknown message 'Launch'", '5'],
    [jsonPacket('{"msg":"Run","nonce":6}'), 'BATON_PROTOCOL_BAD_MESSAGE', 'Run.nonce must be a string', undefined],
    [jsonPacket('{"msg":"Run","nonce":"7","tests":[1]}'), 'BATON_PROTOCOL_BAD_MESSAGE', 'Run.tests must be an array of strings', '7'],
    [jsonPacket('{"msg":"Run","nonce":"8","timeout":0}'), 'BATON_PROTOCOL_BAD_MESSAGE', 'Run.timeout must be a number of seconds > 0', '8'],
    [jsonPacket('{"msg":"Run","nonce":"8","slot":-1}'), 'BATON_PROTOCOL_BAD_MESSAGE', 'Run.slot must be an integer >= 0', '8'],
    [jsonPacket('{"msg":"Run","nonce":"8","slot":1.5}'), 'BATON_PROTOCOL_BAD_MESSAGE', 'Run.slot must be an integer >= 0', '8'],
    [jsonPacket('{"msg":"Run","nonce":"8","fresh":1}'), 'BATON_PROTOCOL_BAD_MESSAGE', 'Run.fresh must be true or false', '8'],
    [jsonPacket('{"msg":"Cancel","nonce":"c","tests":["a","b"],"groups":[1]}'), 'BATON_PROTOCOL_BAD_MESSAGE', 'Cancel.groups must add up to the 2 tests of the Cancel, not 1', 'c'],
    [jsonPacket('{"msg":"Cancel","nonce":"c","tests":["a","b"],"groups":[2,0]}'), 'BATON_PROTOCOL_BAD_MESSAGE', 'Cancel.groups must be an array of integers >= 1', 'c'],
    [jsonPacket('{"msg":"Cancel","nonce":"c","tests":["a"],"groups":"1"}'), 'BATON_PROTOCOL_BAD_MESSAGE', 'Cancel.groups must be an array of integers >= 1', 'c'],
    [jsonPacket('{"msg":"Done","nonce":"d","processes":{"fresh":-1,"restarts":0}}'), 'BATON_PROTOCOL_BAD_MESSAGE', 'Done.processes must be an object with integers >= 0 fresh and restarts', 'd'],
    [jsonPacket('{"msg":"Done","nonce":"d","starts":[{"slot":0,"cause":"crash","askedMs":1,"readyMs":2,"fromMs":3}]}'), 'BATON_PROTOCOL_BAD_MESSAGE', "Done.starts must be an array of objects with an integer slot >= 0, a cause 'fresh' or 'restart'", 'd'],
    [jsonPacket('{"msg":"Done","nonce":"d","starts":[{"slot":0,"cause":"fresh","askedMs":1,"readyMs":2}]}'), 'BATON_PROTOCOL_BAD_MESSAGE', 'Done.starts must be an array of objects', 'd'],
    [jsonPacket('{"msg":"Done","nonce":"d","starts":{"slot":0}}'), 'BATON_PROTOCOL_BAD_MESSAGE', 'Done.starts must be an array of objects', 'd'],
    [jsonPacket('{"msg":"Hello","max":1.5,"min":1}'), 'BATON_PROTOCOL_BAD_MESSAGE', 'Hello.max must be an integer >= 1', undefined],
    [jsonPacket('{"msg":"Hello","max":1,"min":2}'), 'BATON_PROTOCOL_BAD_MESSAGE', 'Hello.min 2 is above Hello.max 1', undefined],
    [jsonPacket('{"msg":"Done","nonce":"9"}', 'text/plain'), 'BATON_PROTOCOL_BAD_MESSAGE', "RPC attachment has mime type 'text/plain', not application/json", undefined],
    [{ testId: RPC_TEST_ID, status: 'exists' }, 'BATON_PROTOCOL_BAD_MESSAGE', 'RPC packet without a JSON attachment', undefined],
    [
      { testId: RPC_TEST_ID, file: { name: 'm', content: new Uint8Array([0xff, 0x7b]) } },
      'BATON_PROTOCOL_BAD_MESSAGE',
      'message is not UTF-8 JSON',
      undefined,
    ],
  ];
  for (const [packet, code, text, nonce] of table) {
    const decoded = decodeMessage(packet);
    assert.equal(decoded.ok, false);
    if (decoded.ok) continue;
    assert.ok(decoded.error instanceof ProtocolError);
    assert.equal(decoded.error.code, code);
    assert.ok(decoded.error.message.startsWith(text), `${decoded.error.message} should start with ${text}`);
    assert.equal(decoded.nonce, nonce);
  }
});

test('messages over MAX_MESSAGE_BYTES are refused both ways', () => {
  const tests = Array.from({ length: MAX_MESSAGE_BYTES / 16 }, (_, i) => `pkg.mod.T.t${i}`.padEnd(16, 'x'));
  assert.throws(
    () => messagePacket({ msg: 'Run', tests, nonce: '1' }),
    (e: unknown) => e instanceof ProtocolError && e.code === 'BATON_PROTOCOL_TOO_LARGE' && /exceeds the limit of 1048576 bytes; send fewer tests/.test(e.message),
  );
  const big = jsonPacket(JSON.stringify({ msg: 'Run', tests, nonce: '2' }));
  const { packets } = decodeAll(encodePacket(big));
  const decoded = decodeMessage(packets[0]!);
  assert.equal(decoded.ok, false);
  if (!decoded.ok) assert.equal(decoded.error.code, 'BATON_PROTOCOL_TOO_LARGE');
});
