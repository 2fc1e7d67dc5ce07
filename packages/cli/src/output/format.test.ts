import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareNatural, grouped, plural } from './format.js';

test('grouped writes integers as en-US does', () => {
  for (const n of [0, 7, 999, 1000, 12_345, 999_999, 1_000_000, 20_000, -1234, -999, 123_456_789_012]) {
    assert.equal(grouped(n), n.toLocaleString('en-US'), String(n));
  }
  assert.equal(plural(20_000, 'test'), '20,000 tests');
  assert.equal(plural(1, 'test'), '1 test');
});

test('compareNatural orders numbered names by value', () => {
  const names = ['local/10', 'local/2', 'b/1', 'local/1', 'ci-3/0', 'ci-12/0', 'local'];
  assert.deepEqual(names.sort(compareNatural), ['b/1', 'ci-3/0', 'ci-12/0', 'local', 'local/1', 'local/2', 'local/10']);
});
