// The subunit decoder under seeded fuzzing: random bytes, and streams of random packets
// mutated (bit flips, truncation, splices, boundary bytes). It never throws or hangs,
// never holds more than one packet's worth of bytes, accounts for every input byte once
// (inside a packet or as text), reports each corrupt packet with a code and its byte
// offset, and decodes the same whatever the chunking.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamDecoder, encodePackets, type Packet, type SubunitError } from '@baton/subunit';
import { randomBytes, randomPacket } from '../../packages/subunit/src/test-support/random.js';
import { caseCount, fuzz, hex, int, mutateBytes, rng, type Outcome, type Rng } from '../utils/fuzz.js';

const MAX_PACKET = 64 * 1024;

function packets(r: Rng): Packet[] {
  return Array.from({ length: 1 + int(r, 6) }, () => {
    const p = randomPacket(r);
    if (p.file && p.file.content.length > MAX_PACKET / 2) p.file = { name: 'f', content: p.file.content.subarray(0, 100) };
    return p;
  });
}

interface Decoded {
  readonly events: string[];
  readonly errors: number;
}

/** Decodes `input` in chunks of `chunk` bytes, checking the per-stream properties. */
function decode(input: Uint8Array, chunk: number): Decoded {
  const events: string[] = [];
  let errors = 0;
  let packetBytes = 0;
  let textBytes = 0;
  let maxBuffered = 0;
  let lastOffset = -1;
  // Text may arrive in several calls, split wherever the chunks were: joined before comparing.
  let text = '';
  const flushText = () => {
    if (text.length > 0) events.push(`text ${text}`);
    text = '';
  };
  const decoder = new StreamDecoder(
    {
      packet: (p, offset) => {
        assert.ok(offset >= lastOffset, 'offsets only move forward');
        lastOffset = offset;
        packetBytes += lengthAt(input, offset);
        flushText();
        events.push(`packet ${offset} ${JSON.stringify(p, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))}`);
      },
      bytes: (data, offset) => {
        assert.ok(offset >= lastOffset);
        lastOffset = offset;
        textBytes += data.length;
        text += Buffer.from(data).toString('hex');
      },
      error: (e: SubunitError) => {
        errors++;
        assert.ok(e.offset >= 0 && e.offset < input.length, `error offset ${e.offset} inside the input`);
        assert.match(e.code, /^BATON_SUBUNIT_[A-Z_]+$/);
        assert.ok(e.message.startsWith(`corrupt subunit packet at byte ${e.offset}: `) && e.message.length > 40, `a located, explained error: ${e.message}`);
        flushText();
        events.push(`error ${e.offset} ${e.code}`);
      },
    },
    { maxPacketSize: MAX_PACKET },
  );
  for (let at = 0; at < input.length; at += chunk) {
    decoder.push(input.subarray(at, at + chunk));
    maxBuffered = Math.max(maxBuffered, decoder.buffered);
  }
  decoder.end();
  flushText();
  assert.equal(packetBytes + textBytes, input.length, 'every byte accounted for once');
  assert.ok(maxBuffered <= MAX_PACKET + chunk, `buffered ${maxBuffered} bytes`);
  assert.equal(decoder.buffered, 0);
  return { events, errors };
}

function lengthAt(bytes: Uint8Array, offset: number): number {
  const first = bytes[offset + 3]!;
  let length = first & 0x3f;
  for (let k = 1; k <= first >>> 6; k++) length = (length << 8) | bytes[offset + 3 + k]!;
  return length;
}

interface SubunitCase {
  readonly input: Uint8Array;
  readonly chunk: number;
  /** Also decode it whole and one byte at a time and compare (the dearer check, on some cases). */
  readonly compare: boolean;
}

test('the subunit decoder survives seeded random and mutated streams, locating every corrupt packet, whatever the chunking', (t) => {
  const pool = Array.from({ length: 16 }, (_, i) => encodePackets(packets(rng(1000 + i))));
  let packetsSeen = 0;
  let errorsSeen = 0;
  const report = fuzz<SubunitCase>({
    seed: 20261121,
    cases: caseCount(5_000),
    input: (r, i) => ({
      input: i % 4 === 0 ? randomBytes(r, int(r, 512)) : mutateBytes(r, encodePackets(packets(r)), pool),
      chunk: 1 + int(r, 97),
      compare: i % 8 === 1,
    }),
    check: ({ input, chunk, compare }): Outcome => {
      const chunked = decode(input, chunk);
      packetsSeen += chunked.events.filter((e) => e.startsWith('packet')).length;
      errorsSeen += chunked.errors;
      if (compare && input.length < 4096) {
        assert.deepEqual(decode(input, input.length || 1).events, chunked.events, 'decoded whole: the same');
        assert.deepEqual(decode(input, 1).events, chunked.events, 'decoded a byte at a time: the same');
      }
      return chunked.errors === 0 ? 'accepted' : 'refused';
    },
    show: (c) => `chunk ${c.chunk}, ${hex(c.input)}`,
  });
  t.diagnostic(`${report.cases} cases: ${packetsSeen} packets decoded, ${errorsSeen} corrupt packets reported; slowest case ${report.slowestCase} took ${report.slowestMs.toFixed(1)} ms`);
  // The mutations must exercise both paths (packets decoded, damage reported).
  if (report.cases > 1) {
    assert.ok(packetsSeen > report.cases / 2, `packets decoded: ${packetsSeen}`);
    assert.ok(errorsSeen > report.cases / 2, `errors reported: ${errorsSeen}`);
  }
});
