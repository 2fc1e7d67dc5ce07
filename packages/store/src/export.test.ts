import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregate, decodeAll, encodePackets } from '@baton/subunit';
import { resultPackets } from './export.js';
import type { StoredResult } from './types.js';

const base: StoredResult = {
  run: 1, testId: 'pkg.T.test', status: 'fail', start: { seconds: 1_700_000_000, nanos: 5_000 }, stop: { seconds: 1_700_000_002, nanos: 0 },
  worker: undefined, seq: 0, tags: [], attachments: [],
};

describe('resultPackets', () => {
  it('reads back as the same result, attachments over one chunk included', () => {
    const big = new Uint8Array(150_000).map((_, i) => i % 251);
    const result: StoredResult = { ...base, tags: ['worker-0'], worker: 'worker-0', attachments: [
      { name: 'traceback', mimeType: 'text/x-traceback;charset=utf8', content: new TextEncoder().encode('boom') },
      { name: 'big', mimeType: 'application/octet-stream', content: big },
      { name: 'empty', mimeType: undefined, content: new Uint8Array(0) },
    ] };
    const packets = resultPackets(result);
    assert.equal(packets.filter((p) => p.file?.name === 'big').length, 3);
    const decoded = decodeAll(encodePackets(packets));
    assert.deepEqual(decoded.errors, []);
    const [back] = aggregate(decoded.packets).results;
    assert.deepEqual(back, { id: result.testId, status: 'fail', start: result.start, stop: result.stop, tags: ['worker-0'], routeCode: undefined, attachments: result.attachments });
  });

  it('sends a worker that no tag names as the route code', () => {
    assert.deepEqual(resultPackets({ ...base, worker: 'host-a/1' }).map((p) => p.routeCode), ['host-a/1', 'host-a/1']);
  });

  it('leaves a test that never finished in progress', () => {
    assert.deepEqual(resultPackets({ ...base, status: 'inprogress', stop: undefined }).map((p) => p.status), ['inprogress']);
  });
});
