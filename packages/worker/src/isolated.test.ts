// isolatedAdapter: every test in a process of its own, with the real Python reference
// server (forked), and its Cancel and kill over adapters that implement the interface.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TestResult } from '@baton/subunit';
import type { AdapterEvent, AdapterFactory, TestAdapter } from './adapter.js';
import { isolatedAdapter } from './isolated.js';
import { pythonAdapter } from './python-adapter.js';
import { freshPath, harness, SUITE_DIR, T } from './test-support/coordinator.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/python-fixtures');
const PYTHON = execFileSync(process.env['BATON_TEST_PYTHON'] ?? 'python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const context = { slot: 0, output: () => undefined, log: () => undefined };

test('every test of a Run runs in a process of its own, with its class and module fixtures set up and torn down there', async (t) => {
  const path = freshPath('journal');
  const adapter = isolatedAdapter(pythonAdapter({ testPath: 'tests', cwd: FIXTURES, python: PYTHON, env: { ...process.env, BATON_FIXTURE_JOURNAL: path } }));
  const h = await harness({ adapter, slots: 1 });
  t.after(() => h.stop());
  const tests = ['tests.test_one.A.test_1', 'tests.test_one.A.test_2', 'tests.test_one.B.test_1'];
  await h.coordinator.run(tests, { slot: 0 });
  assert.deepEqual(h.coordinator.results.map((r) => [r.id, r.status]), tests.map((id) => [id, 'success']));
  const entries = existsSync(path) ? readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => l.split(' ')) : [];
  const pids = [...new Set(entries.map(([pid]) => pid))];
  assert.equal(pids.length, 3, 'three processes');
  tests.forEach((id, i) => {
    const cls = id.split('.')[2];
    assert.deepEqual(entries.filter(([pid]) => pid === pids[i]).map((e) => e.slice(1).join(' ')),
      ['setUpModule tests.test_one', `setUpClass ${cls}`, `test ${id}`, `tearDownClass ${cls}`, 'tearDownModule tests.test_one']);
  });
});

test('a test that kills its process fails alone; the rest of the Run goes on in fresh ones', async (t) => {
  const h = await harness({ adapter: isolatedAdapter(pythonAdapter({ testPath: 'tests', cwd: SUITE_DIR, python: PYTHON })), slots: 1 });
  t.after(() => h.stop());
  await h.coordinator.run([T.exit, T.a, T.b], { slot: 0 });
  assert.deepEqual(h.coordinator.results.map((r) => [r.id, r.status]), [[T.exit, 'fail'], [T.a, 'success'], [T.b, 'success']]);
});

/** Inner adapters whose test `hold` waits until `release` is called (`holding` says it does); each records the tests it ran. */
function held(hold: string) {
  const ran: string[][] = [];
  let holds = () => {};
  const holding = new Promise<void>((resolve) => (holds = resolve));
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let killed = () => {};
  const dead = new Promise<never>((_, reject) => (killed = () => reject(new Error('killed'))));
  dead.catch(() => undefined);
  const factory: AdapterFactory = async () => {
    const mine: string[] = [];
    ran.push(mine);
    const adapter: TestAdapter = {
      list: async () => [],
      async *run(tests): AsyncIterable<AdapterEvent> {
        for (const id of tests) {
          mine.push(id);
          yield { type: 'start', id, timestamp: undefined };
          if (id === hold) {
            holds();
            await Promise.race([released, dead]);
          }
          const result: TestResult = { id, status: 'success', start: undefined, stop: undefined, tags: [], routeCode: undefined, attachments: [] };
          yield { type: 'result', result };
        }
      },
      cancel: async () => [],
      kill: () => killed(),
      close: async () => undefined,
    };
    return adapter;
  };
  return { factory, ran, holding, release };
}

async function collect(events: AsyncIterable<AdapterEvent>, seen: string[]): Promise<unknown> {
  try {
    for await (const e of events) if (e.type === 'result') seen.push(e.result.id);
    return undefined;
  } catch (error) {
    return error;
  }
}

test('Cancel takes back whole slices of what has not started, never the test running', async () => {
  const { factory, ran, holding, release } = held('a');
  const adapter = await isolatedAdapter(factory)(context);
  const seen: string[] = [];
  const done = collect(adapter.run(['a', 'b', 'c', 'd'], {}), seen);
  await holding;
  // a runs; [b, c] is a slice it may take whole; [a, d] is not, a having started.
  assert.deepEqual(await adapter.cancel(['b', 'c', 'a', 'd'], [2, 2]), ['b', 'c']);
  release();
  assert.equal(await done, undefined);
  assert.deepEqual(seen, ['a', 'd']);
  assert.deepEqual(ran, [['a'], ['d']], 'each in an adapter of its own');
});

test('kill ends the batch with an error, starting nothing more', async () => {
  const { factory, ran, holding } = held('a');
  const adapter = await isolatedAdapter(factory)(context);
  const seen: string[] = [];
  const done = collect(adapter.run(['a', 'b'], {}), seen);
  await holding;
  adapter.kill();
  assert.match(String(await done), /killed/);
  assert.deepEqual(seen, []);
  assert.deepEqual(ran, [['a']]);
});
