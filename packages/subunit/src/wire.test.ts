import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SubunitError } from './errors.js';
import { decodeUtf8, MAX_VARINT, utf8Bytes, varintSize, writeVarint } from './wire.js';
import { toHex } from './test-support/python-fixtures.js';

test('varints use 1 to 4 bytes, switching at the boundaries python-subunit uses', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [63, '3f'],
    [64, '4040'],
    [16383, '7fff'],
    [16384, '804000'],
    [4194303, 'bfffff'],
    [4194304, 'c0400000'],
    [MAX_VARINT, 'ffffffff'],
  ];
  for (const [value, expected] of cases) {
    const out = new Uint8Array(4);
    const end = writeVarint(out, 0, value);
    assert.equal(end, varintSize(value));
    assert.equal(toHex(out.subarray(0, end)), expected, `value ${value}`);
  }
});

test('a value beyond 30 bits is refused with a clear error', () => {
  assert.throws(() => varintSize(MAX_VARINT + 1), (e: SubunitError) => {
    assert.equal(e.code, 'BATON_SUBUNIT_BAD_VALUE');
    assert.match(e.message, /too large for a subunit varint/);
    return true;
  });
});

test('strings: NUL is refused on write and on read, invalid UTF-8 on read', () => {
  assert.throws(() => utf8Bytes('a\0b', 'test id'), /test id contains a NUL/);
  const enc = new TextEncoder();
  assert.equal(decodeUtf8(enc.encode('plain.ascii'), 0, 11), 'plain.ascii');
  assert.equal(decodeUtf8(enc.encode('x.test_é'), 0, 9), 'x.test_é');
  const long = 'é'.repeat(50);
  assert.equal(decodeUtf8(enc.encode(long), 0, 100), long);
  assert.equal(decodeUtf8(Uint8Array.of(0x61, 0x00, 0x62), 0, 3), undefined);
  assert.equal(decodeUtf8(Uint8Array.of(0xc3, 0xa9, 0x00), 0, 3), undefined, 'NUL after a non-ASCII byte');
  assert.equal(decodeUtf8(Uint8Array.of(0xc3, 0x28), 0, 2), undefined);
});
