import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32, randomInt } from './rng.js';
import { UnitQueue } from './unitQueue.js';

describe('UnitQueue', () => {
  it('gives the longest estimate first, ties to the lower rank, through pushes, pops and re-keying', () => {
    const rng = mulberry32(3);
    const n = 200;
    const estimates = new Float64Array(n);
    const ranks = new Int32Array(n);
    for (let u = 0; u < n; u++) {
      estimates[u] = randomInt(rng, 5);
      ranks[u] = (u * 37) % n;
    }
    const order = (a: number, b: number): number => (estimates[b] as number) - (estimates[a] as number) || (ranks[a] as number) - (ranks[b] as number);
    const q = new UnitQueue(estimates, ranks, new Int32Array(n).fill(-1));
    const queued = new Set<number>();
    q.rebuild([...Array(n / 2).keys()]);
    for (let u = 0; u < n / 2; u++) queued.add(u);
    for (let u = n / 2; u < n; u++) {
      if (rng.next() < 0.5) {
        const expected = [...queued].sort(order)[0];
        assert.equal(q.pop(), expected);
        queued.delete(expected as number);
      }
      q.push(u);
      queued.add(u);
      if (rng.next() < 0.1) {
        // Estimates change in place, then the queue re-heaps.
        for (let i = 1; i <= q.size; i++) q.setKeyAt(i, (estimates[q.unitAt(i)] = randomInt(rng, 5)));
        q.reorder();
      }
    }
    for (const expected of [...queued].sort(order)) assert.equal(q.pop(), expected);
    assert.equal(q.pop(), undefined);
    assert.equal(q.size, 0);
  });
});
