import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregate, durationOf, ResultAggregator, type TestResult } from './aggregator.js';
import type { Packet } from './packet.js';

const t = (ms: number) => ({ seconds: 1_700_000_000 + Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

test('a test runs from its inprogress packet to its final status, attachments joined', () => {
  const { results } = aggregate([
    { testId: 'a', status: 'inprogress', timestamp: t(0) },
    { testId: 'a', file: { name: 'traceback', content: bytes('Trace') }, mimeType: 'text/x-traceback', timestamp: t(40) },
    { testId: 'a', file: { name: 'traceback', content: bytes('back\n') }, eof: true, timestamp: t(41) },
    { testId: 'a', status: 'fail', tags: ['worker-1'], timestamp: t(250) },
  ]);
  assert.equal(results.length, 1);
  const [r] = results as [TestResult];
  assert.equal(r.status, 'fail');
  assert.equal(durationOf(r), 0.25);
  assert.deepEqual(r.tags, ['worker-1']);
  assert.equal(r.attachments.length, 1);
  assert.equal(r.attachments[0]!.mimeType, 'text/x-traceback');
  assert.equal(text(r.attachments[0]!.content), 'Traceback\n');
});

test('the same id on two route codes is two executions', () => {
  const { results } = aggregate([
    { testId: 'a', status: 'inprogress', routeCode: '0', timestamp: t(0) },
    { testId: 'a', status: 'inprogress', routeCode: '1', timestamp: t(5) },
    { testId: 'a', status: 'success', routeCode: '1', timestamp: t(10) },
    { testId: 'a', status: 'fail', routeCode: '0', timestamp: t(30) },
  ]);
  assert.deepEqual(
    results.map((r) => [r.routeCode, r.status, durationOf(r)]),
    [['1', 'success', 0.005], ['0', 'fail', 0.03]],
  );
});

test('exists packets are listings; output with no test id is stray output', () => {
  const listed: string[] = [];
  const stray: string[] = [];
  const results: TestResult[] = [];
  const agg = new ResultAggregator({
    result: (r) => results.push(r),
    listed: (id) => listed.push(id),
    output: (o) => stray.push(`${o.attachment.name}:${text(o.attachment.content)}`),
  });
  const packets: Packet[] = [
    { testId: 'a', status: 'exists' },
    { testId: 'b', status: 'exists' },
    { file: { name: 'stdout', content: bytes('between tests\n') } },
  ];
  for (const p of packets) agg.packet(p);
  agg.end();
  assert.deepEqual(listed, ['a', 'b']);
  assert.deepEqual(stray, ['stdout:between tests\n']);
  assert.deepEqual(results, []);
});

test('tests left unfinished are reported at the end with their interim status', () => {
  const results: TestResult[] = [];
  const agg = new ResultAggregator({ result: (r) => results.push(r) });
  agg.packet({ testId: 'crashed', status: 'inprogress', timestamp: t(0) });
  agg.packet({ testId: 'ok', status: 'inprogress', timestamp: t(1) });
  agg.packet({ testId: 'ok', status: 'success', timestamp: t(2) });
  assert.equal(agg.inProgress, 1);
  assert.deepEqual(results.map((r) => r.id), ['ok']);
  agg.end();
  assert.deepEqual(results.map((r) => [r.id, r.status]), [['ok', 'success'], ['crashed', 'inprogress']]);
});

test('a result without timestamps has no duration', () => {
  const { results } = aggregate([{ testId: 'x', status: 'success' }]);
  assert.equal(durationOf(results[0]!), undefined);
});
