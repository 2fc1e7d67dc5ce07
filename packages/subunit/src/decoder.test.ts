import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 } from './crc32.js';
import { decodeAll, StreamDecoder, type DecodedStream } from './decoder.js';
import { encodePacket, encodePackets } from './encoder.js';
import type { Packet } from './packet.js';
import { hex, PYTHON_FIXTURES } from './test-support/python-fixtures.js';
import { int, randomPacket, rng } from './test-support/random.js';

/** Decodes `bytes` fed as the given chunks. */
function decodeChunks(chunks: Uint8Array[], maxPacketSize?: number): DecodedStream {
  const out: DecodedStream = { packets: [], offsets: [], text: [], errors: [] };
  const d = new StreamDecoder(
    {
      packet: (p, o) => {
        out.packets.push(p);
        out.offsets.push(o);
      },
      bytes: (data, offset) => out.text.push({ offset, data }),
      error: (e) => out.errors.push(e),
    },
    maxPacketSize === undefined ? {} : { maxPacketSize },
  );
  for (const c of chunks) d.push(c);
  d.end();
  return out;
}

function byteByByte(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (b) => Uint8Array.of(b));
}

/** Joins adjacent text pieces, since the decoder may emit one run of text in several calls. */
function textOf(d: DecodedStream): string {
  return Buffer.concat(d.text.map((t) => t.data)).toString('latin1');
}

const ALL = PYTHON_FIXTURES.map((f) => hex(f.hex));
const STREAM = Buffer.concat(ALL);

for (const fixture of PYTHON_FIXTURES) {
  test(`decodes python-subunit's "${fixture.name}" packet`, () => {
    const d = decodeAll(hex(fixture.hex));
    assert.deepEqual(d.errors, []);
    assert.deepEqual(d.packets, [fixture.packet]);
  });
}

test('every split point of the fixture stream decodes the same', () => {
  const expected = decodeAll(STREAM);
  assert.equal(expected.packets.length, PYTHON_FIXTURES.length);
  for (let cut = 1; cut < STREAM.length; cut++) {
    const d = decodeChunks([STREAM.subarray(0, cut), STREAM.subarray(cut)]);
    assert.deepEqual(d.packets, expected.packets, `split at ${cut}`);
    assert.deepEqual(d.offsets, expected.offsets);
    assert.equal(d.errors.length + d.text.length, 0);
  }
});

test('one byte at a time decodes the same, with the same offsets', () => {
  const expected = decodeAll(STREAM);
  const d = decodeChunks(byteByByte(STREAM));
  assert.deepEqual(d.packets, expected.packets);
  assert.deepEqual(d.offsets, expected.offsets);
});

test('decode(encode(p)) == p for random packets, in random chunkings', () => {
  const r = rng(42);
  for (let round = 0; round < 200; round++) {
    const packets: Packet[] = Array.from({ length: 1 + int(r, 5) }, () => randomPacket(r));
    for (const p of packets) p.runnable ??= true;
    const bytes = encodePackets(packets);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; ) {
      const n = 1 + int(r, 64);
      chunks.push(bytes.subarray(at, at + n));
      at += n;
    }
    const d = decodeChunks(chunks);
    assert.deepEqual(d.errors, [], `round ${round}`);
    assert.deepEqual(d.packets, packets, `round ${round}`);
  }
});

test('non-subunit bytes are surfaced with their offsets, never dropped', () => {
  const [a, b] = ALL;
  const bytes = Buffer.concat([Buffer.from('hello\n'), a!, Buffer.from('printed by a test\n'), b!]);
  const d = decodeAll(bytes);
  assert.equal(d.packets.length, 2);
  assert.deepEqual(d.errors, []);
  assert.equal(textOf(d), 'hello\nprinted by a test\n');
  assert.equal(d.text[0]!.offset, 0);
  assert.equal(d.text[1]!.offset, 6 + a!.length);
  assert.deepEqual(d.offsets, [6, 6 + a!.length + 18]);
});

test('0xB3 inside a UTF-8 character is text, not a packet signature', () => {
  // U+2CF3 is e2 b3 b3: both 0xB3 bytes are continuation bytes.
  const text = Buffer.from('ⳳ\n', 'utf8');
  assert.deepEqual([...text.subarray(0, 3)], [0xe2, 0xb3, 0xb3]);
  const bytes = Buffer.concat([text, ALL[1]!]);
  for (const chunks of [[bytes], byteByByte(bytes)]) {
    const d = decodeChunks(chunks);
    assert.deepEqual(d.errors, []);
    assert.equal(Buffer.concat(d.text.map((t) => t.data)).toString('utf8'), 'ⳳ\n');
    assert.deepEqual(d.packets, [PYTHON_FIXTURES[1]!.packet]);
  }
});

test('a bad CRC is reported with its offset and both checksums, and decoding resumes', () => {
  const [a, b, c] = ALL;
  const bad = Uint8Array.from(b!);
  bad[bad.length - 1]! ^= 0xff;
  const bytes = Buffer.concat([a!, bad, c!]);
  const d = decodeAll(bytes);
  assert.equal(d.errors.length, 1);
  const e = d.errors[0]!;
  assert.equal(e.code, 'BATON_SUBUNIT_BAD_CRC');
  assert.equal(e.offset, a!.length);
  assert.match(e.message, new RegExp(`^corrupt subunit packet at byte ${a!.length}: bad checksum: computed 0x[0-9a-f]{8}, stored 0x[0-9a-f]{8}$`));
  assert.deepEqual(d.packets, [PYTHON_FIXTURES[0]!.packet, PYTHON_FIXTURES[2]!.packet]);
  // The damaged packet's bytes are surfaced as text rather than lost.
  assert.equal(Buffer.concat(d.text.map((t) => t.data)).length, bad.length);
});

test('header problems: wrong version, 4-byte length, too short, too large', () => {
  const cases: [string, string, RegExp][] = [
    ['b331000819d79a8d', 'BATON_SUBUNIT_BAD_VERSION', /packet version 3 is not 2 \(flags 0x3100\)/],
    ['b32100c0000008aaaaaaaa', 'BATON_SUBUNIT_BAD_LENGTH', /4-byte varint/],
    ['b321000419d79a8d', 'BATON_SUBUNIT_BAD_LENGTH', /length 4 is shorter than its own header/],
    ['b32100bfffff', 'BATON_SUBUNIT_TOO_LARGE', /length 4194303 exceeds the limit of 1000 bytes/],
  ];
  for (const [input, code, message] of cases) {
    const d = decodeChunks([hex(input), ALL[1]!], 1000);
    assert.equal(d.errors[0]?.code, code, input);
    assert.match(d.errors[0]!.message, message);
    assert.equal(d.errors[0]!.offset, 0);
    assert.deepEqual(d.packets, [PYTHON_FIXTURES[1]!.packet], `resynchronised after ${input}`);
  }
});

test('fields that run past the packet or are not UTF-8 are reported (CRC intact)', () => {
  // A test id claiming 5 bytes where 1 is present, and one that is invalid UTF-8.
  const withCrc = (body: number[]): Uint8Array => {
    const len = body.length + 4;
    const full = new Uint8Array(len);
    full.set(body);
    full[3] = len;
    new DataView(full.buffer).setUint32(len - 4, crc32(full, 0, len - 4));
    return full;
  };
  const pastEnd = withCrc([0xb3, 0x29, 0x01, 0, 0x05, 0x78]);
  const notUtf8 = withCrc([0xb3, 0x29, 0x01, 0, 0x02, 0xc3, 0x28]);
  const overrun = decodeAll(pastEnd);
  assert.equal(overrun.errors[0]?.code, 'BATON_SUBUNIT_BAD_FIELD');
  assert.match(overrun.errors[0]!.message, /test id extends past the end of the packet/);
  const bad = decodeAll(notUtf8);
  assert.match(bad.errors[0]!.message, /test id is not valid UTF-8 or contains NUL/);
});

test('a truncated stream reports the cut packet at end and keeps everything before it', () => {
  const [a, b] = ALL;
  const bytes = Buffer.concat([a!, b!.subarray(0, b!.length - 3)]);
  for (const chunks of [[bytes], byteByByte(bytes)]) {
    const d = decodeChunks(chunks);
    assert.deepEqual(d.packets, [PYTHON_FIXTURES[0]!.packet]);
    assert.equal(d.errors.length, 1);
    assert.equal(d.errors[0]!.code, 'BATON_SUBUNIT_TRUNCATED');
    assert.equal(d.errors[0]!.offset, a!.length);
    assert.match(d.errors[0]!.message, new RegExp(`${b!.length} bytes needed, ${b!.length - 3} available`));
  }
});

test('a corrupt length that swallows later packets is recovered from at the end', () => {
  // The first packet claims 200 bytes; the three real packets after it must still come out.
  const lying = Uint8Array.of(0xb3, 0x21, 0x00, 0x40, 0xc8);
  const rest = Buffer.concat([ALL[1]!, ALL[2]!, ALL[3]!]);
  const d = decodeAll(Buffer.concat([lying, rest]));
  assert.deepEqual(d.packets, [PYTHON_FIXTURES[1]!.packet, PYTHON_FIXTURES[2]!.packet, PYTHON_FIXTURES[3]!.packet]);
  assert.equal(d.errors[0]!.code, 'BATON_SUBUNIT_TRUNCATED');
});

test('without a bytes handler, text is reported as an error instead of vanishing', () => {
  const errors: string[] = [];
  const d = new StreamDecoder({ packet: () => {}, error: (e) => errors.push(e.message) });
  d.push(new TextEncoder().encode('oops'));
  d.end();
  assert.deepEqual(errors, ['non-subunit content at byte 0 (4 bytes)']);
});

test('the decoder holds back at most one packet', () => {
  const d = new StreamDecoder({ packet: () => {} });
  const big = encodePacket({ file: { name: 'f', content: new Uint8Array(10000) } });
  d.push(big.subarray(0, 5000));
  assert.equal(d.buffered, 5000);
  d.push(big.subarray(5000));
  assert.equal(d.buffered, 0);
  assert.equal(d.offset, big.length);
});
