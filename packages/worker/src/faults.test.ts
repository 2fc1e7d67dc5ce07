// Cancel, per-test timeouts and dying test servers, with the real Python reference
// server: the slot records the casualty and carries on with a fresh server.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { FakeClock } from '@baton/protocol/test-kit';
import { timestampToMillis } from '@baton/subunit';
import { pythonTestServer, testServerAdapter } from './testserver-adapter.js';
import { SUITE_DIR, T, harness, signalPath, text } from './test-support/coordinator.js';

function adapterWith(signal: string) {
  return testServerAdapter(pythonTestServer({ testPath: 'tests', cwd: SUITE_DIR, env: { ...process.env, BATON_WORKER_SIGNAL: signal } }));
}

test('Cancel answers exactly the tests that had not started, from the server and from the queue', async (t) => {
  const signal = signalPath();
  const h = await harness({ adapter: adapterWith(signal), slots: 1, name: 'w2' });
  t.after(() => h.stop());
  const first = h.coordinator.run([T.waits, T.a, T.b], { slot: 0 });
  const second = h.coordinator.run([T.c, T.d], { slot: 0 });
  await h.coordinator.started(T.waits);

  const cancelled = await h.coordinator.channel.request({ msg: 'Cancel', tests: [T.waits, T.a, T.c, T.d, 'unknown.id'] });
  assert.deepEqual(new Set(cancelled.tests), new Set([T.a, T.c, T.d]));
  assert.equal(cancelled.tests.length, 3);
  // Every test of the second Run is cancelled: its Done comes without any result.
  await second;
  writeFileSync(signal, '');
  await first;
  assert.deepEqual(
    h.coordinator.results.map((r) => [r.id, r.status]),
    [
      [T.waits, 'success'],
      [T.b, 'success'],
    ],
  );
});

test('a test past its timeout fails with baton-timeout, and the slot goes on with a fresh server', async (t) => {
  // The slot's watchdog runs on the worker's clock: a minute passes there, and none here.
  const clock = new FakeClock();
  const h = await harness({ adapter: adapterWith(signalPath()), slots: 1, name: 'w3', clock });
  t.after(() => h.stop());
  const done = h.coordinator.run([T.sleeps, T.a], { slot: 0, timeout: 60 });
  await h.coordinator.started(T.sleeps);
  const started = clock.now();
  clock.advance(60_000);
  await done;
  const timedOut = h.coordinator.result(T.sleeps)!;
  assert.equal(timedOut.status, 'fail');
  assert.match(text(timedOut, 'baton-timeout')!, /timed out after 60 s on worker w3 slot 0/);
  assert.equal(timestampToMillis(timedOut.stop!) - started, 60_000);
  assert.ok(timedOut.tags.includes('worker-0'));
  assert.equal(h.coordinator.result(T.a)?.status, 'success');
});

test('a test that kills its server fails with baton-error naming the exit code, and the slot goes on', async (t) => {
  const h = await harness({ adapter: adapterWith(signalPath()), slots: 1, name: 'w4' });
  t.after(() => h.stop());
  await h.coordinator.run([T.exit, T.b], { slot: 0 });
  const died = h.coordinator.result(T.exit)!;
  assert.equal(died.status, 'fail');
  const reason = text(died, 'baton-error')!;
  assert.match(reason, /worker w4 slot 0 lost its test process while running tests\.test_hostile\.Hostile\.test_exit/);
  assert.match(reason, /exit code 3/);
  assert.match(reason, /about to exit/);
  assert.equal(h.coordinator.result(T.b)?.status, 'success');
});

test('a test server that cannot start fails the slot\'s tests with the reason after bounded restarts', async (t) => {
  let starts = 0;
  const working = adapterWith(signalPath());
  const h = await harness({
    // The first start (at worker start) works; every later one fails.
    adapter: (context) => (starts++ === 0 ? working(context) : Promise.reject(new Error(`no interpreter (attempt ${starts})`))),
    slots: 1,
    name: 'w5',
    maxFailedStarts: 3,
  });
  t.after(() => h.stop());
  await h.coordinator.run([T.exit, T.a, T.b], { slot: 0 });
  assert.equal(h.coordinator.result(T.exit)?.status, 'fail');
  for (const id of [T.a, T.b]) {
    const result = h.coordinator.result(id)!;
    assert.equal(result.status, 'fail');
    assert.match(text(result, 'baton-error')!, /gave up after 3 failed starts of its adapter in a row: no interpreter \(attempt 4\)/);
  }
  assert.equal(starts, 4);
});
