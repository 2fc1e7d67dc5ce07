import { Flag, MAX_PACKET_SIZE, SIGNATURE, statusCode } from './constants.js';
import { crc32 } from './crc32.js';
import { SubunitError } from './errors.js';
import type { Packet } from './packet.js';
import { utf8Length, varintSize, writeUtf8, writeVarint } from './wire.js';

const MAX_UINT32 = 0xffffffff;

/** A packet measured for writing: its flags, total size and the UTF-8 sizes of its strings. */
interface Layout {
  packet: Packet;
  flags: number;
  size: number;
  idLength: number;
  tagLengths: number[] | undefined;
  mimeLength: number;
  fileNameLength: number;
  routeLength: number;
}

/**
 * Measures a packet, byte for byte as python-subunit's `StreamResultToBytes` lays it
 * out (same field order, same flag choices, the shortest length varint). Throws a
 * `SubunitError` for values the format cannot carry: a packet over 4 MiB, a NUL in a
 * string, a timestamp outside 1970–2106.
 */
function measure(packet: Packet): Layout {
  let flags = Flag.VERSION_2 | statusCode(packet.status);
  let body = 0;
  const ts = packet.timestamp;
  if (ts !== undefined) {
    if (!Number.isInteger(ts.seconds) || ts.seconds < 0 || ts.seconds > MAX_UINT32 ||
        !Number.isInteger(ts.nanos) || ts.nanos < 0 || ts.nanos >= 1e9) {
      throw new SubunitError('BATON_SUBUNIT_BAD_VALUE', `timestamp ${ts.seconds}s ${ts.nanos}ns cannot be encoded (seconds must fit 32 bits, nanos in [0, 1e9))`);
    }
    flags |= Flag.TIMESTAMP;
    body += 4 + varintSize(ts.nanos);
  }
  let idLength = 0;
  if (packet.testId !== undefined) {
    flags |= Flag.TEST_ID;
    idLength = utf8Length(packet.testId, 'test id');
    body += varintSize(idLength) + idLength;
  }
  let tagLengths: number[] | undefined;
  if (packet.tags !== undefined && packet.tags.length > 0) {
    flags |= Flag.TAGS;
    tagLengths = packet.tags.map((t) => utf8Length(t, 'tag'));
    body += varintSize(tagLengths.length);
    for (const n of tagLengths) body += varintSize(n) + n;
  }
  if (packet.runnable !== false) flags |= Flag.RUNNABLE;
  let mimeLength = 0;
  if (packet.mimeType) {
    flags |= Flag.MIME_TYPE;
    mimeLength = utf8Length(packet.mimeType, 'mime type');
    body += varintSize(mimeLength) + mimeLength;
  }
  let fileNameLength = 0;
  if (packet.file !== undefined) {
    flags |= Flag.FILE_CONTENT;
    fileNameLength = utf8Length(packet.file.name, 'file name');
    const n = packet.file.content.length;
    if (n > MAX_PACKET_SIZE) throw tooLarge(n);
    body += varintSize(fileNameLength) + fileNameLength + varintSize(n) + n;
  }
  if (packet.eof) flags |= Flag.EOF;
  let routeLength = 0;
  if (packet.routeCode !== undefined) {
    flags |= Flag.ROUTE_CODE;
    routeLength = utf8Length(packet.routeCode, 'route code');
    body += varintSize(routeLength) + routeLength;
  }
  // The length counts the whole packet, its own varint included, so pick the varint
  // size that fits (the same thresholds as python-subunit).
  const base = 1 + 2 + body + 4;
  const lengthSize = base <= 62 ? 1 : base <= 16381 ? 2 : base <= 4194300 ? 3 : 0;
  if (lengthSize === 0) throw tooLarge(base);
  return { packet, flags, size: base + lengthSize, idLength, tagLengths, mimeLength, fileNameLength, routeLength };
}

/** Writes a measured packet at `pos` and returns the position after it. */
function write(layout: Layout, out: Uint8Array, start: number): number {
  const { packet, flags } = layout;
  out[start] = SIGNATURE;
  out[start + 1] = flags >>> 8;
  out[start + 2] = flags & 0xff;
  let pos = writeVarint(out, start + 3, layout.size);
  const ts = packet.timestamp;
  if (ts !== undefined) {
    out[pos] = ts.seconds >>> 24;
    out[pos + 1] = (ts.seconds >>> 16) & 0xff;
    out[pos + 2] = (ts.seconds >>> 8) & 0xff;
    out[pos + 3] = ts.seconds & 0xff;
    pos = writeVarint(out, pos + 4, ts.nanos);
  }
  if (packet.testId !== undefined) pos = writeUtf8(out, writeVarint(out, pos, layout.idLength), packet.testId);
  const tagLengths = layout.tagLengths;
  if (tagLengths !== undefined && packet.tags !== undefined) {
    pos = writeVarint(out, pos, tagLengths.length);
    for (let k = 0; k < tagLengths.length; k++) pos = writeUtf8(out, writeVarint(out, pos, tagLengths[k]!), packet.tags[k]!);
  }
  if (flags & Flag.MIME_TYPE) pos = writeUtf8(out, writeVarint(out, pos, layout.mimeLength), packet.mimeType!);
  const file = packet.file;
  if (file !== undefined) {
    pos = writeUtf8(out, writeVarint(out, pos, layout.fileNameLength), file.name);
    pos = writeVarint(out, pos, file.content.length);
    out.set(file.content, pos);
    pos += file.content.length;
  }
  if (packet.routeCode !== undefined) pos = writeUtf8(out, writeVarint(out, pos, layout.routeLength), packet.routeCode);
  const crc = crc32(out, start, pos);
  out[pos] = crc >>> 24;
  out[pos + 1] = (crc >>> 16) & 0xff;
  out[pos + 2] = (crc >>> 8) & 0xff;
  out[pos + 3] = crc & 0xff;
  return pos + 4;
}

/** Encodes one packet into a buffer of its own. See `measure` for what is refused. */
export function encodePacket(packet: Packet): Uint8Array {
  const layout = measure(packet);
  const out = new Uint8Array(layout.size);
  write(layout, out, 0);
  return out;
}

/** Encodes packets into one buffer, in order. */
export function encodePackets(packets: Iterable<Packet>): Uint8Array {
  const layouts: Layout[] = [];
  let size = 0;
  for (const p of packets) {
    const layout = measure(p);
    layouts.push(layout);
    size += layout.size;
  }
  const out = new Uint8Array(size);
  let pos = 0;
  for (const layout of layouts) pos = write(layout, out, pos);
  return out;
}

/** Where a `StreamEncoder` delivers its bytes. */
export type ChunkSink = (chunk: Uint8Array) => void;

export interface StreamEncoderOptions {
  /**
   * Bytes gathered before a chunk goes to the sink; a packet larger than this goes
   * alone in a chunk of its own size.
   * @default 65536
   */
  chunkSize?: number;
}

/**
 * Encodes packets into large chunks for a stream (a file, stdout, a socket): one
 * allocation and one sink call per chunk instead of per packet, which is what makes
 * writing a million results cheap. Call `flush` to hand over a partial chunk.
 */
export class StreamEncoder {
  private readonly sink: ChunkSink;
  private readonly chunkSize: number;
  private chunk: Uint8Array;
  private used = 0;

  constructor(sink: ChunkSink, options: StreamEncoderOptions = {}) {
    this.sink = sink;
    this.chunkSize = options.chunkSize ?? 65536;
    this.chunk = new Uint8Array(this.chunkSize);
  }

  /** Encodes a packet; throws (writing nothing) if the packet cannot be encoded. */
  write(packet: Packet): void {
    const layout = measure(packet);
    if (this.used + layout.size > this.chunk.length) {
      this.flush();
      if (layout.size > this.chunk.length) {
        const own = new Uint8Array(layout.size);
        write(layout, own, 0);
        this.sink(own);
        return;
      }
    }
    this.used = write(layout, this.chunk, this.used);
  }

  /** Hands the bytes gathered so far to the sink. */
  flush(): void {
    if (this.used === 0) return;
    const full = this.chunk.subarray(0, this.used);
    this.chunk = new Uint8Array(this.chunkSize);
    this.used = 0;
    this.sink(full);
  }
}

function tooLarge(size: number): SubunitError {
  return new SubunitError('BATON_SUBUNIT_TOO_LARGE', `packet of ${size} bytes exceeds subunit's limit of ${MAX_PACKET_SIZE} bytes; split the attachment into several packets`);
}
