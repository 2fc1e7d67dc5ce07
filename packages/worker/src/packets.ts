// What the worker sends upstream: subunit packets routed by slot and tagged `worker-N`,
// as testrepository tags the partitions it runs in parallel.
import { timestampFromMillis, type Attachment, type Packet, type TestResult, type Timestamp } from '@baton/subunit';

/**
 * Attachments are re-chunked below this size so that a packet never nears subunit's
 * 4 MiB limit, whatever a test printed.
 */
export const ATTACHMENT_CHUNK_BYTES: number = 1024 * 1024;

const TEXT = 'text/plain; charset=utf8';
const utf8 = new TextEncoder();

/** The route code of a packet that came through `slot`: the slot, before any route code it had. */
export function slotRoute(slot: number, routeCode: string | undefined): string {
  return routeCode === undefined || routeCode === '' ? String(slot) : `${slot}/${routeCode}`;
}

/** The tag testrepository gives the tests of one parallel partition. */
export function workerTag(slot: number): string {
  return `worker-${slot}`;
}

function withTag(tags: readonly string[], slot: number): string[] {
  const tag = workerTag(slot);
  return tags.includes(tag) ? [...tags] : [...tags, tag];
}

/** The `inprogress` packet of a test that started on `slot`. */
export function startPacket(id: string, slot: number, at: Timestamp): Packet {
  return { testId: id, status: 'inprogress', timestamp: at, tags: [workerTag(slot)], routeCode: String(slot) };
}

/** A result as it leaves the worker: routed by `slot` and tagged `worker-N`. */
export function routedResult(result: TestResult, slot: number): TestResult {
  return { ...result, routeCode: slotRoute(slot, result.routeCode), tags: withTag(result.tags, slot) };
}

/** The packets of a finished test: its attachments, then its final status. */
export function resultPackets(result: TestResult, slot: number): Packet[] {
  const { routeCode, tags } = routedResult(result, slot);
  const packets: Packet[] = [];
  for (const attachment of result.attachments) {
    for (const chunk of chunks(attachment.content)) {
      packets.push({
        testId: result.id,
        ...(attachment.mimeType === undefined ? {} : { mimeType: attachment.mimeType }),
        file: { name: attachment.name, content: chunk.content },
        eof: chunk.last,
        routeCode,
        tags,
      });
    }
  }
  packets.push({
    testId: result.id,
    ...(result.status === undefined ? {} : { status: result.status }),
    ...(result.stop === undefined ? {} : { timestamp: result.stop }),
    tags,
    routeCode,
  });
  return packets;
}

/** Output on `slot` that belongs to no test. */
export function outputPackets(attachment: Attachment, slot: number, at: Timestamp): Packet[] {
  return chunks(attachment.content).map((chunk) => ({
    ...(attachment.mimeType === undefined ? {} : { mimeType: attachment.mimeType }),
    file: { name: attachment.name, content: chunk.content },
    routeCode: String(slot),
    timestamp: at,
  }));
}

/**
 * A `fail` the worker records itself (a timeout, a dead test server): one text attachment
 * named `name` (`baton-timeout`, `baton-error`) saying why.
 */
export function workerFailure(id: string, name: string, text: string, start: number | undefined, stop: number): TestResult {
  return {
    id,
    status: 'fail',
    start: timestampFromMillis(start ?? stop),
    stop: timestampFromMillis(stop),
    tags: [],
    routeCode: undefined,
    attachments: [{ name, mimeType: TEXT, content: utf8.encode(text) }],
  };
}

function chunks(content: Uint8Array): { content: Uint8Array; last: boolean }[] {
  if (content.length <= ATTACHMENT_CHUNK_BYTES) return [{ content, last: true }];
  const out: { content: Uint8Array; last: boolean }[] = [];
  for (let at = 0; at < content.length; at += ATTACHMENT_CHUNK_BYTES) {
    const end = Math.min(at + ATTACHMENT_CHUNK_BYTES, content.length);
    out.push({ content: content.subarray(at, end), last: end === content.length });
  }
  return out;
}
