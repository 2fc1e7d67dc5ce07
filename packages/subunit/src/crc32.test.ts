import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 } from './crc32.js';
import { rng, randomBytes } from './test-support/random.js';

// Reference: the bitwise definition zlib implements.
function crc32Bitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

test('crc32 matches the standard check value and zlib', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  // zlib.crc32(b'subunit') as Python computes it.
  assert.equal(crc32(new TextEncoder().encode('subunit')), 0x050e7ed8);
});

test('crc32 (slicing-by-8) agrees with the bitwise definition at every length and offset', () => {
  const r = rng(7);
  for (let n = 0; n < 80; n++) {
    const bytes = randomBytes(r, n + 3);
    assert.equal(crc32(bytes, 1, n + 1), crc32Bitwise(bytes.subarray(1, n + 1)), `length ${n}`);
  }
});

test('crc32 continues across pieces', () => {
  const bytes = randomBytes(rng(3), 1000);
  const whole = crc32(bytes);
  assert.equal(crc32(bytes, 333, 1000, crc32(bytes, 0, 333)), whole);
});
