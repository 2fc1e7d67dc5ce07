import { createHash } from 'node:crypto';

/**
 * The test-list digest of the Hello message: sha256 (hex) of the ids sorted by their
 * UTF-8 bytes and joined with "\n". Two servers with the same digest can run the same
 * tests; the Python reference server computes it the same way.
 */
export function testListDigest(ids: Iterable<string>): string {
  const unique = [...new Set(ids)];
  // Ids are almost always ASCII, where string order is byte order: sorting strings and
  // hashing them joined is a fraction of the cost of a Buffer per id (runs of 100,000 tests).
  const sorted = unique.every(isAscii) ? unique.sort() : unique.map((id) => Buffer.from(id, 'utf8')).sort(Buffer.compare).map((b) => b.toString('utf8'));
  return createHash('sha256').update(sorted.join('\n'), 'utf8').digest('hex');
}

function isAscii(id: string): boolean {
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) > 0x7f) return false;
  return true;
}
