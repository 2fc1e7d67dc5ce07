import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEstimateIndex, hashTestId, lookupEstimates } from './estimate-index.js';

const index = (entries: readonly (readonly [string, number])[]): Buffer =>
  buildEstimateIndex(Float64Array.from(entries, ([id]) => hashTestId(id)), Float64Array.from(entries, ([, e]) => e));

describe('estimate index', () => {
  it('finds every stored estimate and nothing else, in at most 13 bytes an entry', () => {
    const entries = Array.from({ length: 5000 }, (_, i) => [`pkg.mod_${i % 7}.T.test_${i}`, i / 10 + 1 / 3] as const);
    const blob = index(entries);
    const { known, unknown } = lookupEstimates(blob, ['pkg.never.seen', ...entries.map(([id]) => id), '']);
    assert.deepEqual(known, new Map(entries));
    assert.deepEqual(unknown, ['pkg.never.seen', '']);
    assert.ok(blob.length <= 13 * entries.length + 16, `${blob.length} bytes`);
  });

  it('reads a blob at any byte alignment, as SQLite may return them', () => {
    const blob = index([['a', 1.5], ['b', 2.5]]);
    const shifted = Buffer.alloc(blob.length + 3);
    blob.copy(shifted, 3);
    assert.deepEqual(lookupEstimates(shifted.subarray(3), ['b', 'a', 'c']), { known: new Map([['b', 2.5], ['a', 1.5]]), unknown: ['c'] });
  });

  it('works empty, and keys on the whole id', () => {
    assert.deepEqual(lookupEstimates(index([]), ['x']), { known: new Map(), unknown: ['x'] });
    assert.notEqual(hashTestId('pkg.T.test_1'), hashTestId('pkg.T.test_10'));
    assert.ok(Number.isSafeInteger(hashTestId('x')) && hashTestId('x') > 0);
  });
});
