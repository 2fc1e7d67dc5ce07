import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Lanes } from './lanes.js';
import type { UnitRecord } from './state.js';

/** Lanes over units 0…n-1, ranked in index order, with these estimates. */
const lanesOf = (estimates: number[]): Lanes =>
  new Lanes(new Array<UnitRecord>(estimates.length), Int32Array.from(estimates, (_, i) => i), Float64Array.from(estimates));

describe('Lanes.take', () => {
  it('takes from the head in discovery order until the target is reached, the unit that reaches it included', () => {
    const lanes = lanesOf([0.1, 0.1, 0.1, 3, 0.1]);
    const lane = lanes.create(undefined, [4, 3, 2, 1, 0]);
    assert.deepEqual(lanes.take(lane, 0.25), [0, 1, 2]);
    assert.deepEqual(lanes.take(lane, 0.25), [3]);
    assert.equal(lane.count, 1);
  });

  it('stops before a unit that would take the batch past its cap, and still takes one unit at least', () => {
    const lanes = lanesOf([0.1, 0.1, 3, 0.1]);
    const lane = lanes.create(undefined, [0, 1, 2, 3]);
    assert.deepEqual(lanes.take(lane, 1, 2), [0, 1]);
    assert.deepEqual(lanes.take(lane, 0.1, 0.2), [2]);
    assert.deepEqual(lanes.take(lane, 1, 2), [3]);
  });

  it('runs a lane led later by one of its units from that unit to the end, then wraps round in a batch of its own', () => {
    const lanes = lanesOf([1, 1, 1, 1, 1]);
    const lane = lanes.create(undefined, [0, 1, 2, 3, 4]);
    assert.deepEqual(lanes.take(lane, 1), [0]);
    lanes.lead(lane, 3);
    assert.deepEqual(lanes.take(lane, 10), [3, 4]);
    assert.deepEqual(lanes.take(lane, 10), [1, 2]);
    assert.equal(lane.lead, -1);
  });

  it('keeps the work queued in all lanes as units are added, taken, moved and re-estimated', () => {
    const lanes = lanesOf([1, 2, 3, 4]);
    const a = lanes.create(undefined, [0, 1]);
    const b = lanes.create(undefined, [2, 3]);
    assert.equal(lanes.total, 10);
    lanes.take(a, 1);
    lanes.add(a, [3]);
    lanes.setEstimate(2, 5);
    assert.deepEqual([lanes.total, a.work, b.work], [11, 6, 5]);
    lanes.clear();
    assert.equal(lanes.total, 0);
  });
});
