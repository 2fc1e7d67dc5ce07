// Order, processes and fixtures, with the real Python reference server (forked from a
// fork server, and spawned with `fork: false`): each test server process runs its tests
// in discovery order, a Run that lies behind goes to a fresh process, class and module
// fixtures run once while their tests come one after another (across Runs), and fixture
// failures are results that the tests they prevented name.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { memoryPair, TestServerClient } from '@baton/protocol';
import { timestampToMillis, type TestResult } from '@baton/subunit';
import { pythonAdapter } from './python-adapter.js';
import { WorkerServer } from './server.js';
import { freshPath, harness, text, type Harness } from './test-support/coordinator.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/python-fixtures');
/** The interpreter by path: a version manager's shim would cost a quarter second of CPU per start. */
const PYTHON = execFileSync(process.env['BATON_TEST_PYTHON'] ?? 'python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

const A = [1, 2, 3, 4].map((n) => `tests.test_one.A.test_${n}`) as [string, string, string, string];
const B1 = 'tests.test_one.B.test_1';
const C1 = 'tests.test_two.C.test_1';
const D = ['tests.test_two.D.test_1', 'tests.test_two.D.test_2'] as const;
const E1 = 'tests.test_two.E.test_1';
const F1 = 'tests.test_three.F.test_1';
const G1 = 'tests.test_two.G.test_1';

/** A worker over the python-fixtures suite and the journal its tests and fixtures write. */
async function fixtures(t: { after(fn: () => Promise<void>): void }, fork: boolean, slots = 1): Promise<{ h: Harness; journal: () => Entry[] }> {
  const path = freshPath('journal');
  const adapter = pythonAdapter({ testPath: 'tests', cwd: FIXTURES, python: PYTHON, env: { ...process.env, BATON_FIXTURE_JOURNAL: path }, fork });
  const h = await harness({ adapter, slots, name: fork ? 'forked' : 'spawned' });
  t.after(() => h.stop());
  return { h, journal: () => journal(path) };
}

interface Entry {
  readonly pid: number;
  readonly event: string;
}

function journal(path: string): Entry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => {
      const [pid, ...event] = line.split(' ');
      return { pid: Number(pid), event: event.join(' ') };
    });
}

/** The processes that ran tests, in the order they first did. */
const pids = (entries: readonly Entry[]): number[] => [...new Set(entries.filter((e) => e.event.startsWith('test ')).map((e) => e.pid))];

const byPid = (entries: readonly Entry[], pid: number): string[] => entries.filter((e) => e.pid === pid).map((e) => e.event);

const outcomes = (results: readonly TestResult[]): [string, string | undefined][] => results.map((r) => [r.id, r.status]);

for (const fork of [true, false]) {
  const how = fork ? 'forked' : 'spawned (fork: false)';

  test(`${how}: a Run that lies behind what the process was given goes to a fresh process, once the old one tore its fixtures down`, async (t) => {
    const { h, journal } = await fixtures(t, fork);
    // Both Runs at once: the second waits for the first, it is not handed to the same process.
    const [before, done] = await Promise.all([h.coordinator.run([A[3], A[2]], { slot: 0 }), h.coordinator.run([A[1], A[0]], { slot: 0 })]);
    assert.deepEqual(done.processes, { fresh: 1, restarts: 0 });
    // The Done that counts it says where the slot continued on it: after the old process's
    // last test, before the fresh one's first; asked for ahead, while the old one ran.
    assert.equal(before.starts, undefined);
    const [start, ...others] = done.starts ?? [];
    assert.deepEqual([start?.slot, start?.cause, others.length], [0, 'fresh', 0]);
    const ms = (id: string, end: 'start' | 'stop') => timestampToMillis(h.coordinator.result(id)![end]!);
    assert.ok(start!.askedMs <= start!.readyMs && start!.readyMs <= start!.fromMs, JSON.stringify(start));
    assert.ok(ms(A[3], 'stop') <= start!.fromMs && start!.fromMs <= ms(A[0], 'start'), `${ms(A[3], 'stop')} <= ${start!.fromMs} <= ${ms(A[0], 'start')}`);
    assert.deepEqual(h.worker.stats(), { fresh: 1, restarts: 0, slots: [{ fresh: 1, restarts: 0 }] });
    const entries = journal();
    const [first, second] = pids(entries);
    assert.ok(first !== undefined && second !== undefined && first !== second, `two processes: ${pids(entries).join(', ')}`);
    const suite = ['setUpModule tests.test_one', 'setUpClass A'];
    const teardown = ['tearDownClass A', 'tearDownModule tests.test_one'];
    assert.deepEqual(byPid(entries, first), [...suite, `test ${A[2]}`, `test ${A[3]}`, ...teardown]);
    assert.deepEqual(byPid(entries, second), [...suite, `test ${A[0]}`, `test ${A[1]}`]);
    const lastOfFirst = entries.findLastIndex((e) => e.pid === first);
    assert.ok(lastOfFirst < entries.findIndex((e) => e.pid === second), 'the old process exited before the fresh one began');
    assert.deepEqual(outcomes(h.coordinator.results), [A[2], A[3], A[0], A[1]].map((id) => [id, 'success']));
  });

  test(`${how}: class and module fixtures run once while their tests come one after another, across Runs, and are torn down on a change of class and at Goodbye`, async (t) => {
    const { h, journal } = await fixtures(t, fork);
    await h.coordinator.run([A[0]], { slot: 0 });
    await h.coordinator.run([A[1]], { slot: 0 });
    // Sorted by the slot: A[2] runs before A[3].
    await h.coordinator.run([A[3], A[2]], { slot: 0 });
    const done = await h.coordinator.run([B1], { slot: 0 });
    assert.deepEqual(done.processes, { fresh: 0, restarts: 0 });
    assert.deepEqual(
      journal().map((e) => e.event),
      ['setUpModule tests.test_one', 'setUpClass A', ...A.map((id) => `test ${id}`), 'tearDownClass A', 'setUpClass B', `test ${B1}`],
    );
    await h.coordinator.channel.goodbye();
    const entries = journal();
    assert.deepEqual(entries.slice(-2).map((e) => e.event), ['tearDownClass B', 'tearDownModule tests.test_one']);
    assert.equal(pids(entries).length, 1);
    assert.equal(new Set(entries.map((e) => e.pid)).size, 1, 'one process did it all');
  });

  test(`${how}: a fresh Run (a retry) goes to a process that has run nothing, even ahead in discovery order; Runs after it may follow there`, async (t) => {
    const { h, journal } = await fixtures(t, fork);
    await h.coordinator.run([A[0]], { slot: 0 });
    // All at once: the retry waits for what the slot's process holds, then takes a fresh one.
    const [, retried, after] = await Promise.all([
      h.coordinator.run([A[1]], { slot: 0 }),
      h.coordinator.run([A[2]], { slot: 0, fresh: true }),
      h.coordinator.run([A[3]], { slot: 0 }),
    ]);
    assert.deepEqual(retried.processes, { fresh: 1, restarts: 0 });
    assert.deepEqual(after.processes, { fresh: 1, restarts: 0 }, 'what lies after the retry follows it on its process');
    const entries = journal();
    const [first, second] = pids(entries);
    assert.equal(pids(entries).length, 2);
    assert.deepEqual(byPid(entries, first!), ['setUpModule tests.test_one', 'setUpClass A', `test ${A[0]}`, `test ${A[1]}`, 'tearDownClass A', 'tearDownModule tests.test_one']);
    assert.deepEqual(byPid(entries, second!), ['setUpModule tests.test_one', 'setUpClass A', `test ${A[2]}`, `test ${A[3]}`]);
    // A fresh Run on a slot whose process never ran anything needs no other.
    const idle = await fixtures(t, fork);
    assert.deepEqual((await idle.h.coordinator.run([A[0]], { slot: 0, fresh: true })).processes, { fresh: 0, restarts: 0 });
  });
}

test('a failing setUpClass or setUpModule is a result with its traceback, and each test it prevented names it (a skipping one, skipped)', async (t) => {
  const { h } = await fixtures(t, true);
  await h.coordinator.run([F1], { slot: 0 });
  await h.coordinator.run([D[0], D[1], E1, G1], { slot: 0 });
  // TestSuite.run reports a fixture before the tests it prevented.
  assert.deepEqual(outcomes(h.coordinator.results), [
    ['setUpModule (tests.test_three)', 'fail'],
    [F1, 'fail'],
    ['setUpClass (tests.test_two.D)', 'fail'],
    [D[0], 'fail'],
    [D[1], 'fail'],
    [E1, 'success'],
    ['setUpClass (tests.test_two.G)', 'skip'],
    [G1, 'skip'],
  ]);
  assert.equal(text(h.coordinator.result('setUpClass (tests.test_two.G)'), 'reason'), 'no GPU here');
  assert.equal(text(h.coordinator.result(G1), 'reason'), 'setUpClass (tests.test_two.G) skipped: no GPU here');
  const fixture = h.coordinator.result('setUpClass (tests.test_two.D)');
  assert.match(text(fixture, 'traceback')!, /^Traceback \(most recent call last\):\n[^]*, in setUpClass\n[^]*RuntimeError: boom\n$/);
  for (const id of D) assert.equal(text(h.coordinator.result(id), 'reason'), 'not run: setUpClass (tests.test_two.D) failed: RuntimeError: boom');
  assert.match(text(h.coordinator.result('setUpModule (tests.test_three)'), 'traceback')!, /ValueError: no database here/);
  assert.equal(text(h.coordinator.result(F1), 'reason'), 'not run: setUpModule (tests.test_three) failed: ValueError: no database here');
});

test('a tearDownClass that fails on a change of class is reported in stream order, before the next class\'s tests', async (t) => {
  const { h } = await fixtures(t, true);
  await h.coordinator.run([C1], { slot: 0 });
  await h.coordinator.run([E1], { slot: 0 });
  assert.deepEqual(outcomes(h.coordinator.results), [
    [C1, 'success'],
    ['tearDownClass (tests.test_two.C)', 'fail'],
    [E1, 'success'],
  ]);
  assert.match(text(h.coordinator.result('tearDownClass (tests.test_two.C)'), 'traceback')!, /RuntimeError: tearDownClass broke/);
});

test('a tearDownClass that fails at Goodbye reaches the coordinator before the channel closes', async (t) => {
  const { h } = await fixtures(t, true);
  await h.coordinator.run([C1], { slot: 0 });
  assert.equal(h.coordinator.result('tearDownClass (tests.test_two.C)'), undefined, 'the class stays set up after its Run');
  await h.coordinator.channel.goodbye();
  assert.equal((await h.served).state, 'closed');
  const late = h.coordinator.result('tearDownClass (tests.test_two.C)');
  assert.equal(late?.status, 'fail');
  assert.match(text(late, 'traceback')!, /RuntimeError: tearDownClass broke/);
  assert.equal(late?.routeCode, '0');
});

test('in process: a tearDownClass that fails at goodbye is handed over before the goodbye resolves, and the link ends after it', async () => {
  const path = freshPath('journal');
  const adapter = pythonAdapter({ testPath: 'tests', cwd: FIXTURES, python: PYTHON, env: { ...process.env, BATON_FIXTURE_JOURNAL: path } });
  const worker = await WorkerServer.start({ adapter, slots: 2, name: 'inproc', log: () => undefined });
  try {
    const link = worker.link({ closeOnGoodbye: true });
    const events: string[] = [];
    link.setHooks({ onResult: (result) => events.push(`${result.id} ${result.status}`) });
    void link.ended.then(() => events.push('ended'));
    await Promise.all([link.submit([C1], { slot: 0 }), link.submit([A[0]], { slot: 1 })]);
    assert.deepEqual(link.processes, { fresh: 0, restarts: 0 });
    await link.goodbye();
    events.push('goodbye');
    assert.deepEqual(new Set(events.slice(0, 2)), new Set([`${A[0]} success`, `${C1} success`]));
    assert.deepEqual(events.slice(2), ['tearDownClass (tests.test_two.C) fail', 'ended', 'goodbye']);
    assert.deepEqual(
      journal(path).slice(-3).map((e) => e.event).sort(),
      ['tearDownClass A', 'tearDownClass C', 'tearDownModule tests.test_one'],
    );
  } finally {
    await worker.close();
  }
});

test('in process: a slot that goes back in discovery order tells the link where its fresh process took over, as it does', async () => {
  const adapter = pythonAdapter({ testPath: 'tests', cwd: FIXTURES, python: PYTHON, env: { ...process.env, BATON_FIXTURE_JOURNAL: freshPath('journal') } });
  const worker = await WorkerServer.start({ adapter, slots: 2, name: 'inproc', log: () => undefined });
  try {
    const link = worker.link({ closeOnGoodbye: true });
    const events: string[] = [];
    link.setHooks({
      onResult: (result) => events.push(result.id),
      onProcessStart: (start) => events.push(`${start.cause} process on slot ${start.slot}`),
    });
    await link.submit([A[1]], { slot: 1 });
    await link.submit([A[0]], { slot: 1 });
    assert.deepEqual(events, [A[1], 'fresh process on slot 1', A[0]]);
    assert.deepEqual(link.processes, { fresh: 1, restarts: 0 });
    await link.goodbye();
  } finally {
    await worker.close();
  }
});

test('over a channel, as a coordinator drives it: the processes count in each Done, and a teardown failure arrives before goodbye resolves', async () => {
  const adapter = pythonAdapter({ testPath: 'tests', cwd: FIXTURES, python: PYTHON, env: { ...process.env, BATON_FIXTURE_JOURNAL: freshPath('journal') } });
  const worker = await WorkerServer.start({ adapter, slots: 1, name: 'remote', log: () => undefined });
  try {
    const [ours, theirs] = memoryPair();
    const served = worker.serve(theirs);
    const events: string[] = [];
    const link = await TestServerClient.connect(ours, { heartbeat: false, log: () => undefined });
    link.setHooks({
      onResult: (result) => events.push(`${result.status} ${result.id}`),
      onProcessStart: (start) => events.push(`${start.cause} process on slot ${start.slot}`),
    });
    assert.equal(link.processes, undefined, 'nothing said before the first Done');
    await link.submit([A[0]], { slot: 0 });
    await link.submit([C1], { slot: 0 });
    assert.deepEqual(link.processes, { fresh: 0, restarts: 0 });
    await link.submit([B1], { slot: 0 });
    assert.deepEqual(link.processes, { fresh: 1, restarts: 0 });
    // The first process was retired before B1 ran in the next: C's teardown failure came
    // then; the Done of B1's Run told where the fresh process took over.
    assert.deepEqual(events, [`success ${A[0]}`, `success ${C1}`, 'fail tearDownClass (tests.test_two.C)', `success ${B1}`, 'fresh process on slot 0']);
    await link.submit([C1], { slot: 0 });
    await link.goodbye();
    events.push('goodbye');
    assert.deepEqual(events.slice(5), [`success ${C1}`, 'fail tearDownClass (tests.test_two.C)', 'goodbye']);
    assert.equal((await served).state, 'closed');
  } finally {
    await worker.close();
  }
});
