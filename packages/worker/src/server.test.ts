// A WorkerServer with the real Python reference test server in each slot, driven over
// memoryPair() by a coordinator-side channel.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { testListDigest } from '@baton/protocol';
import { pythonTestServer, testServerAdapter } from './testserver-adapter.js';
import { SUITE_DIR, T, harness, signalPath, type Harness } from './test-support/coordinator.js';

const signal = signalPath();
const adapter = testServerAdapter(pythonTestServer({ testPath: 'tests', cwd: SUITE_DIR, env: { ...process.env, BATON_WORKER_SIGNAL: signal } }));
const h: Harness = await harness({ adapter, slots: 2, name: 'w1' });
after(() => h.stop());

test('Hello announces the slots, the name and the digest of the listed tests', () => {
  const peer = h.coordinator.channel.peer!;
  assert.equal(peer.slots, 2);
  assert.equal(peer.name, 'w1');
  assert.equal(h.worker.tests.length, 10);
  assert.equal(peer.digest, testListDigest(h.worker.tests));
});

test('List answers exists packets for the tests asked for, then Done', async () => {
  const before = h.coordinator.packets.length;
  await h.coordinator.channel.request({ msg: 'List', tests: [T.a, 'no.such.test'] });
  const listed = h.coordinator.packets.slice(before).filter((p) => p.status === 'exists');
  assert.deepEqual(listed.map((p) => p.testId), [T.a]);
});

test('Runs pinned to two slots run at once, routed and tagged by slot, each in discovery order', async () => {
  const slow = h.coordinator.run([T.waits, T.d], { slot: 0 });
  await h.coordinator.started(T.waits);
  // Slot 1 finishes a whole Run while slot 0 is still inside its first test.
  await h.coordinator.run([T.c, T.a, T.b], { slot: 1 });
  assert.equal(h.coordinator.result(T.waits), undefined);
  writeFileSync(signal, '');
  await slow;

  for (const id of [T.c, T.a, T.b]) {
    const result = h.coordinator.result(id)!;
    assert.equal(result.status, 'success');
    assert.equal(result.routeCode, '1');
    assert.ok(result.tags.includes('worker-1'), `${id} tags ${result.tags.join(',')}`);
  }
  for (const id of [T.waits, T.d]) {
    assert.equal(h.coordinator.result(id)?.routeCode, '0');
    assert.ok(h.coordinator.result(id)?.tags.includes('worker-0'));
  }
  const starts = h.coordinator.packets.filter((p) => p.status === 'inprogress' && p.routeCode === '1').map((p) => p.testId);
  assert.deepEqual(starts, [T.a, T.b, T.c]);
});

test('a Run asking for a slot the worker lacks is refused with an Error', async () => {
  await assert.rejects(h.coordinator.run([T.a], { slot: 2 }), (e: Error & { code?: string }) => e.code === 'BATON_PROTOCOL_BAD_MESSAGE' && /slots 0\.\.1/.test(e.message));
});

test('fd-level output of a test comes upstream as stray stdout on its slot', async () => {
  await h.coordinator.run([T.fdOutput], { slot: 1 });
  await h.coordinator.until(
    () => h.coordinator.packets.some((p) => p.testId === undefined && p.file?.name === 'stdout' && Buffer.from(p.file.content).toString().includes('stray on fd 1')),
    'stray stdout',
  );
  const stray = h.coordinator.packets.find((p) => p.testId === undefined && p.file?.name === 'stdout')!;
  assert.equal(stray.routeCode, '1');
});
