import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodePacket, encodePackets, type Packet, type Timestamp } from '@baton/subunit';
import { importStream, type ImportOptions } from './import.js';
import { MemoryRepository } from './memory.js';
import { until } from './test-support/until.js';

const T0 = 1_700_000_000;
const at = (s: number): Timestamp => ({ seconds: T0 + s, nanos: 0 });
/** The packets testtools writes for one test on stestr worker `w`. */
const test = (id: string, status: Packet['status'], start: number, stop: number, w = 0): Packet[] => [
  { testId: id, status: 'inprogress', timestamp: at(start), tags: [`worker-${w}`] },
  { testId: id, status, timestamp: at(stop), tags: [`worker-${w}`] },
];
const options = (extra: Partial<ImportOptions> = {}): ImportOptions => ({ profile: 'py311', name: 'input.subunit', now: () => at(1000), ...extra });
async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* parts;
}

describe('importStream', () => {
  it('records a stream as one complete run, workers taken from stestr worker-N tags', async () => {
    const repo = new MemoryRepository();
    const stream = encodePackets([...test('t.a', 'success', 1, 2, 0), ...test('t.b', 'fail', 1, 4, 1), ...test('t.c', 'success', 2, 3, 0)]);
    const report = await importStream(repo, chunks(stream), options({ source: 'x' }));
    assert.deepEqual(report, { run: 1, results: 3, counts: { success: 2, fail: 1 }, bytes: stream.length, damage: undefined });
    const run = repo.run(1)!;
    assert.deepEqual([run.profile, run.start, run.stop, run.complete, run.partial, run.exitStatus, run.source], ['py311', at(1), at(3), true, false, undefined, 'x']);
    assert.deepEqual(repo.results(1).map((r) => [r.testId, r.worker, r.seq]), [['t.a', 'worker-0', 0], ['t.b', 'worker-1', 0], ['t.c', 'worker-0', 1]]);
  });

  it('stores a truncated stream up to its last whole packet, marks the run partial and reports the offset', async () => {
    const repo = new MemoryRepository();
    await importStream(repo, chunks(encodePackets(test('t.old', 'fail', 0, 1))), options());
    const whole = encodePackets([...test('t.a', 'success', 1, 2), ...test('t.b', 'success', 2, 3)]);
    const last = encodePacket(test('t.b', 'success', 2, 3)[1]!);
    const cut = whole.subarray(0, whole.length - 5);
    const report = await importStream(repo, chunks(cut), options());
    assert.equal(report.damage?.code, 'BATON_STORE_CORRUPT_INPUT');
    assert.equal(report.damage?.offset, whole.length - last.length);
    assert.match(report.damage!.message, new RegExp(`^input.subunit is damaged at byte ${whole.length - last.length} \\(1 bad packet; first: .*stream ended inside a packet.*\\); stored the 2 results that could be read as partial run 2$`));
    assert.deepEqual(repo.results(2).map((r) => [r.testId, r.status]), [['t.a', 'success'], ['t.b', 'inprogress']]);
    assert.deepEqual([repo.run(2)?.complete, repo.run(2)?.partial], [true, true]);
    assert.deepEqual(repo.results(1).map((r) => r.testId), ['t.old']);
    assert.deepEqual(repo.failing('py311').map((f) => f.testId), ['t.b', 't.old']);
  });

  it('carries on after a corrupt packet in the middle', async () => {
    const repo = new MemoryRepository();
    const a = encodePackets(test('t.a', 'success', 1, 2));
    const b = encodePackets(test('t.b', 'success', 2, 3));
    const c = encodePackets(test('t.c', 'success', 3, 4));
    b[b.length - 1]! ^= 0xff;
    const report = await importStream(repo, chunks(a, b, c), options());
    assert.equal(report.damage?.offset, a.length + encodePacket(test('t.b', 'success', 2, 3)[0]!).length);
    assert.match(report.damage!.message, /bad checksum/);
    assert.deepEqual(repo.results(1).map((r) => [r.testId, r.status]), [['t.a', 'success'], ['t.c', 'success'], ['t.b', 'inprogress']]);
  });

  it('treats text between packets as output, not damage', async () => {
    const repo = new MemoryRepository();
    const text = new TextEncoder().encode('warning: something printed\n');
    const report = await importStream(repo, chunks(text, encodePackets(test('t.a', 'success', 1, 2)), text), options());
    assert.equal(report.damage, undefined);
    assert.equal(report.results, 1);
  });

  it('refuses input with no subunit packet, recording nothing', async () => {
    const repo = new MemoryRepository();
    await assert.rejects(importStream(repo, chunks(new TextEncoder().encode('<?xml version="1.0"?>\n<testsuite/>\n')), options()), {
      code: 'BATON_STORE_NOT_SUBUNIT',
      message: 'input.subunit holds no subunit v2 packet in its 35 bytes; baton loads subunit v2 streams (`subunit-1to2` converts v1)',
    });
    await assert.rejects(importStream(repo, chunks(), options()), { code: 'BATON_STORE_NOT_SUBUNIT', message: /^input.subunit is empty;/ });
    assert.equal(repo.stats().runs, 0);
  });

  it('commits full batches, and a partial batch flushAfterMs after its first result', async () => {
    const repo = new MemoryRepository();
    const committed: number[] = [];
    async function* stream(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 4; i++) {
        yield encodePackets(test(`t.${i}`, 'success', i, i + 1));
        committed.push(repo.results(1).length);
      }
      // Nothing more arrives for a while: the timer commits the waiting result.
      await until(() => repo.results(1).length === 4, 'the waiting result is committed');
    }
    await importStream(repo, stream(), options({ batchSize: 3, flushAfterMs: 20 }));
    assert.deepEqual(committed, [0, 0, 3, 3]);
    assert.equal(repo.results(1).length, 4);
  });
});
