// pythonAdapter with real processes: test servers forked from one fork server per factory,
// and the fallback to a spawned server per slot.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { AdapterContext } from './adapter.js';
import { pythonAdapter } from './python-adapter.js';
import { WorkerServer } from './server.js';
import { SUITE_DIR, T, harness, signalPath, text } from './test-support/coordinator.js';
import { childrenOf, eventually, marked, type Proc } from './test-support/processes.js';
import { pythonTestServer, testServerAdapter, type PythonSuite } from './testserver-adapter.js';

const SUPPORT = join(dirname(fileURLToPath(import.meta.url)), 'test-support');
/** Every process a test starts carries this variable, so that what is left can be found. */
const MARK = 'BATON_TEST_MARK';
/** The interpreter by path: a version manager's shim would cost a quarter second of CPU per start. */
const PYTHON = execFileSync(process.env['BATON_TEST_PYTHON'] ?? 'python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

function suite(extra: Partial<PythonSuite> & { readonly vars?: NodeJS.ProcessEnv } = {}): PythonSuite & { readonly mark: string; readonly signal: string } {
  const mark = randomUUID();
  const signal = signalPath();
  const { vars, ...rest } = extra;
  return { testPath: 'tests', cwd: SUITE_DIR, python: PYTHON, env: { ...process.env, [MARK]: mark, BATON_WORKER_SIGNAL: signal, ...vars }, mark, signal, ...rest };
}

/** Whether a process runs baton's Python test server (`pythonTestServer`'s command). */
const isBatonServer = (p: Pick<Proc, 'args'>): boolean => p.args.some((arg) => arg.includes('baton_server'));

/** This process's Python children: one fork server, or one test server per slot. */
function pythonChildren(): Proc[] {
  return childrenOf(process.pid).filter(isBatonServer);
}

const forkServerOf = (mark: string): Proc[] => marked(MARK, mark).filter((p) => p.args.includes('--fork-server') && p.ppid === process.pid);

const context = (logs: string[] = []): AdapterContext => ({ slot: 0, output: () => undefined, log: (line) => logs.push(line) });

test('the fork server lists what a test server of its own lists, and no fork server outlives dispose', async () => {
  const s = suite();
  const plain = await testServerAdapter(pythonTestServer(s))(context());
  const forked = pythonAdapter(s);
  const adapter = await forked(context());
  try {
    assert.deepEqual(await adapter.list(), await plain.list());
  } finally {
    await Promise.all([plain.close(), adapter.close()]);
    await forked.dispose!();
  }
  assert.deepEqual(marked(MARK, s.mark), []);
});

test('asked to finish, the fork server exits after its last child, by itself; the next start forks from a new one', async () => {
  const s = suite();
  const logs: string[] = [];
  const forked = pythonAdapter(s);
  const [a, b] = await Promise.all([forked(context(logs)), forked(context(logs))]);
  try {
    const [first] = forkServerOf(s.mark);
    assert.ok(first, 'a fork server runs');
    forked.finish!();
    await a!.close();
    assert.ok(forkServerOf(s.mark).some((p) => p.pid === first.pid), 'it waits for its last child');
    await b!.close();
    await eventually(() => !forkServerOf(s.mark).some((p) => p.pid === first.pid), 'the finished fork server to exit without being closed');
    const again = await forked(context(logs));
    assert.ok(forkServerOf(s.mark).some((p) => p.pid !== first.pid), 'a new fork server');
    await again.close();
  } finally {
    await forked.dispose!();
  }
  assert.deepEqual(marked(MARK, s.mark), []);
  assert.deepEqual(logs, [], 'a finished fork server is no death to report');
});

test('slots fork their test servers from one fork server, run at once, and keep their stray output apart', async (t) => {
  const s = suite();
  const h = await harness({ adapter: pythonAdapter(s), slots: 2, name: 'f1' });
  t.after(() => h.stop());
  const [server] = forkServerOf(s.mark);
  assert.ok(server, 'one fork server');
  assert.equal(pythonChildren().length, 1);
  assert.equal(childrenOf(server.pid).length, 2);

  const slow = h.coordinator.run([T.waits, T.fdOutput], { slot: 0 });
  await h.coordinator.started(T.waits);
  await h.coordinator.run([T.fdOutput, T.a], { slot: 1 });
  writeFileSync(s.signal, '');
  await slow;
  assert.ok(h.coordinator.results.every((r) => r.status === 'success'));
  // Stray output travels apart from the results: it may come after Done.
  const strays = () => h.coordinator.packets.filter((p) => p.testId === undefined && p.file?.name === 'stdout' && Buffer.from(p.file.content).includes('stray on fd 1'));
  await h.coordinator.until(() => strays().length === 2, 'stray output of both slots');
  assert.deepEqual(strays().map((p) => p.routeCode).sort(), ['0', '1']);
});

test('a forked test server that exits inside a test fails it with the exit code and stderr tail; the slot goes on with a fresh fork', async (t) => {
  const s = suite();
  const h = await harness({ adapter: pythonAdapter(s), slots: 1, name: 'f2' });
  t.after(() => h.stop());
  await h.coordinator.run([T.exit, T.b], { slot: 0 });
  const reason = text(h.coordinator.result(T.exit), 'baton-error')!;
  assert.match(reason, /worker f2 slot 0 lost its test process while running tests\.test_hostile\.Hostile\.test_exit/);
  assert.match(reason, /exit code 3/);
  assert.match(reason, /about to exit/);
  assert.equal(h.coordinator.result(T.b)?.status, 'success');
});

test('a forked test server killed by SIGKILL mid-test, and one past its timeout, are replaced by fresh forks of the same fork server', async (t) => {
  const s = suite();
  const h = await harness({ adapter: pythonAdapter(s), slots: 1, name: 'f3' });
  t.after(() => h.stop());
  const [server] = forkServerOf(s.mark);
  const first = childrenOf(server!.pid);
  assert.equal(first.length, 1);

  const killed = h.coordinator.run([T.waits, T.a], { slot: 0 });
  await h.coordinator.started(T.waits);
  process.kill(first[0]!.pid, 'SIGKILL');
  await killed;
  assert.match(text(h.coordinator.result(T.waits), 'baton-error')!, /the test server died \(signal SIGKILL\)/);
  assert.equal(h.coordinator.result(T.a)?.status, 'success');

  await h.coordinator.run([T.sleeps, T.b], { slot: 0, timeout: 0.5 });
  assert.match(text(h.coordinator.result(T.sleeps), 'baton-timeout')!, /timed out after 0\.5 s on worker f3 slot 0/);
  assert.equal(h.coordinator.result(T.b)?.status, 'success');
  assert.deepEqual(forkServerOf(s.mark), [server]);
  const now = childrenOf(server!.pid);
  assert.equal(now.length, 1);
  assert.notEqual(now[0]!.pid, first[0]!.pid);
});

test('when the fork server dies, its test servers die with it, their tests fail, and the next start forks from a new one', async (t) => {
  const s = suite();
  const logs: string[] = [];
  const h = await harness({ adapter: pythonAdapter(s), slots: 1, name: 'f4', log: (line) => logs.push(line) });
  t.after(() => h.stop());
  const [server] = forkServerOf(s.mark);
  const running = h.coordinator.run([T.waits, T.a], { slot: 0 });
  await h.coordinator.started(T.waits);
  process.kill(server!.pid, 'SIGKILL');
  await running;
  assert.match(text(h.coordinator.result(T.waits), 'baton-error')!, /lost its test process while running .*test_waits_for_signal_file: the test server died \(signal SIGKILL\)/);
  assert.equal(h.coordinator.result(T.a)?.status, 'success');
  await eventually(() => logs.some((line) => /the fork server \(pid \d+\) died \(signal SIGKILL\): its test servers were killed/.test(line)), 'the log line');
  const [next] = forkServerOf(s.mark);
  assert.ok(next && next.pid !== server!.pid, 'a new fork server');
});

test('a worker closed while a slot still starts a fresh test server waits for it and says Goodbye: every test server exits by itself, none is killed', async () => {
  const exits = mkdtempSync(join(tmpdir(), 'baton-exits-'));
  const s = suite({ vars: { PYTHONPATH: join(SUPPORT, 'python-site'), BATON_TEST_EXITS: exits } });
  const records = (kind: string) => readdirSync(exits).filter((f) => f.endsWith(`.${kind}`)).map((f) => Number.parseInt(f, 10));
  const h = await harness({ adapter: pythonAdapter(s), slots: 1, name: 'f5' });
  try {
    await h.coordinator.run([T.b], { slot: 0 });
    const [first] = records('started');
    // The next test server takes a second to connect; T.a lies behind T.b, so it needs one.
    writeFileSync(join(exits, 'slow'), '1');
    h.coordinator.run([T.a], { slot: 0 }).catch(() => undefined);
    await eventually(() => records('started').length === 2 && records('exited').includes(first!), 'the first test server to retire and the next to be forked');
  } finally {
    await h.stop();
  }
  const started = records('started').sort();
  assert.equal(started.length, 2);
  assert.deepEqual(records('exited').sort(), started, 'every test server exited by itself (one killed records no exit)');
  for (const pid of started) assert.equal(readFileSync(join(exits, `${pid}.exited`), 'utf8'), '0', `test server ${pid} exited 0`);
  assert.deepEqual(marked(MARK, s.mark), []);
});

test('a fork server killed during its start is replaced, and the worker starts', async (t) => {
  const go = signalPath();
  const s = suite({ vars: { PYTHONPATH: join(SUPPORT, 'python-site'), BATON_TEST_SITE: 'wait', BATON_TEST_SITE_FILE: go } });
  const logs: string[] = [];
  const starting = WorkerServer.start({ adapter: pythonAdapter(s), slots: 1, log: (line) => logs.push(line) });
  await eventually(() => forkServerOf(s.mark).length === 1, 'the first fork server');
  const [first] = forkServerOf(s.mark);
  process.kill(first!.pid, 'SIGKILL');
  await eventually(() => logs.some((line) => /the fork server \(pid \d+\) exited \(signal SIGKILL\); starting another fork server/.test(line)), 'the log line');
  writeFileSync(go, '');
  const server = await starting;
  t.after(() => server.close());
  assert.ok(server.tests.length > 0, 'the tests are listed');
  assert.ok(forkServerOf(s.mark).some((p) => p.pid !== first!.pid), 'a new fork server');
});

test('forked or not, the listing says which tests share class and module fixtures', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'baton-fixtures-'));
  mkdirSync(join(cwd, 'tests'));
  writeFileSync(join(cwd, 'tests', '__init__.py'), '');
  writeFileSync(join(cwd, 'tests', 'test_class.py'), [
    'import unittest',
    'class Base(unittest.TestCase):',
    '    @classmethod',
    '    def tearDownClass(cls): pass',
    'class Inherits(Base):',
    '    def test_a(self): pass',
    'class Plain(unittest.TestCase):',
    '    def test_a(self): pass',
  ].join('\n'));
  writeFileSync(join(cwd, 'tests', 'test_module.py'), 'import unittest\ndef setUpModule(): pass\nclass M(unittest.TestCase):\n    def test_a(self): pass\n');
  try {
    for (const fork of [true, false]) {
      const server = await WorkerServer.start({ adapter: pythonAdapter(suite({ cwd, fork })), slots: 1, log: () => undefined });
      try {
        assert.deepEqual(server.listing, {
          tests: ['tests.test_class.Inherits.test_a', 'tests.test_class.Plain.test_a', 'tests.test_module.M.test_a'],
          classFixtureTests: ['tests.test_class.Inherits.test_a'],
          moduleFixtureTests: ['tests.test_module.M.test_a'],
        }, `fork: ${fork}`);
      } finally {
        await server.close();
      }
    }
  } finally {
    rmSync(cwd, { recursive: true });
  }
});

test('a suite that cannot be discovered fails the start with the fork server\'s stderr tail', async () => {
  const s = suite({ testPath: 'no_such_dir' });
  await assert.rejects(WorkerServer.start({ adapter: pythonAdapter(s), slots: 2, log: () => undefined }), (e: Error & { code?: string; cause?: Error & { code?: string } }) => {
    assert.equal(e.code, 'BATON_WORKER_ADAPTER_FAILED');
    assert.equal(e.cause?.code, 'BATON_WORKER_FORK_FAILED');
    assert.match(e.message, /the fork server \(pid \d+\) exited \(exit code 2\)\n--- stderr tail ---\nbaton_server: test discovery in 'no_such_dir' failed/);
    return true;
  });
  assert.deepEqual(marked(MARK, s.mark), []);
});

test('nothing is left after close, nor after the worker process is killed with SIGKILL in the middle of tests', async () => {
  const s = suite();
  const h = await harness({ adapter: pythonAdapter(s), slots: 2 });
  assert.equal(marked(MARK, s.mark).length, 3);
  await h.stop();
  assert.deepEqual(marked(MARK, s.mark), []);

  const mark = randomUUID();
  const worker = spawn(process.execPath, ['--import', 'tsx', join(SUPPORT, 'fork-worker.ts')], {
    env: { ...process.env, [MARK]: mark },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [line] = (await once(worker.stdout, 'data')) as [Buffer];
    assert.equal(line.toString(), 'running\n');
    assert.equal(marked(MARK, mark).filter(isBatonServer).length, 3, 'a fork server and two test servers');
  } finally {
    worker.kill('SIGKILL');
  }
  await eventually(() => marked(MARK, mark).length === 0, 'every process of the killed worker to end');
});

test('fork: false, no os.fork and a suite that leaves threads running all spawn a test server per slot', async () => {
  const cases = [suite({ fork: false }), suite({ vars: { PYTHONPATH: join(SUPPORT, 'python-site'), BATON_TEST_SITE: 'no-fork' } }), suite({ vars: { PYTHONPATH: join(SUPPORT, 'python-site'), BATON_TEST_SITE: 'thread' } })];
  for (const s of cases) {
    const logs: string[] = [];
    const h = await harness({ adapter: pythonAdapter(s), slots: 2, log: (line) => logs.push(line) });
    try {
      const spawned = pythonChildren().filter((p) => !p.args.includes('--fork-server'));
      assert.equal(spawned.length, 2, `${s.env!['BATON_TEST_SITE'] ?? 'fork: false'}: ${JSON.stringify(pythonChildren())}`);
      await h.coordinator.run([T.a, T.b], { slot: 1 });
      assert.equal(h.coordinator.results.length, 2);
      assert.ok(h.coordinator.results.every((r) => r.status === 'success'));
    } finally {
      await h.stop();
    }
    const why = { 'no-fork': /this Python has no os\.fork: each slot starts a test server of its own/, thread: /1 thread\(s\) besides the main one run in the fork server/ }[s.env!['BATON_TEST_SITE'] as string];
    if (why) assert.ok(logs.some((line) => why.test(line)), logs.join('\n'));
    else assert.deepEqual(logs, []);
    assert.deepEqual(marked(MARK, s.mark), []);
  }
});
