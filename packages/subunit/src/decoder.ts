import { Flag, MAX_PACKET_SIZE, MIN_PACKET_SIZE, SIGNATURE, STATUSES, STATUS_MASK, VERSION_MASK } from './constants.js';
import { crc32 } from './crc32.js';
import { SubunitError, type SubunitErrorCode } from './errors.js';
import type { Packet } from './packet.js';
import { StringTable } from './wire.js';

/** What the decoder hands out, in stream order. */
export interface DecoderHandlers {
  /** A packet whose CRC matched and whose fields parsed; `offset` is its first byte. */
  packet(packet: Packet, offset: number): void;
  /**
   * Bytes that are not subunit (a test that printed to the stream), as python-subunit
   * surfaces them under its `non_subunit_name`. Emitted as they arrive, so one run of
   * text may come in several calls. Without this handler they are reported as errors.
   */
  bytes?(data: Uint8Array, offset: number): void;
  /** A corrupt or truncated packet. The decoder resynchronises and carries on. */
  error?(error: SubunitError): void;
}

export interface DecoderOptions {
  /**
   * Packets claiming more bytes than this are reported as corrupt instead of buffered.
   * @default MAX_PACKET_SIZE (4 MiB - 1, the format's own limit)
   */
  maxPacketSize?: number;
}

// The states of the decoder: where the bytes at `pos` stand.
const enum State {
  /** Outside any packet: text until the next signature byte. */
  Scan,
  /** At a signature: waiting for flags and the length varint. */
  Header,
  /** Length known: waiting for the whole packet to verify its CRC and read its fields. */
  Body,
}

const EMPTY = new Uint8Array(0);

/**
 * An incremental subunit v2 decoder. Feed it chunks of any size (one byte at a time
 * works) with `push`, then call `end`. It never throws on bad input: a corrupt packet is
 * reported with its byte offset and the reason, its signature byte is surfaced as text,
 * and decoding resumes at the next signature, so a damaged stream loses only the
 * damaged packet.
 */
export class StreamDecoder {
  private readonly handlers: DecoderHandlers;
  private readonly maxPacketSize: number;

  private state: State = State.Scan;
  /** The working buffer; bytes before `pos` are consumed. */
  private buf: Uint8Array = EMPTY;
  private pos = 0;
  /** Stream offset of `buf[0]`. */
  private bufOffset = 0;
  /** Chunks received but not yet joined to `buf`, because `need` was not yet met. */
  private readonly waiting: Uint8Array[] = [];
  private waitingBytes = 0;
  /** Bytes needed from `pos` before the current state can make progress. */
  private need = 1;
  /** Total length of the packet at `pos`, once its header is read. */
  private packetLength = 0;
  /** Continuation bytes still expected by a UTF-8 character in text (0xB3 may be one). */
  private utf8Pending = 0;
  /**
   * Set after a corrupt packet until the next good one: the bytes being scanned are
   * debris, not text, so a UTF-8 lead byte among them must not hide the next signature.
   */
  private resyncing = false;
  /** Field reading: position, end of the packet body (before the CRC), first problem. */
  private cursor = 0;
  private bodyEnd = 0;
  private failure: string | undefined;
  private readonly strings = new StringTable();

  constructor(handlers: DecoderHandlers, options: DecoderOptions = {}) {
    this.handlers = handlers;
    this.maxPacketSize = Math.min(options.maxPacketSize ?? MAX_PACKET_SIZE, MAX_PACKET_SIZE);
  }

  /** Offset in the stream of the next byte not yet decoded. */
  get offset(): number {
    return this.bufOffset + this.pos;
  }

  /** Bytes held back waiting for the rest of a packet. */
  get buffered(): number {
    return this.buf.length - this.pos + this.waitingBytes;
  }

  /** Decodes what it can of `chunk`, holding back an incomplete packet for later. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    // A plain view, so that the copies handed out are plain Uint8Arrays (a Node Buffer's
    // slice() would alias the input instead of copying it).
    this.waiting.push(chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    this.waitingBytes += chunk.length;
    if (this.buf.length - this.pos + this.waitingBytes < this.need) return;
    this.join();
    this.run(false);
  }

  /** The stream ended: whatever is held back is a truncated packet or text. */
  end(): void {
    this.join();
    this.run(true);
    this.buf = EMPTY;
    this.bufOffset += this.pos;
    this.pos = 0;
    this.state = State.Scan;
    this.need = 1;
    this.utf8Pending = 0;
    this.resyncing = false;
  }

  private join(): void {
    if (this.waiting.length === 0) return;
    const rest = this.buf.length - this.pos;
    if (rest === 0 && this.waiting.length === 1) {
      this.bufOffset += this.buf.length;
      this.buf = this.waiting[0]!;
    } else {
      const joined = new Uint8Array(rest + this.waitingBytes);
      joined.set(this.buf.subarray(this.pos), 0);
      let at = rest;
      for (const c of this.waiting) {
        joined.set(c, at);
        at += c.length;
      }
      this.bufOffset += this.pos;
      this.buf = joined;
    }
    this.pos = 0;
    this.waiting.length = 0;
    this.waitingBytes = 0;
  }

  private run(atEnd: boolean): void {
    const buf = this.buf;
    const len = buf.length;
    for (;;) {
      if (this.state === State.Scan) {
        const start = this.pos;
        let i = start;
        let pending = this.utf8Pending;
        const resyncing = this.resyncing;
        for (; i < len; i++) {
          const b = buf[i]!;
          if (b === SIGNATURE && (pending === 0 || resyncing)) break;
          pending = nextUtf8Pending(pending, b);
        }
        this.utf8Pending = pending;
        if (i > start) this.text(start, i);
        this.pos = i;
        if (i === len) {
          this.need = 1;
          return;
        }
        this.state = State.Header;
        this.need = 4;
      }
      const start = this.pos;
      const avail = len - start;
      if (this.state === State.Header) {
        if (avail < 4) {
          if (this.wait(atEnd, 4)) continue;
          return;
        }
        const flags = (buf[start + 1]! << 8) | buf[start + 2]!;
        if ((flags & VERSION_MASK) !== Flag.VERSION_2) {
          this.corrupt('BATON_SUBUNIT_BAD_VERSION', `packet version ${(flags & VERSION_MASK) >>> 12} is not 2 (flags 0x${flags.toString(16).padStart(4, '0')})`);
          continue;
        }
        const first = buf[start + 3]!;
        const lengthSize = (first >>> 6) + 1;
        if (lengthSize === 4) {
          this.corrupt('BATON_SUBUNIT_BAD_LENGTH', 'packet length uses a 4-byte varint; subunit allows at most 3');
          continue;
        }
        if (avail < 3 + lengthSize) {
          if (this.wait(atEnd, 3 + lengthSize)) continue;
          return;
        }
        let length = first & 0x3f;
        for (let k = 1; k < lengthSize; k++) length = (length << 8) | buf[start + 3 + k]!;
        if (length < MIN_PACKET_SIZE - 1 + lengthSize) {
          this.corrupt('BATON_SUBUNIT_BAD_LENGTH', `packet length ${length} is shorter than its own header and CRC`);
          continue;
        }
        if (length > this.maxPacketSize) {
          this.corrupt('BATON_SUBUNIT_TOO_LARGE', `packet length ${length} exceeds the limit of ${this.maxPacketSize} bytes`);
          continue;
        }
        this.packetLength = length;
        this.state = State.Body;
        this.need = length;
      }
      const length = this.packetLength;
      if (avail < length) {
        if (this.wait(atEnd, length)) continue;
        return;
      }
      const stored = ((buf[start + length - 4]! << 24) | (buf[start + length - 3]! << 16) |
        (buf[start + length - 2]! << 8) | buf[start + length - 1]!) >>> 0;
      const computed = crc32(buf, start, start + length - 4);
      if (stored !== computed) {
        this.corrupt('BATON_SUBUNIT_BAD_CRC', `bad checksum: computed 0x${computed.toString(16).padStart(8, '0')}, stored 0x${stored.toString(16).padStart(8, '0')}`);
        continue;
      }
      const packet = this.fields(start, length);
      if (packet === undefined) continue;
      this.pos = start + length;
      this.state = State.Scan;
      this.need = 1;
      this.utf8Pending = 0;
      this.resyncing = false;
      this.handlers.packet(packet, this.bufOffset + start);
    }
  }

  /**
   * Waits for more bytes; at the end of the stream instead reports the packet truncated
   * and returns true, so that the rest of the bytes are scanned again.
   */
  private wait(atEnd: boolean, need: number): boolean {
    this.need = need;
    if (!atEnd) return false;
    const have = this.buf.length - this.pos;
    this.corrupt('BATON_SUBUNIT_TRUNCATED', `stream ended inside a packet: ${need} bytes needed, ${have} available`);
    return true;
  }

  /**
   * Reports the packet at `pos` as corrupt, surfaces its signature byte as text (it may
   * well be text: a test printing 0xB3), and resumes scanning right after it.
   */
  private corrupt(code: SubunitErrorCode, message: string): void {
    const at = this.pos;
    const offset = this.bufOffset + at;
    this.handlers.error?.(new SubunitError(code, `corrupt subunit packet at byte ${offset}: ${message}`, offset));
    this.text(at, at + 1);
    this.pos = at + 1;
    this.state = State.Scan;
    this.need = 1;
    this.utf8Pending = 0;
    this.resyncing = true;
  }

  private text(start: number, end: number): void {
    const offset = this.bufOffset + start;
    if (this.handlers.bytes) this.handlers.bytes(this.buf.slice(start, end), offset);
    else if (this.handlers.error) {
      this.handlers.error(new SubunitError('BATON_SUBUNIT_BAD_FIELD', `non-subunit content at byte ${offset} (${end - start} bytes)`, offset));
    }
  }

  /** Reads the fields of a CRC-checked packet, or reports it corrupt and returns undefined. */
  private fields(start: number, length: number): Packet | undefined {
    const buf = this.buf;
    const flags = (buf[start + 1]! << 8) | buf[start + 2]!;
    this.bodyEnd = start + length - 4;
    this.cursor = start + 3 + ((buf[start + 3]! >>> 6) + 1);
    this.failure = undefined;
    const packet: Packet = {};

    if (flags & Flag.TIMESTAMP) {
      const p = this.cursor;
      if (p + 4 > this.bodyEnd) this.failure = 'timestamp extends past the end of the packet';
      else {
        const seconds = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
        this.cursor = p + 4;
        const nanos = this.varint();
        if (nanos < 0) this.failure = 'timestamp nanoseconds extend past the end of the packet';
        else packet.timestamp = { seconds, nanos };
      }
    }
    if (this.failure === undefined && flags & Flag.TEST_ID) packet.testId = this.string('test id');
    if (this.failure === undefined && flags & Flag.TAGS) {
      const count = this.varint();
      if (count < 0) this.failure = 'tag count extends past the end of the packet';
      const tags: string[] = [];
      for (let k = 0; k < count && this.failure === undefined; k++) {
        const tag = this.string('tag');
        if (tag !== undefined) tags.push(tag);
      }
      packet.tags = tags;
    }
    if (this.failure === undefined && flags & Flag.MIME_TYPE) packet.mimeType = this.string('mime type');
    if (this.failure === undefined && flags & Flag.FILE_CONTENT) {
      const name = this.string('file name');
      const n = this.varint();
      const p = this.cursor;
      if (this.failure === undefined && (n < 0 || p + n > this.bodyEnd)) this.failure = 'file content extends past the end of the packet';
      if (this.failure === undefined && name !== undefined) {
        packet.file = { name, content: buf.slice(p, p + n) };
        this.cursor = p + n;
      }
    }
    if (this.failure === undefined && flags & Flag.ROUTE_CODE) packet.routeCode = this.string('route code');
    if (this.failure !== undefined) {
      this.corrupt('BATON_SUBUNIT_BAD_FIELD', this.failure);
      return undefined;
    }
    const status = STATUSES[flags & STATUS_MASK];
    if (status !== undefined) packet.status = status;
    if (flags & Flag.EOF) packet.eof = true;
    packet.runnable = (flags & Flag.RUNNABLE) !== 0;
    return packet;
  }

  /** Reads a varint at `cursor` within the packet, or returns -1 when it runs past its end. */
  private varint(): number {
    const buf = this.buf;
    const p = this.cursor;
    if (p >= this.bodyEnd) return -1;
    const b = buf[p]!;
    const size = (b >>> 6) + 1;
    if (p + size > this.bodyEnd) return -1;
    let v = b & 0x3f;
    for (let k = 1; k < size; k++) v = v * 256 + buf[p + k]!;
    this.cursor = p + size;
    return v;
  }

  /** Reads a varint-prefixed UTF-8 string at `cursor`, recording a failure if it is bad. */
  private string(what: string): string | undefined {
    const n = this.varint();
    const p = this.cursor;
    if (n < 0 || p + n > this.bodyEnd) {
      this.failure = `${what} extends past the end of the packet`;
      return undefined;
    }
    const s = this.strings.decode(this.buf, p, p + n);
    if (s === undefined) this.failure = `${what} is not valid UTF-8 or contains NUL`;
    this.cursor = p + n;
    return s;
  }
}

/** How many UTF-8 continuation bytes are still expected after byte `b`. */
function nextUtf8Pending(pending: number, b: number): number {
  if (pending > 0 && (b & 0xc0) === 0x80) return pending - 1;
  if (b >= 0xc2 && b <= 0xdf) return 1;
  if (b >= 0xe0 && b <= 0xef) return 2;
  if (b >= 0xf0 && b <= 0xf4) return 3;
  return 0;
}

/** Everything one decode of a complete byte string found. */
export interface DecodedStream {
  packets: Packet[];
  /** Byte offset of each packet, parallel to `packets`. */
  offsets: number[];
  text: { offset: number; data: Uint8Array }[];
  errors: SubunitError[];
}

/** Decodes a whole stream at once. */
export function decodeAll(bytes: Uint8Array, options?: DecoderOptions): DecodedStream {
  const out: DecodedStream = { packets: [], offsets: [], text: [], errors: [] };
  const decoder = new StreamDecoder(
    {
      packet: (p, offset) => {
        out.packets.push(p);
        out.offsets.push(offset);
      },
      bytes: (data, offset) => out.text.push({ offset, data }),
      error: (e) => out.errors.push(e),
    },
    options,
  );
  decoder.push(bytes);
  decoder.end();
  return out;
}
