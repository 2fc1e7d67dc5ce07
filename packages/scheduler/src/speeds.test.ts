import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SPEED_WINDOW, WorkerSpeeds } from './speeds.js';

describe('WorkerSpeeds', () => {
  it('is the median of the last SPEED_WINDOW ratios: older ones age out', () => {
    const s = new WorkerSpeeds();
    const w = s.join('w');
    for (let i = 0; i < SPEED_WINDOW; i++) s.observe(w, 2, 1);
    assert.equal(s.slowness(w), 2);
    for (let i = 0; i < SPEED_WINDOW; i++) s.observe(w, 1, 1);
    assert.equal(s.slowness(w), 1);
    // Half the window at 4: the median of an even count is the mean of the middles (in logs).
    for (let i = 0; i < SPEED_WINDOW / 2; i++) s.observe(w, 4, 1);
    assert.ok(Math.abs(s.slowness(w) - 2) < 1e-12, `${s.slowness(w)}`);
    assert.equal(s.slownessOf('w'), s.slowness(w));
  });

  it('blends a worker with few observations with its prior, else the typical slowness', () => {
    const s = new WorkerSpeeds();
    const fast = s.join('fast', 2);
    const a = s.join('a');
    const b = s.join('b');
    assert.equal(s.slowness(fast), 0.5);
    for (let i = 0; i < 3; i++) s.observe(a, 3, 1);
    // exp(log 3) is 3 to within rounding.
    assert.ok(Math.abs(s.typicalSlowness() - 3) < 1e-12);
    assert.equal(s.slowness(b), s.typicalSlowness());
    assert.equal(s.slownessOf('stranger'), s.typicalSlowness());
    s.observe(fast, 1, 1);
    assert.ok(s.slowness(fast) > 0.5 && s.slowness(fast) < 1);
    assert.ok(!s.isKnown(b) && s.isKnown(fast));
  });
});
