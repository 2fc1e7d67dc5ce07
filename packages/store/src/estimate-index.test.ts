import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEstimateIndex, hashTestId, lookupEstimates } from './estimate-index.js';

describe('estimate index', () => {
  it('finds every stored estimate and nothing else', () => {
    const entries = Array.from({ length: 5000 }, (_, i) => [`pkg.mod_${i % 7}.T.test_${i}`, i / 10] as const);
    const blob = buildEstimateIndex(entries.length, entries.map(([id, e]) => [hashTestId(id), e]));
    const asked = [...entries.map(([id]) => id), 'pkg.never.seen', ''];
    assert.deepEqual(lookupEstimates(blob, asked), [...entries.map(([, e]) => e), undefined, undefined]);
  });

  it('reads a blob at any byte alignment, as SQLite returns them', () => {
    const blob = buildEstimateIndex(2, [[hashTestId('a'), 1.5], [hashTestId('b'), 2.5]]);
    const shifted = Buffer.alloc(blob.length + 3);
    blob.copy(shifted, 3);
    assert.deepEqual(lookupEstimates(shifted.subarray(3), ['b', 'a', 'c']), [2.5, 1.5, undefined]);
  });

  it('works empty, and keys on the whole id', () => {
    assert.deepEqual(lookupEstimates(buildEstimateIndex(0, []), ['x']), [undefined]);
    assert.notEqual(hashTestId('pkg.T.test_1'), hashTestId('pkg.T.test_10'));
    assert.ok(Number.isSafeInteger(hashTestId('x')) && hashTestId('x') > 0);
  });
});
