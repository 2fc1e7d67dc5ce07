// Seeded fuzzing of the decoder: random and mutated streams must never make it throw,
// hang or hold more than one packet's worth of bytes, and every input byte must come
// out exactly once, inside a packet or as text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamDecoder } from './decoder.js';
import { encodePackets } from './encoder.js';
import { int, randomBytes, randomPacket, rng } from './test-support/random.js';

const CASES = 10_000;
const MAX_PACKET = 64 * 1024;

function mutate(r: () => number, input: Uint8Array): Uint8Array {
  const bytes = Array.from(input);
  const edits = 1 + int(r, 6);
  for (let k = 0; k < edits && bytes.length > 0; k++) {
    const at = int(r, bytes.length);
    switch (int(r, 6)) {
      case 0: bytes[at]! ^= 1 << int(r, 8); break; // bit flip
      case 1: bytes.splice(at, 1 + int(r, 8)); break; // deletion
      case 2: bytes.splice(at, 0, ...randomBytes(r, 1 + int(r, 16))); break; // insertion
      case 3: bytes.splice(at, 0, 0xb3); break; // a stray signature
      case 4: bytes.length = at; break; // truncation
      default: bytes[at] = int(r, 256); // byte overwrite
    }
  }
  return Uint8Array.from(bytes);
}

test(`the decoder survives ${CASES} random and mutated streams`, () => {
  const r = rng(20261121);
  let packetsSeen = 0;
  let errorsSeen = 0;
  for (let i = 0; i < CASES; i++) {
    let input: Uint8Array;
    if (i % 4 === 0) input = randomBytes(r, int(r, 512));
    else {
      const packets = Array.from({ length: 1 + int(r, 6) }, () => randomPacket(r));
      for (const p of packets) if (p.file && p.file.content.length > MAX_PACKET / 2) p.file = { name: 'f', content: p.file.content.subarray(0, 100) };
      input = mutate(r, encodePackets(packets));
    }
    let packetBytes = 0;
    let textBytes = 0;
    let maxBuffered = 0;
    let lastOffset = -1;
    const decoder = new StreamDecoder(
      {
        packet: (_p, offset) => {
          assert.ok(offset >= lastOffset, 'offsets only move forward');
          lastOffset = offset;
          packetsSeen++;
          packetBytes += lengthAt(input, offset);
        },
        bytes: (data, offset) => {
          assert.ok(offset >= lastOffset);
          lastOffset = offset;
          textBytes += data.length;
        },
        error: (e) => {
          errorsSeen++;
          assert.ok(e.offset >= 0 && e.offset < input.length, `error offset ${e.offset} inside the input`);
          assert.match(e.code, /^BATON_SUBUNIT_/);
        },
      },
      { maxPacketSize: MAX_PACKET },
    );
    const chunk = 1 + int(r, 97);
    for (let at = 0; at < input.length; at += chunk) {
      decoder.push(input.subarray(at, at + chunk));
      maxBuffered = Math.max(maxBuffered, decoder.buffered);
    }
    decoder.end();
    assert.equal(packetBytes + textBytes, input.length, `case ${i}: every byte accounted for once`);
    assert.ok(maxBuffered <= MAX_PACKET + chunk, `case ${i}: buffered ${maxBuffered} bytes`);
    assert.equal(decoder.buffered, 0);
  }
  // The mutations must actually exercise both paths.
  assert.ok(packetsSeen > CASES / 2, `packets decoded: ${packetsSeen}`);
  assert.ok(errorsSeen > CASES / 2, `errors reported: ${errorsSeen}`);
});

function lengthAt(bytes: Uint8Array, offset: number): number {
  const first = bytes[offset + 3]!;
  let length = first & 0x3f;
  for (let k = 1; k <= first >>> 6; k++) length = (length << 8) | bytes[offset + 3 + k]!;
  return length;
}
