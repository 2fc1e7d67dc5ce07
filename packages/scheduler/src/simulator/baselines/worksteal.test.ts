import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command, Dispatch } from '../../events.js';
import type { PolicyContext } from '../context.js';
import { WorkStealPolicy } from './worksteal.js';

const context = (tests: string[], workers: number): PolicyContext => ({
  segments: [{ name: 'all', units: tests.map((t) => [t]) }],
  history: new Map(),
  workers: Array.from({ length: workers }, (_, i) => `w${i + 1}`),
  initialWorkers: workers,
  latency: 0,
  discovery: tests,
  freshProcess: undefined,
});
const sent = (cmds: readonly Command[]): [string, string[]][] =>
  cmds.filter((c): c is Dispatch => c.type === 'dispatch').map((c) => [c.worker, c.units.flatMap((u) => u.tests)]);

describe('pytest-xdist worksteal', () => {
  const tests = Array.from({ length: 10 }, (_, i) => `t${i}`);

  it('waits for the initial nodes, then splits the collection evenly in order', () => {
    const p = new WorkStealPolicy(context(tests, 3));
    assert.deepEqual(p.handle({ type: 'workerJoined', worker: 'w1' }, 0), []);
    p.handle({ type: 'workerJoined', worker: 'w2' }, 0);
    assert.deepEqual(sent(p.handle({ type: 'workerJoined', worker: 'w3' }, 0)), [
      ['w1', ['t0', 't1', 't2']],
      ['w2', ['t3', 't4', 't5']],
      ['w3', ['t6', 't7', 't8', 't9']],
    ]);
  });

  it('steals half of the longest queue by count, from its tail, one steal at a time', () => {
    const p = new WorkStealPolicy(context(tests, 2));
    p.handle({ type: 'workerJoined', worker: 'w1' }, 0);
    p.handle({ type: 'workerJoined', worker: 'w2' }, 0);
    // w1 holds t0..t4. It finishes four: with one left it is idle, and w2 (5 queued) is robbed of min(5//2, 5-2) = 2.
    for (const t of ['t0', 't1', 't2']) assert.deepEqual(p.handle({ type: 'testFinished', worker: 'w1', test: t, duration: 1 }, 1), []);
    const steal = p.handle({ type: 'testFinished', worker: 'w1', test: 't3', duration: 1 }, 1);
    assert.deepEqual(steal, [
      {
        type: 'reclaim',
        worker: 'w2',
        units: [
          { unit: 8, tests: ['t8'] },
          { unit: 9, tests: ['t9'] },
        ],
      },
    ]);
    // While that steal is out, nothing else is stolen.
    assert.deepEqual(p.handle({ type: 'testFinished', worker: 'w1', test: 't4', duration: 1 }, 2), []);
    assert.deepEqual(sent(p.handle({ type: 'testsReleased', worker: 'w2', tests: ['t8', 't9'] }, 3)), [['w1', ['t8', 't9']]]);
  });

  it("reports a crashed node's running test lost and re-queues the rest", () => {
    const p = new WorkStealPolicy(context(['a', 'b', 'c', 'd'], 2));
    p.handle({ type: 'workerJoined', worker: 'w1' }, 0);
    p.handle({ type: 'workerJoined', worker: 'w2' }, 0);
    p.handle({ type: 'testStarted', worker: 'w1', test: 'a' }, 0);
    const out = p.handle({ type: 'workerDied', worker: 'w1' }, 1);
    assert.deepEqual(out[0], { type: 'lost', worker: 'w1', test: 'a', unit: 0 });
    assert.deepEqual(sent(out), []);
    // w2 gets b once it is idle (one test left).
    assert.deepEqual(sent(p.handle({ type: 'testFinished', worker: 'w2', test: 'c', duration: 1 }, 2)), [['w2', ['b']]]);
  });
});
