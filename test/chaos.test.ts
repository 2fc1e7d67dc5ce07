// A slice of `npm run chaos` (scripts/chaos.ts): a few kills of each kind, a killed
// coordinator of each kind, a hanging test and a broken channel, with the same checks.
// The silent network cut waits out a whole heartbeat timeout, so it runs only in the full
// chaos.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { brokenChannel, ChaosTally, chaosTable, hangingTest, killCoordinator, killLocal, killRemote } from './utils/chaos.js';

const SHAPE = { modules: 2, classes: 2, tests: 6, min: 0.05, max: 0.3 };

/** Nothing lost, doubled, orphaned, stalled or otherwise wrong; the table says what happened. */
function clean(t: { diagnostic(s: string): void }, tally: ChaosTally): void {
  for (const line of chaosTable(tally, 0).split('\n')) t.diagnostic(line);
  for (const n of tally.notes) t.diagnostic(n);
  assert.deepEqual([...tally.problems, ...tally.stalls, ...tally.orphans], []);
  assert.equal(tally.lost, 0);
  assert.equal(tally.duplicated, 0);
}

describe('chaos: faults injected into real runs', { concurrency: 2 }, () => {
  test('test servers and fork servers of baton run -j 3 killed with SIGKILL: every test once, the killed ones crashed naming the slot, exit 1', async (t) => {
    const tally = new ChaosTally();
    const made = await killLocal(tally, { seed: 11, kills: 6, jobs: 3, gapMs: [300, 700], perRun: 3, deadline: Date.now() + 120_000, shape: SHAPE });
    assert.equal(made, 6);
    clean(t, tally);
  });

  test('remote workers and their test servers killed with SIGKILL, workers replaced: every test once, a killed worker\'s test lost naming it, exit 3', async (t) => {
    const tally = new ChaosTally();
    const made = await killRemote(tally, { seed: 12, kills: 4, jobs: 2, gapMs: [300, 700], perRun: 2, deadline: Date.now() + 120_000, shape: SHAPE });
    assert.equal(made, 4);
    clean(t, tally);
  });

  test('a coordinator killed mid-run (local, then with remote workers): nothing left running, workers exit 3, the run incomplete with what it had, the next run uses its timings', async (t) => {
    const tally = new ChaosTally();
    await killCoordinator(tally, { seed: 13, count: 2, deadline: Date.now() + 120_000, shape: SHAPE });
    assert.equal(tally.faults.get('coordinator killed'), 2);
    clean(t, tally);
  });

  test('a hanging test is timed out and its slot goes on; a test server that breaks its channel is replaced and the run goes on', async (t) => {
    const tally = new ChaosTally();
    await hangingTest(tally, { seed: 14 });
    await brokenChannel(tally, { seed: 15 });
    clean(t, tally);
  });
});
