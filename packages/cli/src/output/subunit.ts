import { testResultOf, type StoredResult } from '@baton/store';
import { encodePackets, resultPackets } from '@baton/subunit';

/** Writes results as a subunit v2 stream that python-subunit's tools read. */
export function writeSubunit(out: { write(data: Uint8Array): unknown }, results: Iterable<StoredResult>): void {
  for (const r of results) out.write(encodePackets(resultPackets(testResultOf(r), { withStart: true })));
}
