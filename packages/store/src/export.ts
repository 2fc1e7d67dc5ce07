import type { Packet } from '@baton/subunit';
import type { StoredResult } from './types.js';

/** Attachment chunk size: well under subunit's 4 MiB packet limit, as python-subunit writes them. */
const CHUNK = 64 * 1024;

/**
 * A stored result as subunit v2 packets, the way testtools' `StreamResult` reports a
 * test: `inprogress` at its start, its attachments, then its final status at its stop.
 * The worker travels as the route code, unless a tag already names it (stestr's `worker-N`).
 */
export function resultPackets(result: StoredResult): Packet[] {
  const common: Packet = { testId: result.testId };
  if (result.tags.length > 0) common.tags = result.tags;
  if (result.worker !== undefined && !result.tags.includes(result.worker)) common.routeCode = result.worker;
  const packets: Packet[] = [{ ...common, status: 'inprogress', ...(result.start && { timestamp: result.start }) }];
  for (const a of result.attachments) {
    for (let at = 0; at === 0 || at < a.content.length; at += CHUNK) {
      const content = a.content.subarray(at, at + CHUNK);
      packets.push({
        ...common,
        file: { name: a.name, content },
        ...(at === 0 && a.mimeType !== undefined && { mimeType: a.mimeType }),
        ...(at + CHUNK >= a.content.length && { eof: true }),
      });
    }
  }
  if (result.status !== 'inprogress') {
    packets.push({ ...common, status: result.status, ...(result.stop && { timestamp: result.stop }) });
  }
  return packets;
}
