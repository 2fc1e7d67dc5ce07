// The testr-command adapter with Debian's python-subunit runner, as a .testr.conf would
// configure it: listing, running, a process dying inside a test, a timeout.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { testListDigest } from '@baton/protocol';
import { testrCommandAdapter } from './command-adapter.js';
import { pythonTestServer, testServerAdapter } from './testserver-adapter.js';
import { SUITE_DIR, T, harness, signalPath, text } from './test-support/coordinator.js';
import { WorkerServer } from './server.js';

// Debian's interpreter has python3-subunit; the pyenv python3 on PATH does not.
const PYTHON = '/usr/bin/python3';
const skip = existsSync(PYTHON) ? false : `${PYTHON} (with python3-subunit) is not installed`;

const adapter = testrCommandAdapter({
  testCommand: `${PYTHON} -m subunit.run discover -t . -s tests $LISTOPT $IDOPTION`,
  testIdOption: '--load-list $IDFILE',
  testListOption: '--list',
  cwd: SUITE_DIR,
  env: { ...process.env, BATON_WORKER_SIGNAL: signalPath() },
});

test('lists the same tests as the test server does', { skip }, async () => {
  const worker = await WorkerServer.start({ adapter, log: () => undefined });
  const server = await WorkerServer.start({ adapter: testServerAdapter(pythonTestServer({ testPath: 'tests', cwd: SUITE_DIR })), log: () => undefined });
  try {
    assert.equal(worker.tests.length, 10);
    assert.equal(worker.hello.digest, testListDigest(server.tests));
  } finally {
    await Promise.all([worker.close(), server.close()]);
  }
});

test('runs a batch per process, routed and tagged by slot', { skip }, async (t) => {
  const h = await harness({ adapter, slots: 2, name: 'c1' });
  t.after(() => h.stop());
  await Promise.all([h.coordinator.run([T.a, T.b], { slot: 0 }), h.coordinator.run([T.c], { slot: 1 })]);
  for (const [id, slot] of [[T.a, '0'], [T.b, '0'], [T.c, '1']] as const) {
    const result = h.coordinator.result(id)!;
    assert.equal(result.status, 'success', id);
    assert.equal(result.routeCode, slot);
    assert.ok(result.tags.includes(`worker-${slot}`));
  }
});

test('a process dying inside a test fails that test; the rest of the batch runs in a new process', { skip }, async (t) => {
  const h = await harness({ adapter, slots: 1, name: 'c2' });
  t.after(() => h.stop());
  await h.coordinator.run([T.exit, T.c], { slot: 0 });
  const died = h.coordinator.result(T.exit)!;
  assert.equal(died.status, 'fail');
  assert.match(text(died, 'baton-error')!, /the test command exited \(exit code 3\) while running tests\.test_hostile\.Hostile\.test_exit\n--- stderr tail ---\nabout to exit/);
  assert.equal(h.coordinator.result(T.c)?.status, 'success');
});

test('a test past its timeout has its process group killed and fails with baton-timeout', { skip }, async (t) => {
  const h = await harness({ adapter, slots: 1, name: 'c3' });
  t.after(() => h.stop());
  await h.coordinator.run([T.sleeps, T.d], { slot: 0, timeout: 0.5 });
  assert.match(text(h.coordinator.result(T.sleeps), 'baton-timeout')!, /timed out after 0\.5 s on worker c3 slot 0/);
  assert.equal(h.coordinator.result(T.d)?.status, 'success');
});
