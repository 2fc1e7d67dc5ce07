import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roundRobinPartition } from './roundRobin.js';

describe('round-robin partition', () => {
  it('sends unit i to partition i mod n, ignoring durations', () => {
    assert.deepEqual(roundRobinPartition([['a'], ['b'], ['c'], ['d'], ['e']], 2), [[0, 2, 4], [1, 3]]);
    assert.deepEqual(roundRobinPartition([['a']], 3), [[0], [], []]);
  });
});
