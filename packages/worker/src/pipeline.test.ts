// A slot hands a test server the Runs it holds while the batch before them still runs,
// so that the server goes from one test to the next without a round trip through the
// slot; with the real Python reference server, and several batches in flight when a test
// crashes its server, times out or is cancelled.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { memoryPair } from '@baton/protocol';
import { testrCommandAdapter } from './command-adapter.js';
import { pythonTestServer, testServerAdapter } from './testserver-adapter.js';
import { FakeCoordinator, SUITE_DIR, T, harness, signalPath, text, type Harness } from './test-support/coordinator.js';
import { Watcher } from './test-support/watched.js';

/** A worker of one slot over a watched test server of the python-worker suite, and its signal file. */
async function watched(t: { after(fn: () => Promise<void>): void }, name: string): Promise<{ h: Harness; watcher: Watcher; signal: string }> {
  const signal = signalPath();
  const watcher = new Watcher();
  const adapter = testServerAdapter(pythonTestServer({ testPath: 'tests', cwd: SUITE_DIR, env: { ...process.env, BATON_WORKER_SIGNAL: signal } }));
  const h = await harness({ adapter: watcher.wrap(adapter), slots: 1, name });
  t.after(() => h.stop());
  return { h, watcher, signal };
}

/** Which test got which status, in the order the results came upstream. */
function outcomes(h: Harness): [string, string | undefined][] {
  return h.coordinator.results.map((r) => [r.id, r.status]);
}

/** The tests that started upstream, in order. */
function starts(h: Harness): (string | undefined)[] {
  return h.coordinator.packets.filter((p) => p.status === 'inprogress').map((p) => p.testId);
}

test('the next Run reaches the test server while the batch before it runs, and runs before the slot read that batch\'s results', async (t) => {
  const { h, watcher, signal } = await watched(t, 'p1');
  watcher.hold(0);
  const first = h.coordinator.run([T.waits, T.a], { slot: 0 });
  const second = h.coordinator.run([T.b], { slot: 0 });
  await watcher.until(() => watcher.batches.length === 2, 'the second Run to be handed to the adapter');
  assert.deepEqual(
    watcher.batches.map((b) => b.tests),
    [[T.waits, T.a], [T.b]],
  );

  writeFileSync(signal, '');
  await watcher.until(() => watcher.batches[1]!.seen.includes(`result ${T.b}`), 'the server to run the second Run');
  // The slot has read nothing of the first batch, yet the server ran the next one.
  assert.deepEqual(h.coordinator.packets.filter((p) => p.testId !== undefined), []);

  watcher.release(0);
  await Promise.all([first, second]);
  assert.deepEqual(outcomes(h), [
    [T.waits, 'success'],
    [T.a, 'success'],
    [T.b, 'success'],
  ]);
  assert.deepEqual(starts(h), [T.waits, T.a, T.b]);
  assert.equal(watcher.adapters, 1);
});

test('a test that kills its server with two Runs in flight: it fails once, and what both Runs had left runs on a fresh server, in order', async (t) => {
  const { h, watcher, signal } = await watched(t, 'p2');
  const first = h.coordinator.run([T.waits, T.laterExit, T.a], { slot: 0 });
  const second = h.coordinator.run([T.b, T.c], { slot: 0 });
  await watcher.until(() => watcher.batches.length === 2, 'both Runs to be handed to the adapter');
  await h.coordinator.started(T.waits);
  writeFileSync(signal, '');
  await Promise.all([first, second]);

  assert.deepEqual(outcomes(h), [
    [T.waits, 'success'],
    [T.laterExit, 'fail'],
    [T.a, 'success'],
    [T.b, 'success'],
    [T.c, 'success'],
  ]);
  assert.match(text(h.coordinator.result(T.laterExit), 'baton-error')!, /worker p2 slot 0 lost its test process while running tests\.test_hostile\.Later\.test_exit: .*exit code 3/s);
  assert.deepEqual(starts(h), [T.waits, T.laterExit, T.a, T.b, T.c]);
  assert.equal(watcher.adapters, 2);
  assert.deepEqual(h.worker.stats(), { fresh: 0, restarts: 1, slots: [{ fresh: 0, restarts: 1 }] });
  assert.deepEqual(
    watcher.batches.map((b) => b.tests),
    [[T.waits, T.laterExit, T.a], [T.b, T.c], [T.a], [T.b, T.c]],
  );
});

test('a test past its timeout in the second of three Runs in flight: it fails with baton-timeout, and the rest runs on a fresh server', async (t) => {
  const { h, watcher, signal } = await watched(t, 'p3');
  const runs = [
    h.coordinator.run([T.waits], { slot: 0 }),
    h.coordinator.run([T.laterSleeps, T.a], { slot: 0, timeout: 0.5 }),
    h.coordinator.run([T.b], { slot: 0 }),
  ];
  await watcher.until(() => watcher.batches.length === 3, 'the three Runs to be handed to the adapter');
  assert.equal(h.coordinator.result(T.waits), undefined);
  writeFileSync(signal, '');
  await Promise.all(runs);

  assert.deepEqual(outcomes(h), [
    [T.waits, 'success'],
    [T.laterSleeps, 'fail'],
    [T.a, 'success'],
    [T.b, 'success'],
  ]);
  assert.match(text(h.coordinator.result(T.laterSleeps), 'baton-timeout')!, /timed out after 0\.5 s on worker p3 slot 0/);
  assert.equal(watcher.adapters, 2);
  assert.deepEqual(
    watcher.batches.map((b) => b.tests),
    [[T.waits], [T.laterSleeps, T.a], [T.b], [T.a], [T.b]],
  );
});

test('Cancel of a test of a Run already handed to the server asks the server, which never starts it', async (t) => {
  const { h, watcher, signal } = await watched(t, 'p4');
  const first = h.coordinator.run([T.waits], { slot: 0 });
  const second = h.coordinator.run([T.a, T.b], { slot: 0 });
  await watcher.until(() => watcher.batches.length === 2, 'both Runs to be handed to the adapter');
  await h.coordinator.started(T.waits);

  const cancelled = await h.coordinator.channel.request({ msg: 'Cancel', tests: [T.b] });
  assert.deepEqual(cancelled.tests, [T.b]);
  assert.deepEqual(watcher.cancels, [[T.b]]);
  writeFileSync(signal, '');
  await Promise.all([first, second]);
  assert.deepEqual(outcomes(h), [
    [T.waits, 'success'],
    [T.a, 'success'],
  ]);
  assert.deepEqual(starts(h), [T.waits, T.a]);
});

test('a Cancel racing the start of a unit\'s first test takes back nothing of that unit, and the other units whole', async (t) => {
  const { h, watcher, signal } = await watched(t, 'p8');
  // The slot does not see the start of T.waits: only the server knows it took the test up.
  watcher.hold(0);
  const run = h.coordinator.run([T.waits, T.a, T.b, T.c, T.d], { slot: 0 });
  await watcher.until(() => watcher.batches[0]?.seen.includes(`start ${T.waits}`) === true, 'the server to start T.waits');
  const cancelled = await h.coordinator.channel.request({ msg: 'Cancel', tests: [T.waits, T.a, T.b, T.c, T.d], groups: [2, 2, 1] });
  assert.deepEqual(cancelled.tests, [T.b, T.c, T.d]);
  assert.deepEqual(watcher.cancels, [[T.waits, T.a, T.b, T.c, T.d]], 'the slot asked the server, which alone knew');
  writeFileSync(signal, '');
  watcher.release(0);
  await run;
  assert.deepEqual(outcomes(h), [
    [T.waits, 'success'],
    [T.a, 'success'],
  ]);
});

test('a Cancel of a unit whose first test the slot saw start takes back none of it, without asking the server', async (t) => {
  const { h, watcher, signal } = await watched(t, 'p9');
  const run = h.coordinator.run([T.waits, T.a, T.b, T.c, T.d], { slot: 0 });
  await h.coordinator.started(T.waits);
  const cancelled = await h.coordinator.channel.request({ msg: 'Cancel', tests: [T.waits, T.a, T.b, T.c, T.d, 'no.such.test'], groups: [2, 2, 2] });
  assert.deepEqual(cancelled.tests, [T.b, T.c]);
  assert.deepEqual(watcher.cancels, [[T.b, T.c]]);
  writeFileSync(signal, '');
  await run;
  assert.deepEqual(outcomes(h), [
    [T.waits, 'success'],
    [T.a, 'success'],
    [T.d, 'success'],
  ]);
});

test('tests taken back before they started no longer hold the process\'s place: what lies between goes to the same process', async (t) => {
  const { h, watcher, signal } = await watched(t, 'p10');
  const first = h.coordinator.run([T.waits, T.c], { slot: 0 });
  await h.coordinator.started(T.waits);
  assert.deepEqual((await h.coordinator.channel.request({ msg: 'Cancel', tests: [T.c] })).tests, [T.c]);
  const second = h.coordinator.run([T.a], { slot: 0 });
  await watcher.until(() => watcher.batches.length === 2, 'the second Run to be handed to the same adapter');
  writeFileSync(signal, '');
  await Promise.all([first, second]);
  assert.deepEqual(outcomes(h), [
    [T.waits, 'success'],
    [T.a, 'success'],
  ]);
  assert.equal(watcher.adapters, 1);
  assert.equal(h.worker.stats().fresh, 0);
});

test('a Run that lies behind while the process still runs: it waits, the next process is started meanwhile, and the old one closes cleanly once idle', async (t) => {
  const { h, watcher, signal } = await watched(t, 'p11');
  const first = h.coordinator.run([T.waits, T.b], { slot: 0 });
  await h.coordinator.started(T.waits);
  const second = h.coordinator.run([T.a], { slot: 0 });
  await watcher.until(() => watcher.adapters === 2, 'the fresh adapter to be started ahead of time');
  assert.equal(watcher.batches.length, 1, 'the Run behind is not handed to the process that is past it');
  assert.equal(watcher.closes, 0);
  writeFileSync(signal, '');
  const [, done] = await Promise.all([first, second]);
  assert.deepEqual(done.processes, { fresh: 1, restarts: 0 });
  assert.equal(watcher.closes, 1, 'the old adapter was closed, not killed');
  assert.deepEqual(
    watcher.batches.map((b) => b.tests),
    [[T.waits, T.b], [T.a]],
  );
  assert.deepEqual(outcomes(h), [
    [T.waits, 'success'],
    [T.b, 'success'],
    [T.a, 'success'],
  ]);
});

test('a coordinator gone with two Runs in flight: the server is killed, and the next coordinator\'s Runs run on a fresh one', async (t) => {
  const { h, watcher } = await watched(t, 'p5');
  void h.coordinator.run([T.waits, T.a], { slot: 0 }).catch(() => undefined);
  void h.coordinator.run([T.b], { slot: 0 }).catch(() => undefined);
  await watcher.until(() => watcher.batches.length === 2, 'both Runs to be handed to the adapter');
  await h.coordinator.started(T.waits);
  await h.coordinator.channel.goodbye();
  await h.served;

  const [ours, theirs] = memoryPair();
  const served = h.worker.serve(theirs);
  const next = new FakeCoordinator(ours);
  await next.channel.ready;
  await next.run([T.c], { slot: 0 });
  assert.deepEqual(
    next.results.map((r) => [r.id, r.status]),
    [[T.c, 'success']],
  );
  await next.channel.goodbye();
  await served;
  assert.equal(watcher.adapters, 2);
  assert.deepEqual(
    watcher.batches.map((b) => b.tests),
    [[T.waits, T.a], [T.b], [T.c]],
  );
});

test('a class fixture\'s error between two Runs in flight is reported once, in stream order', async (t) => {
  const watcher = new Watcher();
  const suite = join(SUITE_DIR, '../python-suite');
  const h = await harness({ adapter: watcher.wrap(testServerAdapter(pythonTestServer({ testPath: 'tests', cwd: suite }))), slots: 1, name: 'p6' });
  t.after(() => h.stop());
  watcher.hold(0);
  const first = h.coordinator.run(['tests.test_hostile.Hostile.test_binary_garbage'], { slot: 0 });
  const second = h.coordinator.run(['tests.test_outcomes.BrokenFixture.test_never_runs'], { slot: 0 });
  await watcher.until(() => watcher.batches.length === 2, 'both Runs to be handed to the adapter');
  watcher.release(0);
  await Promise.all([first, second]);
  assert.deepEqual(outcomes(h), [
    ['tests.test_hostile.Hostile.test_binary_garbage', 'success'],
    ['setUpClass (tests.test_outcomes.BrokenFixture)', 'fail'],
    ['tests.test_outcomes.BrokenFixture.test_never_runs', 'fail'],
  ]);
});

// Debian's interpreter has python3-subunit; the pyenv python3 on PATH does not.
const PYTHON = '/usr/bin/python3';

test('a testr command gets one batch at a time, in discovery order: the next once the one before is over, in a process of its own', { skip: existsSync(PYTHON) ? false : `${PYTHON} is not installed` }, async (t) => {
  const watcher = new Watcher();
  const adapter = testrCommandAdapter({
    testCommand: `${PYTHON} -m subunit.run discover -t . -s tests $LISTOPT $IDOPTION`,
    testIdOption: '--load-list $IDFILE',
    testListOption: '--list',
    cwd: SUITE_DIR,
  });
  const h = await harness({ adapter: watcher.wrap(adapter), slots: 1, name: 'p7' });
  t.after(() => h.stop());
  await Promise.all([h.coordinator.run([T.c, T.a], { slot: 0 }), h.coordinator.run([T.b], { slot: 0 })]);
  assert.deepEqual(watcher.log, ['run 0', 'end 0', 'run 1', 'end 1']);
  assert.deepEqual(
    watcher.batches.map((b) => b.tests),
    [[T.a, T.c], [T.b]],
  );
  // A command starts a process per batch anyway: going back needs no fresh adapter.
  assert.equal(watcher.adapters, 1);
  assert.deepEqual(h.worker.stats().fresh, 0);
  assert.deepEqual(outcomes(h), [
    [T.a, 'success'],
    [T.c, 'success'],
    [T.b, 'success'],
  ]);
});
