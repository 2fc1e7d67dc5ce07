import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { partitionTests } from './stestr.js';

describe('stestr partition_tests', () => {
  it('puts timed groups longest first into the partition with the least time', () => {
    const units = [['a'], ['b'], ['c'], ['d'], ['e']];
    const times = new Map([['a', 1], ['b', 5], ['c', 3], ['d', 3], ['e', 2]]);
    // b→p0 (5); c→p1 (3); d→p1 (6); e→p0 (7); a→p1 (7).
    assert.deepEqual(partitionTests(units, 2, times), [[1, 4], [2, 3, 0]]);
  });

  it('breaks equal times by the number of tests, then keeps the earlier partition first', () => {
    const units = [['g1', 'g2'], ['h'], ['i']];
    const times = new Map([['g1', 1], ['g2', 1], ['h', 2], ['i', 1]]);
    // g (2, two tests)→p0; h (2)→p1; now p0=(2,2) p1=(2,1): i goes to p1.
    assert.deepEqual(partitionTests(units, 2, times), [[0], [1, 2]]);
  });

  it('schedules partially timed groups after the timed ones, and unknown groups round-robin in partition order', () => {
    const units = [['u1'], ['p1', 'p2'], ['t1'], ['u2'], ['u3']];
    const times = new Map([['p1', 1], ['t1', 3]]);
    assert.deepEqual(partitionTests(units, 2, times), [[2, 0, 4], [1, 3]]);
  });

  it('with no history at all, is round-robin', () => {
    assert.deepEqual(partitionTests([['a'], ['b'], ['c']], 2, new Map()), [[0, 2], [1]]);
  });
});
