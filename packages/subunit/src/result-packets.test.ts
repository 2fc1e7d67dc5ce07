import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregate, type TestResult } from './aggregator.js';
import { decodeAll } from './decoder.js';
import { encodePackets } from './encoder.js';
import { ATTACHMENT_CHUNK_BYTES, attachmentPackets, resultPackets } from './result-packets.js';

const result: TestResult = {
  id: 'pkg.T.test',
  status: 'fail',
  start: { seconds: 1_700_000_000, nanos: 5_000 },
  stop: { seconds: 1_700_000_002, nanos: 0 },
  tags: ['worker-0'],
  routeCode: '0/1',
  attachments: [
    { name: 'traceback', mimeType: 'text/x-traceback;charset=utf8', content: new TextEncoder().encode('boom') },
    { name: 'big', mimeType: 'application/octet-stream', content: new Uint8Array(2 * ATTACHMENT_CHUNK_BYTES + 1000).map((_, i) => i % 251) },
    { name: 'empty', mimeType: undefined, content: new Uint8Array(0) },
  ],
};

test('a result written with its start reads back as the same result, attachments over one chunk included', () => {
  const packets = resultPackets(result, { withStart: true });
  assert.deepEqual(packets.map((p) => p.status ?? p.file?.name), ['inprogress', 'traceback', 'big', 'big', 'big', 'empty', 'fail']);
  assert.ok(packets.every((p) => p.routeCode === '0/1' && p.tags?.[0] === 'worker-0'));
  const decoded = decodeAll(encodePackets(packets));
  assert.deepEqual(decoded.errors, []);
  assert.deepEqual(aggregate(decoded.packets).results, [result]);
});

test('without its start: the attachments, then the final status at the stop', () => {
  const packets = resultPackets({ ...result, attachments: result.attachments.slice(0, 1) });
  assert.deepEqual(packets, [
    { testId: result.id, tags: ['worker-0'], routeCode: '0/1', mimeType: 'text/x-traceback;charset=utf8', file: { name: 'traceback', content: result.attachments[0]!.content }, eof: true },
    { testId: result.id, tags: ['worker-0'], routeCode: '0/1', status: 'fail', timestamp: result.stop },
  ]);
});

test('a test that never finished ends after its attachments, still in progress', () => {
  for (const status of ['inprogress', undefined] as const) {
    assert.deepEqual(resultPackets({ ...result, status, stop: undefined, tags: [], routeCode: undefined, attachments: [] }, { withStart: true }), [
      { testId: result.id, status: 'inprogress', timestamp: result.start },
    ]);
  }
});

test('an attachment is cut at ATTACHMENT_CHUNK_BYTES, every chunk carrying the fields and the mime type, eof on the last', () => {
  const content = new Uint8Array(ATTACHMENT_CHUNK_BYTES + 1);
  const packets = attachmentPackets({ name: 'stdout', mimeType: 'text/plain', content }, { routeCode: '3', timestamp: result.stop });
  assert.deepEqual(packets.map((p) => [p.file?.content.length, p.mimeType, p.routeCode, p.timestamp, p.eof]), [
    [ATTACHMENT_CHUNK_BYTES, 'text/plain', '3', result.stop, undefined],
    [1, 'text/plain', '3', result.stop, true],
  ]);
});
