// What the worker sends upstream: subunit packets routed by slot and tagged `worker-N`,
// as testrepository tags the partitions it runs in parallel.
import { TEXT_MIME_TYPE, attachmentPackets, timestampFromMillis, type Attachment, type Packet, type TestResult, type Timestamp } from '@baton/subunit';

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

/** Output on `slot` that belongs to no test. */
export function outputPackets(attachment: Attachment, slot: number, at: Timestamp): Packet[] {
  return attachmentPackets(attachment, { routeCode: String(slot), timestamp: at });
}

/**
 * A `fail` the worker records itself (a timeout, a dead test server): one text attachment
 * named `name` (TIMEOUT_ATTACHMENT, ERROR_ATTACHMENT) saying why.
 */
export function workerFailure(id: string, name: string, text: string, start: number | undefined, stop: number): TestResult {
  return {
    id,
    status: 'fail',
    start: timestampFromMillis(start ?? stop),
    stop: timestampFromMillis(stop),
    tags: [],
    routeCode: undefined,
    attachments: [{ name, mimeType: TEXT_MIME_TYPE, content: utf8.encode(text) }],
  };
}
