// baton bisect against a real Python suite (test/fixtures/python-flaky): a test that fails
// about one time in ten only after an earlier test polluted module state, among 274
// tests its process ran before it, and one that fails about one time in five on its own;
// from a baton run and from a stestr run brought in with `baton load`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { startBaton, type Finished } from './utils/baton-process.js';
import { flakySuite } from './utils/projects.js';

const POLLUTED = 'tests.test_reports.TestReports.test_render_totals';
const POLLUTER = 'tests.test_config.TestConfig.test_legacy_mode';
const ALONE = 'tests.test_clock.TestClock.test_tick';
/** Bounds every bisection: one that has not concluded by then fails the test. */
const MAX_TIME = ['--max-time', '90s'];
/** Clears a candidate only at one chance in a thousand of being wrong, so that the answer is sure. */
const CONFIDENCE = ['--confidence', '0.999'];

interface BisectJson {
  outcome: string;
  stopped: string | null;
  culprits: string[] | null;
  worker: string | null;
  prefix: string[];
  evidence: Record<'suspects' | 'alone' | 'prefix' | 'failureRate', { runs: number; failures: number }>;
  executions: number;
  executedNow: number;
  concludedEarlier: boolean;
}

const baton = (dir: string, env: Record<string, string>, args: string[]): Promise<Finished> => startBaton(dir, args, env).exited;

async function bisect(dir: string, env: Record<string, string>, args: string[]): Promise<BisectJson> {
  const r = await baton(dir, env, ['bisect', ...args, '-j', '2', ...CONFIDENCE, ...MAX_TIME, '--json']);
  assert.equal(r.status, 0, `bisect ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as BisectJson;
}

describe('baton bisect on a suite with an order-dependent flaky test and one flaky on its own', () => {
  test('names the test that pollutes, and says that the other fails on its own', async () => {
    const { dir, env } = flakySuite();
    const run = await baton(dir, env, ['run', '-j', '1']);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /303 passed, 2 failed/);

    const polluted = await bisect(dir, env, [POLLUTED]);
    assert.equal(polluted.outcome, 'culprits');
    assert.deepEqual(polluted.culprits, [POLLUTER]);
    assert.equal(polluted.worker, 'local/0');
    assert.equal(polluted.prefix.length, 274, 'every test before it in discovery order ran before it in its process');
    assert.ok(polluted.evidence.suspects.failures >= 1, 'it failed after the polluter');
    assert.ok(polluted.evidence.alone.runs > 0 && polluted.evidence.alone.failures === 0, 'and passed alone, every time');
    assert.equal(polluted.executions, polluted.executedNow);

    const alone = await bisect(dir, env, [ALONE]);
    assert.equal(alone.outcome, 'alone');
    assert.equal(alone.culprits, null);
    assert.ok(alone.evidence.alone.failures >= 1);

    // Asked again, the answer is the one stored: nothing runs.
    const again = await bisect(dir, env, ['1', POLLUTED]);
    assert.deepEqual([again.outcome, again.culprits, again.concludedEarlier, again.executedNow], ['culprits', [POLLUTER], true, 0]);
  });

  test('stopped by Ctrl-C, it keeps what it found, and the same command resumes from there', async () => {
    const { dir, env } = flakySuite();
    assert.equal((await baton(dir, env, ['run', '-j', '1'])).status, 1);
    const first = startBaton(dir, ['bisect', POLLUTED, '-j', '2', ...CONFIDENCE, '--json'], env);
    await first.waitFor(/137 tests of 274 still suspected/);
    first.child.kill('SIGINT');
    const stopped = await first.exited;
    assert.equal(stopped.status, 1, stopped.stderr);
    const partial = JSON.parse(stopped.stdout) as BisectJson;
    assert.deepEqual([partial.outcome, partial.stopped], ['unfinished', 'interrupted']);
    assert.ok(partial.executions > 0);

    const resumed = await baton(dir, env, ['bisect', POLLUTED, '-j', '2', ...CONFIDENCE, ...MAX_TIME, '--json']);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`resuming the bisection of ${POLLUTED.replace(/\./g, '\\.')} \\(run 1, worker local/0\\) after ${partial.executions} executions`));
    assert.doesNotMatch(resumed.stderr, /137 tests of 274 still suspected/, 'the halving it had done is not done again');
    const done = JSON.parse(resumed.stdout) as BisectJson;
    assert.deepEqual(done.culprits, [POLLUTER]);
    assert.equal(done.executions, partial.executions + done.executedNow);
  });

  test('works from a stestr run loaded with baton load, its worker tag giving the order', async () => {
    const { dir, env } = flakySuite();
    const stestr = spawnSync('stestr', ['run', '--concurrency', '1'], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.ok(stestr.error === undefined, `cannot run stestr (${stestr.error?.message}); install Debian's python3-stestr, as .ci/run does`);
    assert.equal(stestr.status, 1, 'stestr records both failures');
    assert.equal((await baton(dir, env, ['init'])).status, 0);
    const load = await baton(dir, env, ['load', '.stestr']);
    assert.match(load.stdout, /303 passed, 2 failed/);

    const polluted = await bisect(dir, env, [POLLUTED]);
    assert.deepEqual([polluted.outcome, polluted.worker, polluted.prefix.length], ['culprits', 'worker-0', 274]);
    assert.deepEqual(polluted.culprits, [POLLUTER]);
    assert.equal((await bisect(dir, env, [ALONE])).outcome, 'alone');
  });
});
