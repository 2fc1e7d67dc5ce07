import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregate, decodeAll, encodePackets, resultPackets } from '@baton/subunit';
import { testResultOf } from './export.js';
import type { StoredResult } from './types.js';

const base: StoredResult = {
  run: 1, testId: 'pkg.T.test', status: 'fail', start: { seconds: 1_700_000_000, nanos: 5_000 }, stop: { seconds: 1_700_000_002, nanos: 0 },
  worker: undefined, seq: 0, tags: [], attachments: [],
};

describe('testResultOf', () => {
  it('written out with its start, reads back as the stored result', () => {
    const stored: StoredResult = { ...base, tags: ['worker-0'], worker: 'worker-0', attachments: [
      { name: 'traceback', mimeType: 'text/x-traceback;charset=utf8', content: new TextEncoder().encode('boom') },
    ] };
    const decoded = decodeAll(encodePackets(resultPackets(testResultOf(stored), { withStart: true })));
    const [back] = aggregate(decoded.packets).results;
    assert.deepEqual(back, { id: stored.testId, status: 'fail', start: stored.start, stop: stored.stop, tags: ['worker-0'], routeCode: undefined, attachments: stored.attachments });
  });

  it('sends a worker that no tag names as the route code', () => {
    assert.equal(testResultOf({ ...base, worker: 'host-a/1' }).routeCode, 'host-a/1');
    assert.equal(testResultOf({ ...base, worker: 'worker-2', tags: ['worker-2'] }).routeCode, undefined);
  });
});
