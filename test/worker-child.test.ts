// A worker as a child process on inherited descriptors, driven by the parent exactly as a
// test server is: spawnTestServer, Hello with slots, a Run, Goodbye and a clean exit.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnTestServer } from '@baton/protocol';

const script = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/python-worker/child-worker.ts');

test('a child worker on $BATON_RPC_FDS serves its parent and exits 0 on Goodbye', async (t) => {
  const worker = await spawnTestServer({ command: process.execPath, args: ['--import', 'tsx', script], log: () => undefined });
  t.after(() => worker.close());
  assert.equal(worker.slots, 2);
  assert.equal(worker.peer.name, 'child');
  const [result] = await worker.run(['tests.test_quick.Quick.test_b']).all();
  assert.equal(result?.status, 'success');
  assert.equal(result?.routeCode, '0');
  assert.deepEqual(await worker.goodbye(), { exitCode: 0, signal: null });
});
