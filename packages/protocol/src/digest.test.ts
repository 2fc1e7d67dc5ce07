import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { testListDigest } from './digest.js';

/** The definition, written the slow way: UTF-8 bytes sorted, joined by newlines, sha256. */
function reference(ids: string[]): string {
  const sorted = [...new Set(ids)].map((id) => Buffer.from(id, 'utf8')).sort(Buffer.compare);
  return createHash('sha256').update(Buffer.concat(sorted.flatMap((b, i) => (i === 0 ? [b] : [Buffer.from('\n'), b])))).digest('hex');
}

test('the digest is of the ids sorted by UTF-8 bytes, whatever their order and repeats', () => {
  const ascii = ['tests.b.T.test_2', 'tests.a.T.test_10', 'tests.a.T.test_1', 'tests.a.T.test_1'];
  assert.equal(testListDigest(ascii), reference(ascii));
  assert.equal(testListDigest([...ascii].reverse()), testListDigest(ascii));
  // U+FF5E sorts after U+1F600 in UTF-16 code units but before it in UTF-8 bytes.
  const wide = ['tests.t.test_\u{ff5e}', 'tests.t.test_\u{1f600}', 'tests.t.test_é', ...ascii];
  assert.equal(testListDigest(wide), reference(wide));
  assert.notEqual(testListDigest(wide), testListDigest(ascii));
});
