import { Flag, MAX_PACKET_SIZE, SIGNATURE, statusCode } from './constants.js';
import { crc32 } from './crc32.js';
import { SubunitError } from './errors.js';
import type { Packet } from './packet.js';
import { utf8Bytes, varintSize, writeVarint } from './wire.js';

const MAX_UINT32 = 0xffffffff;

/**
 * Encodes one packet, byte for byte as python-subunit's `StreamResultToBytes` would
 * (same field order, same flag choices, the shortest length varint). Throws a
 * `SubunitError` for values the format cannot carry: a packet over 4 MiB, a NUL in a
 * string, a timestamp outside 1970–2106.
 */
export function encodePacket(packet: Packet): Uint8Array {
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
  let id: Uint8Array | undefined;
  if (packet.testId !== undefined) {
    flags |= Flag.TEST_ID;
    id = utf8Bytes(packet.testId, 'test id');
    body += varintSize(id.length) + id.length;
  }
  let tags: Uint8Array[] | undefined;
  if (packet.tags !== undefined && packet.tags.length > 0) {
    flags |= Flag.TAGS;
    tags = packet.tags.map((t) => utf8Bytes(t, 'tag'));
    body += varintSize(tags.length);
    for (const t of tags) body += varintSize(t.length) + t.length;
  }
  if (packet.runnable !== false) flags |= Flag.RUNNABLE;
  let mime: Uint8Array | undefined;
  if (packet.mimeType) {
    flags |= Flag.MIME_TYPE;
    mime = utf8Bytes(packet.mimeType, 'mime type');
    body += varintSize(mime.length) + mime.length;
  }
  let fileName: Uint8Array | undefined;
  if (packet.file !== undefined) {
    flags |= Flag.FILE_CONTENT;
    fileName = utf8Bytes(packet.file.name, 'file name');
    const n = packet.file.content.length;
    if (n > MAX_PACKET_SIZE) throw tooLarge(n);
    body += varintSize(fileName.length) + fileName.length + varintSize(n) + n;
  }
  if (packet.eof) flags |= Flag.EOF;
  let route: Uint8Array | undefined;
  if (packet.routeCode !== undefined) {
    flags |= Flag.ROUTE_CODE;
    route = utf8Bytes(packet.routeCode, 'route code');
    body += varintSize(route.length) + route.length;
  }

  // The length counts the whole packet, its own varint included, so pick the varint
  // size that fits (the same thresholds as python-subunit).
  const base = 1 + 2 + body + 4;
  const lengthSize = base <= 62 ? 1 : base <= 16381 ? 2 : base <= 4194300 ? 3 : 0;
  if (lengthSize === 0) throw tooLarge(base);
  const total = base + lengthSize;

  const out = new Uint8Array(total);
  out[0] = SIGNATURE;
  out[1] = flags >>> 8;
  out[2] = flags & 0xff;
  let pos = writeVarint(out, 3, total);
  if (ts !== undefined) {
    out[pos] = ts.seconds >>> 24;
    out[pos + 1] = (ts.seconds >>> 16) & 0xff;
    out[pos + 2] = (ts.seconds >>> 8) & 0xff;
    out[pos + 3] = ts.seconds & 0xff;
    pos = writeVarint(out, pos + 4, ts.nanos);
  }
  if (id !== undefined) pos = writeString(out, pos, id);
  if (tags !== undefined) {
    pos = writeVarint(out, pos, tags.length);
    for (const t of tags) pos = writeString(out, pos, t);
  }
  if (mime !== undefined) pos = writeString(out, pos, mime);
  if (fileName !== undefined && packet.file !== undefined) {
    pos = writeString(out, pos, fileName);
    pos = writeString(out, pos, packet.file.content);
  }
  if (route !== undefined) pos = writeString(out, pos, route);
  const crc = crc32(out, 0, pos);
  out[pos] = crc >>> 24;
  out[pos + 1] = (crc >>> 16) & 0xff;
  out[pos + 2] = (crc >>> 8) & 0xff;
  out[pos + 3] = crc & 0xff;
  return out;
}

/** Encodes packets into one buffer, in order. */
export function encodePackets(packets: Iterable<Packet>): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const p of packets) {
    const bytes = encodePacket(p);
    parts.push(bytes);
    size += bytes.length;
  }
  const out = new Uint8Array(size);
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

function writeString(out: Uint8Array, pos: number, bytes: Uint8Array): number {
  const at = writeVarint(out, pos, bytes.length);
  out.set(bytes, at);
  return at + bytes.length;
}

function tooLarge(size: number): SubunitError {
  return new SubunitError('BATON_SUBUNIT_TOO_LARGE', `packet of ${size} bytes exceeds subunit's limit of ${MAX_PACKET_SIZE} bytes; split the attachment into several packets`);
}
