// Attachments (tracebacks, captured output) are stored as one blob per result: a tiny
// length-prefixed layout, deflated when that pays. Results without attachments store NULL.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Attachment } from '@baton/subunit';

const RAW = 1;
const DEFLATED = 2;
/** Below this, deflate's own overhead eats most of the gain. */
const COMPRESS_FROM = 256;
const NO_MIME = 0xffffffff;

/** Packs attachments into a blob, or returns null for none. */
export function packAttachments(attachments: readonly Attachment[] | undefined): Buffer | null {
  if (attachments === undefined || attachments.length === 0) return null;
  const parts: Buffer[] = [];
  for (const a of attachments) {
    const name = Buffer.from(a.name, 'utf8');
    const mime = a.mimeType === undefined ? undefined : Buffer.from(a.mimeType, 'utf8');
    const head = Buffer.allocUnsafe(12);
    head.writeUInt32BE(name.length, 0);
    head.writeUInt32BE(mime === undefined ? NO_MIME : mime.length, 4);
    head.writeUInt32BE(a.content.length, 8);
    parts.push(head, name);
    if (mime !== undefined) parts.push(mime);
    parts.push(Buffer.from(a.content.buffer, a.content.byteOffset, a.content.length));
  }
  const payload = Buffer.concat(parts);
  if (payload.length >= COMPRESS_FROM) {
    const deflated = deflateRawSync(payload);
    if (deflated.length < payload.length) return Buffer.concat([Buffer.of(DEFLATED), deflated]);
  }
  return Buffer.concat([Buffer.of(RAW), payload]);
}

/** Unpacks a blob written by `packAttachments`. */
export function unpackAttachments(blob: Uint8Array | null): Attachment[] {
  if (blob === null || blob.length === 0) return [];
  const kind = blob[0];
  const body = Buffer.from(blob.buffer, blob.byteOffset + 1, blob.length - 1);
  const payload = kind === DEFLATED ? inflateRawSync(body) : kind === RAW ? body : undefined;
  if (payload === undefined) throw new RangeError(`unknown attachment blob kind ${kind}`);
  const out: Attachment[] = [];
  let at = 0;
  while (at < payload.length) {
    const nameLength = payload.readUInt32BE(at);
    const mimeLength = payload.readUInt32BE(at + 4);
    const contentLength = payload.readUInt32BE(at + 8);
    at += 12;
    const name = payload.toString('utf8', at, at + nameLength);
    at += nameLength;
    let mimeType: string | undefined;
    if (mimeLength !== NO_MIME) {
      mimeType = payload.toString('utf8', at, at + mimeLength);
      at += mimeLength;
    }
    out.push({ name, mimeType, content: new Uint8Array(payload.subarray(at, at + contentLength)) });
    at += contentLength;
  }
  return out;
}
