import { createHash } from 'node:crypto';

/**
 * The test-list digest of the Hello message: sha256 (hex) of the ids sorted by their
 * UTF-8 bytes and joined with "\n". Two servers with the same digest can run the same
 * tests; the Python reference server computes it the same way.
 */
export function testListDigest(ids: Iterable<string>): string {
  const sorted = [...new Set(ids)].map((id) => Buffer.from(id, 'utf8')).sort(Buffer.compare);
  const hash = createHash('sha256');
  sorted.forEach((id, i) => {
    if (i > 0) hash.update('\n');
    hash.update(id);
  });
  return hash.digest('hex');
}
