import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from './rng.js';
import { RunningMedian } from './runningMedian.js';

describe('RunningMedian', () => {
  it('is the median of everything added so far', () => {
    const rng = mulberry32(7);
    const m = new RunningMedian();
    const values: number[] = [];
    assert.equal(m.median, undefined);
    for (let i = 0; i < 500; i++) {
      // Many duplicates, as durations rounded by a clock have.
      const v = Math.round(rng.next() * 50) / 10;
      m.add(v);
      values.push(v);
      const sorted = [...values].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      const expected = sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
      assert.equal(m.median, expected, `after ${i + 1}`);
      assert.equal(m.count, i + 1);
    }
  });
});
