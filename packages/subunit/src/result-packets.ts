// Results back into packets: what the aggregator reads, written out again (the worker
// sending upstream, `baton last --subunit`, `--subunit`).
import type { Attachment, TestResult } from './aggregator.js';
import type { Packet } from './packet.js';

/**
 * Attachment bytes per packet when baton writes one out: far below the 4 MiB packet
 * limit whatever a test printed, and small enough that a huge output streams in pieces.
 */
export const ATTACHMENT_CHUNK_BYTES: number = 64 * 1024;

/**
 * An attachment as file packets of at most ATTACHMENT_CHUNK_BYTES, each with its mime type
 * (as testtools writes them) and `fields`, the last marked eof; an empty attachment is
 * one empty packet.
 */
export function attachmentPackets(attachment: Attachment, fields: Packet): Packet[] {
  const { name, content, mimeType } = attachment;
  const packets: Packet[] = [];
  for (let at = 0; at === 0 || at < content.length; at += ATTACHMENT_CHUNK_BYTES) {
    const end = Math.min(at + ATTACHMENT_CHUNK_BYTES, content.length);
    packets.push({
      ...fields,
      ...(mimeType === undefined ? {} : { mimeType }),
      file: { name, content: content.subarray(at, end) },
      ...(end === content.length ? { eof: true } : {}),
    });
  }
  return packets;
}

/** Options of `resultPackets`. */
export interface ResultPacketsOptions {
  /**
   * Begin with the `inprogress` packet at the result's start, as a whole test's stream
   * does; the worker sent that one already, as the test started. @default false
   */
  readonly withStart?: boolean;
}

/**
 * A result as packets, the way testtools' `StreamResult` reports a test: (its `inprogress`
 * at its start,) its attachments, then its final status at its stop; a result with no
 * final status (a test that never finished) ends after its attachments. Its tags and route
 * code go on every packet.
 */
export function resultPackets(result: TestResult, options: ResultPacketsOptions = {}): Packet[] {
  const common: Packet = {
    testId: result.id,
    ...(result.tags.length > 0 ? { tags: result.tags } : {}),
    ...(result.routeCode === undefined ? {} : { routeCode: result.routeCode }),
  };
  const packets: Packet[] = [];
  if (options.withStart) packets.push({ ...common, status: 'inprogress', ...(result.start === undefined ? {} : { timestamp: result.start }) });
  for (const attachment of result.attachments) packets.push(...attachmentPackets(attachment, common));
  if (result.status !== undefined && result.status !== 'inprogress') {
    packets.push({ ...common, status: result.status, ...(result.stop === undefined ? {} : { timestamp: result.stop }) });
  }
  return packets;
}
