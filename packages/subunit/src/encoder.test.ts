import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PACKET_SIZE } from './constants.js';
import { encodePacket, encodePackets, StreamEncoder } from './encoder.js';
import type { SubunitError } from './errors.js';
import { PYTHON_FIXTURES, toHex } from './test-support/python-fixtures.js';

for (const fixture of PYTHON_FIXTURES) {
  test(`encodes "${fixture.name}" byte for byte as python-subunit does`, () => {
    assert.equal(toHex(encodePacket(fixture.packet)), fixture.hex);
  });
}

test('empty tags and an empty mime type are left out, as python-subunit does', () => {
  assert.equal(toHex(encodePacket({ testId: 'x', status: 'xfail', tags: [], mimeType: '' })), 'b329070a017836c8f82d');
});

test('the length varint grows to three bytes for large packets and the limit is enforced', () => {
  const big = encodePacket({ file: { name: 'f', content: new Uint8Array(20000) } });
  assert.equal(big[3]! >>> 6, 2, 'three-byte length');
  assert.equal(((big[3]! & 0x3f) << 16) | (big[4]! << 8) | big[5]!, big.length);
  const limit = MAX_PACKET_SIZE - 16; // content that just fits with a one-byte name
  assert.equal(encodePacket({ file: { name: 'f', content: new Uint8Array(limit - 1) } }).length <= MAX_PACKET_SIZE, true);
  assert.throws(
    () => encodePacket({ file: { name: 'f', content: new Uint8Array(MAX_PACKET_SIZE) } }),
    (e: SubunitError) => e.code === 'BATON_SUBUNIT_TOO_LARGE' && /exceeds subunit's limit of 4194303 bytes/.test(e.message),
  );
});

test('timestamps outside what 32-bit seconds can carry are refused', () => {
  for (const timestamp of [{ seconds: -1, nanos: 0 }, { seconds: 2 ** 32, nanos: 0 }, { seconds: 1, nanos: 1e9 }, { seconds: 1.5, nanos: 0 }]) {
    assert.throws(() => encodePacket({ timestamp }), (e: SubunitError) => e.code === 'BATON_SUBUNIT_BAD_VALUE' && /timestamp/.test(e.message));
  }
});

test('encodePackets concatenates in order', () => {
  const [a, b] = PYTHON_FIXTURES;
  assert.equal(toHex(encodePackets([a!.packet, b!.packet])), a!.hex + b!.hex);
});

test('StreamEncoder gathers packets into chunks with exactly the bytes of encodePackets', () => {
  const packets = [...PYTHON_FIXTURES.map((f) => f.packet), { file: { name: 'big', content: new Uint8Array(300).fill(7) } }];
  const chunks: Uint8Array[] = [];
  const encoder = new StreamEncoder((c) => chunks.push(c), { chunkSize: 128 });
  for (const p of packets) encoder.write(p);
  assert.ok(chunks.length >= 2, 'full chunks were handed over before the flush');
  encoder.flush();
  encoder.flush();
  assert.ok(chunks.every((c) => c.length > 0));
  assert.equal(toHex(Buffer.concat(chunks)), toHex(encodePackets(packets)));
  assert.ok(chunks.some((c) => c.length > 128), 'a packet larger than a chunk goes alone');
});

test('StreamEncoder writes nothing for a packet it refuses', () => {
  const chunks: Uint8Array[] = [];
  const encoder = new StreamEncoder((c) => chunks.push(c));
  encoder.write(PYTHON_FIXTURES[0]!.packet);
  assert.throws(() => encoder.write({ testId: 'a\0b' }), /NUL/);
  encoder.flush();
  assert.equal(toHex(Buffer.concat(chunks)), PYTHON_FIXTURES[0]!.hex);
});
