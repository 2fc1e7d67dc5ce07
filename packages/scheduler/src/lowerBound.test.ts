import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lowerBound, unforeseenBound } from './lowerBound.js';

const workers = (n: number, w: { speed?: number; join?: number; leave?: number } = {}): { speed?: number; join?: number; leave?: number }[] =>
  Array.from({ length: n }, () => ({ ...w }));

describe('lowerBound', () => {
  it("is DESIGN.md's sum over segments of max(work / min(W, concurrency), longest unit) for equal workers", () => {
    const segments = [{ units: [4, 4, 4, 4] }, { units: [1, 1, 1, 1], concurrency: 1 }, { units: [10] }, { units: [9, 1, 1, 1] }];
    assert.equal(lowerBound(segments, workers(4)), 4 + 4 + 10 + 9);
  });

  it('counts slower workers by their total speed, and the longest unit on the fastest', () => {
    assert.equal(lowerBound([{ units: [3, 3, 3] }], [{ speed: 1 }, { speed: 0.5 }]), 6);
    assert.equal(lowerBound([{ units: [8, 1] }], [{ speed: 2 }, { speed: 1 }]), 4);
    // Concurrency 1 uses the fastest worker only.
    assert.equal(lowerBound([{ units: [2, 2], concurrency: 1 }], [{ speed: 0.5 }, { speed: 2 }]), 2);
  });

  it('accounts for workers joining late', () => {
    // One worker from 0, a second from t=2: 2 + (8 - 2) / 2 = 5.
    assert.equal(lowerBound([{ units: [1, 1, 1, 1, 1, 1, 1, 1] }], [{}, { join: 2 }]), 5);
    assert.equal(lowerBound([{ units: [1] }], [{ join: 3 }]), 4);
  });

  it('lets a leaving worker finish one unit it started, counting the largest units generously', () => {
    // Capacity 2 until t=1, then 1; plus the largest unit (2) for the leaver: 1*2 + (t-1) + 2 >= 8 => t = 5.
    assert.equal(lowerBound([{ units: [2, 1, 1, 1, 1, 1, 1] }], [{}, { leave: 1 }]), 5);
  });

  it('chains segments and is infinite when no worker can run one', () => {
    assert.equal(lowerBound([{ units: [1] }, { units: [1] }], [{ leave: 0.5 }]), Infinity);
    assert.equal(lowerBound([], workers(2)), 0);
  });

  it('without foresight, credits a worker that leaves or dies with nothing after it goes', () => {
    // As above, but the leaver does nothing after t=1: 1*2 + (t-1) >= 8 => t = 7.
    assert.equal(unforeseenBound([{ units: [2, 1, 1, 1, 1, 1, 1] }], [{}, { leave: 1 }]), 7);
    // The bound lets the dying worker lose the longest unit; without foresight it must run.
    assert.equal(lowerBound([{ units: [5, 1] }], [{ die: 1 }, {}]), 1);
    assert.equal(unforeseenBound([{ units: [5, 1] }], [{ die: 1 }, {}]), 5);
    // Nobody leaves: both are the same.
    assert.equal(unforeseenBound([{ units: [3, 3, 3] }], [{ speed: 1 }, { speed: 0.5 }]), 6);
  });
});
