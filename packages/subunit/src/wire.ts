// The primitive encodings inside a packet body: subunit's varint (big-endian, length in
// the top two bits of the first byte) and varint-prefixed UTF-8 strings.
import { SubunitError } from './errors.js';

/** The largest value a 4-byte varint holds. */
export const MAX_VARINT = 0x3fffffff;

/** How many bytes `value` takes as a varint. */
export function varintSize(value: number): number {
  if (value < 0x40) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x400000) return 3;
  if (value <= MAX_VARINT) return 4;
  throw new SubunitError('BATON_SUBUNIT_BAD_VALUE', `value ${value} is too large for a subunit varint (max ${MAX_VARINT})`);
}

/** Writes `value` at `pos` and returns the position after it. */
export function writeVarint(out: Uint8Array, pos: number, value: number): number {
  if (value < 0x40) {
    out[pos] = value;
    return pos + 1;
  }
  if (value < 0x4000) {
    out[pos] = 0x40 | (value >>> 8);
    out[pos + 1] = value & 0xff;
    return pos + 2;
  }
  if (value < 0x400000) {
    out[pos] = 0x80 | (value >>> 16);
    out[pos + 1] = (value >>> 8) & 0xff;
    out[pos + 2] = value & 0xff;
    return pos + 3;
  }
  out[pos] = 0xc0 | (value >>> 24);
  out[pos + 1] = (value >>> 16) & 0xff;
  out[pos + 2] = (value >>> 8) & 0xff;
  out[pos + 3] = value & 0xff;
  return pos + 4;
}

const encoder = new TextEncoder();
const fatalDecoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes of a string that subunit can carry (no NUL). */
export function utf8Bytes(value: string, what: string): Uint8Array {
  if (value.includes('\0')) {
    throw new SubunitError('BATON_SUBUNIT_BAD_VALUE', `${what} contains a NUL character, which subunit strings cannot carry`);
  }
  return encoder.encode(value);
}

/**
 * Decodes `bytes[start, end)` as UTF-8, or returns undefined when it is not valid UTF-8
 * or holds a NUL (python-subunit refuses both). Short ASCII strings (most test ids) skip
 * TextDecoder, whose per-call cost dominates for them.
 */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (end - start <= 64) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      const b = bytes[i]!;
      if (b === 0) return undefined;
      if (b >= 0x80) ascii = false;
    }
    if (ascii) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  } else if (bytes.subarray(start, end).includes(0)) {
    return undefined;
  }
  try {
    return fatalDecoder.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}
