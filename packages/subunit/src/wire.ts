// The primitive encodings inside a packet body: subunit's varint (big-endian, length in
// the top two bits of the first byte) and varint-prefixed UTF-8 strings. Strings are
// encoded and decoded by hand: TextEncoder/TextDecoder cost more per call than a whole
// short test id takes to copy, and a stream repeats the same few strings (ids, tags,
// mime types, file names) on nearly every packet.
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

/**
 * The UTF-8 length of a string subunit can carry. Throws for a NUL, which python-subunit
 * refuses to read. Lone surrogates count as U+FFFD, as TextEncoder writes them.
 */
export function utf8Length(value: string, what: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0) throw new SubunitError('BATON_SUBUNIT_BAD_VALUE', `${what} contains a NUL character, which subunit strings cannot carry`);
      n += 1;
    } else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Writes `value` as UTF-8 (its length measured by `utf8Length`) and returns the end. */
export function writeUtf8(out: Uint8Array, pos: number, value: string): number {
  for (let i = 0; i < value.length; i++) {
    let c = value.charCodeAt(i);
    if (c < 0x80) out[pos++] = c;
    else if (c < 0x800) {
      out[pos++] = 0xc0 | (c >> 6);
      out[pos++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c - 0xd800) << 10) + (value.charCodeAt(++i) - 0xdc00);
      out[pos++] = 0xf0 | (c >> 18);
      out[pos++] = 0x80 | ((c >> 12) & 0x3f);
      out[pos++] = 0x80 | ((c >> 6) & 0x3f);
      out[pos++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      out[pos++] = 0xe0 | (c >> 12);
      out[pos++] = 0x80 | ((c >> 6) & 0x3f);
      out[pos++] = 0x80 | (c & 0x3f);
    }
  }
  return pos;
}

const fatalDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Strings up to this many bytes are interned by `StringTable`: tags, route codes, mime
 * types and file names. Hashing and comparing a long test id costs about what
 * TextDecoder takes to decode it, so longer strings are decoded directly.
 */
const INTERN_MAX_BYTES = 32;
/** Entries before the table starts afresh, bounding its memory. */
const INTERN_MAX_ENTRIES = 8192;

interface Interned {
  readonly bytes: Uint8Array;
  readonly value: string;
}

/**
 * Decodes UTF-8 strings from packet bytes, returning the same string object for bytes
 * seen before: a stream repeats each test id on its inprogress, attachment and final
 * packets and the same tags and mime types on nearly all of them.
 */
export class StringTable {
  private readonly entries = new Map<number, Interned>();

  /**
   * Decodes `bytes[start, end)`, or returns undefined when it is not valid UTF-8 or holds
   * a NUL (python-subunit refuses both).
   */
  decode(bytes: Uint8Array, start: number, end: number): string | undefined {
    const length = end - start;
    if (length > INTERN_MAX_BYTES) {
      const value = decodeFatal(bytes, start, end);
      return value === undefined || value.includes('\0') ? undefined : value;
    }
    // FNV-1a over the bytes; a collision only costs a failed comparison below.
    let hash = 0x811c9dc5 ^ length;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
    const hit = this.entries.get(hash);
    if (hit !== undefined && hit.bytes.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (hit.bytes[i] !== bytes[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return hit.value;
    }
    let ascii = true;
    for (let i = start; i < end; i++) {
      const b = bytes[i]!;
      if (b === 0) return undefined;
      if (b >= 0x80) ascii = false;
    }
    const value = ascii ? asciiString(bytes, start, end) : decodeFatal(bytes, start, end);
    if (value === undefined) return undefined;
    if (this.entries.size >= INTERN_MAX_ENTRIES) this.entries.clear();
    this.entries.set(hash, { bytes: bytes.slice(start, end), value });
    return value;
  }
}

function asciiString(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
}

function decodeFatal(bytes: Uint8Array, start: number, end: number): string | undefined {
  try {
    return fatalDecoder.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}
