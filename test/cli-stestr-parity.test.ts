// What a stestr user types, against real Python suites: `baton list` beside `stestr list`
// (same tests from the same filters, and the same order), `baton history list | show |
// remove` beside stestr 3's, `baton flaky` on a history with flaky tests, and `baton run
// --until-failure`, `--repeat N` and `--isolated`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeProject, startBaton, STESTR_CONF, type Finished } from './utils/baton-process.js';
import { flakySuite } from './utils/projects.js';

const baton = (dir: string, args: string[], env: Record<string, string> = {}): Promise<Finished> => startBaton(dir, args, env).exited;

function stestr(dir: string, args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string } {
  const r = spawnSync('stestr', args, { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8' });
  assert.ok(r.error === undefined, `cannot run stestr (${r.error?.message}); install Debian's python3-stestr, as .ci/run does`);
  return { status: r.status, stdout: r.stdout };
}

const lines = (text: string): string[] => text.split('\n').filter(Boolean);

describe('baton list', () => {
  test('lists what stestr list lists, in the same order, and the same tests for the same filters', async () => {
    const { dir } = flakySuite();
    assert.equal(stestr(dir, ['init']).status, 0);
    const theirs = lines(stestr(dir, ['list']).stdout);
    const ours = await baton(dir, ['list']);
    assert.equal(ours.status, 0, ours.stderr);
    assert.equal(theirs.length, 305);
    assert.deepEqual(lines(ours.stdout), theirs);

    // stestr passes a filtered list through a set, so only the tests compare; baton keeps
    // discovery order, the order a run's processes run them in.
    const filters = ['test_config', 'TestClock\\.test_t', 'balance_0[0-4]$'];
    const filtered = lines((await baton(dir, ['list', ...filters])).stdout);
    assert.deepEqual([...filtered].sort(), lines(stestr(dir, ['list', ...filters]).stdout).sort());
    assert.deepEqual(filtered, theirs.filter((id) => filtered.includes(id)));
    assert.equal(filtered.length, 43 + 1 + 5);
  });

  test('--json gives each test the estimate and the group a run schedules it by', async () => {
    const dir = makeProject({
      '.stestr.conf': STESTR_CONF,
      'tests/__init__.py': '',
      'tests/test_shared.py': [
        'import time, unittest',
        'class WithFixture(unittest.TestCase):',
        '    @classmethod',
        '    def setUpClass(cls):',
        '        cls.ready = True',
        '    def test_a(self):',
        '        self.assertTrue(self.ready)',
        '    def test_b(self):',
        '        self.assertTrue(self.ready)',
        'class Plain(unittest.TestCase):',
        '    def test_c(self):',
        '        time.sleep(0.2)',
        '    def test_d(self):',
        '        pass',
        '',
      ].join('\n'),
    });
    interface Listed { id: string; estimate: number; estimateSource: string; group: number }
    const listed = async (): Promise<Listed[]> => (JSON.parse((await baton(dir, ['list', '--json'])).stdout) as { tests: Listed[] }).tests;
    const before = await listed();
    assert.deepEqual(before.map((t) => t.id), ['tests.test_shared.Plain.test_c', 'tests.test_shared.Plain.test_d', 'tests.test_shared.WithFixture.test_a', 'tests.test_shared.WithFixture.test_b']);
    const group = new Map(before.map((t) => [t.id.split('.').at(-1), t.group]));
    assert.equal(group.get('test_a'), group.get('test_b'), 'a class with setUpClass is one group, as a run schedules it');
    assert.equal(new Set(group.values()).size, 3);
    assert.deepEqual(new Set(before.map((t) => t.estimateSource)), new Set(['default']));

    assert.equal((await baton(dir, ['run', '-j', '2'])).status, 0);
    const after = await listed();
    assert.deepEqual(new Set(after.map((t) => t.estimateSource)), new Set(['history']));
    const slow = after.find((t) => t.id.endsWith('test_c'))!;
    assert.ok(after.every((t) => t === slow || t.estimate < slow.estimate), 'the slow test is estimated slowest');
  });
});

describe('baton history list | show | remove', () => {
  test('lists the runs loaded from stestr as stestr does, shows one, and forgets removed ones', async () => {
    const { dir, env } = flakySuite();
    for (let i = 0; i < 2; i++) stestr(dir, ['run', '--concurrency', '1'], env);
    const theirs = lines(stestr(dir, ['history', 'list']).stdout).filter((l) => /^\|\s*\d+/.test(l)).map((l) => Number(/\d+/.exec(l)![0]));
    assert.deepEqual(theirs, [0, 1]);
    assert.equal((await baton(dir, ['init'])).status, 0);
    assert.equal(lines((await baton(dir, ['load', '.stestr'])).stdout).length, 2);

    const list = await baton(dir, ['history', 'list']);
    assert.equal(list.status, 0, list.stderr);
    const rows = lines(list.stdout).slice(2, -1);
    assert.equal(rows.length, theirs.length);
    assert.match(rows[0]!, /^ {2}1 {2}default .* 303 +2 +0 {2}complete$/);
    assert.match(lines(list.stdout).at(-1)!, /^2 runs$/);

    const show = await baton(dir, ['history', 'show', '1']);
    assert.equal(show.status, 1);
    assert.match(show.stdout, /^FAIL: tests\.test_clock\.TestClock\.test_tick\n {2}traceback:/m);
    assert.match(show.stdout, /Run 1 \(default\) started .*305 tests: 303 passed, 2 failed\n$/);

    const remove = await baton(dir, ['history', 'remove', '1']);
    assert.deepEqual([remove.status, remove.stdout], [0, 'Removed run 1 and 305 results\n']);
    const ids = (JSON.parse((await baton(dir, ['history', 'list', '--json'])).stdout) as { runs: { id: number }[] }).runs.map((r) => r.id);
    assert.deepEqual(ids, [2]);
    assert.equal((await baton(dir, ['history', 'show', '1'])).status, 2);
    // What failed only in the removed run no longer counts as failing.
    const failing = lines((await baton(dir, ['failing', '--list'])).stdout);
    const lastOfEach = (JSON.parse((await baton(dir, ['history', 'show', '2', '--json'])).stdout) as { failing: { testId: string }[] }).failing.map((f) => f.testId);
    assert.deepEqual(failing, lastOfEach, 'the failing set follows the runs that remain');

    // One test's history stays `history TEST_ID`; a test named like a verb takes --test.
    assert.match((await baton(dir, ['history', 'tests.test_clock.TestClock.test_tick'])).stdout, /test_tick \(default\): 1 result,/);
    const verb = await baton(dir, ['history', '--test', 'list']);
    assert.deepEqual([verb.status, verb.stderr], [2, 'baton: no results for list in profile default; `baton failing --list` and `baton slowest --all` show recorded ids\n']);
    const all = await baton(dir, ['history', 'remove', 'all']);
    assert.equal(all.stdout, 'Removed run 2 and 305 results\n');
  });
});

describe('baton flaky', () => {
  test('ranks the tests that both passed and failed in runs of one selection, with when they last failed', async () => {
    const { dir, env } = flakySuite();
    for (let i = 0; i < 4; i++) await baton(dir, ['run', '-j', '1'], env);
    interface Flaky { testId: string; failureRate: number; failures: number; results: number; lastFailedRun: number; lastFailed: string }
    const json = JSON.parse((await baton(dir, ['flaky', '--json'])).stdout) as { profiles: { default: Flaky[] } };
    const flaky = json.profiles.default;
    assert.deepEqual(new Set(flaky.map((f) => f.testId)), new Set(['tests.test_clock.TestClock.test_tick', 'tests.test_reports.TestReports.test_render_totals']));
    for (const f of flaky) {
      assert.equal(f.results, 4);
      assert.ok(f.failures >= 1 && f.failures < 4);
      assert.equal(f.failureRate, f.failures / 4);
      assert.match(f.lastFailed, /^\d{4}-\d\d-\d\dT/);
    }
    assert.ok(flaky[0]!.failureRate >= flaky[1]!.failureRate, 'most often failing first');
    const text = await baton(dir, ['flaky']);
    assert.match(text.stdout, new RegExp(`^${flaky[0]!.testId.replace(/\./g, '\\.')} +${flaky[0]!.failures} +4 +${Math.round(flaky[0]!.failureRate * 100)}%`, 'm'));
    assert.match(text.stdout, /2 flaky tests in the latest 50 runs of default\n$/);
  });
});

describe('baton run --until-failure, --repeat and --isolated', () => {
  const TICK = 'tests.test_clock.TestClock.test_tick';
  interface Results { profiles: { default: { results: { run: number; status: string }[] } } }
  const tickHistory = async (dir: string) => (JSON.parse((await baton(dir, ['history', TICK, '--json'])).stdout) as Results).profiles.default.results;

  test('--until-failure runs the selection until a test fails and says which iteration', async () => {
    const { dir, env } = flakySuite();
    // The seed's first flip fails: spend it, so that the loop has passes to go through.
    assert.equal((await baton(dir, ['run', '-j', '1', 'test_clock'], env)).status, 1);
    const until = await baton(dir, ['run', '-j', '1', 'test_clock', '--until-failure'], env);
    assert.equal(until.status, 1, until.stderr);
    const results = await tickHistory(dir);
    const iterations = results.length - 1;
    assert.deepEqual(results.slice(1).map((r) => r.status), [...Array<string>(iterations - 1).fill('success'), 'fail'], 'it ran until the first failure, and no further');
    const before = iterations > 1 ? `; the ${iterations - 1} iteration${iterations === 2 ? '' : 's'} before it passed` : '';
    assert.match(until.stdout, new RegExp(`\\nFailed in iteration ${iterations} \\(run ${results.at(-1)!.run}\\)${before}\\n$`));
    assert.equal((until.stderr.match(/^baton: iteration \d+$/gm) ?? []).length, iterations);
  });

  test('--repeat N runs it N times and counts each test\'s failures', async () => {
    const { dir, env } = flakySuite();
    const repeat = await baton(dir, ['run', '-j', '2', 'test_clock|test_config', '--repeat', '6'], env);
    const results = await tickHistory(dir);
    assert.equal(results.length, 6);
    const failed = results.filter((r) => r.status === 'fail').length;
    assert.ok(failed >= 1 && failed < 6, `the seed's first flip fails, later ones pass too (${failed} of 6)`);
    assert.equal(repeat.status, 1);
    assert.match(repeat.stdout, new RegExp(`^${TICK.replace(/\./g, '\\.')} +${failed} +6$`, 'm'));
    assert.match(repeat.stdout, new RegExp(`\\n6 iterations \\(runs 1–6\\), ${failed} with failures; 1 test failed at least once\\n$`));
  });

  test('--isolated runs each test in a fresh process: nothing another test left behind reaches it', async () => {
    const { dir, env } = flakySuite();
    const isolated = await baton(dir, ['run', '-j', '2', '--isolated', '--json', 'run.json'], env);
    const report = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { results: { id: string; status: string }[] };
    assert.equal(report.results.length, 305);
    // test_tick fails on its own at the seed's first flip; render_totals, never polluted, never even flipped its coin.
    assert.deepEqual(report.results.filter((r) => r.status !== 'success').map((r) => r.id), [TICK]);
    assert.equal(isolated.status, 1);
    assert.deepEqual(readdirSync(join(dir, 'state')), ['tick']);
    // Run in one process, the polluter reaches it.
    await baton(dir, ['run', '-j', '1'], env);
    assert.deepEqual(readdirSync(join(dir, 'state')).sort(), ['tick', 'totals']);
  });

  test('Ctrl-C ends the run under way and the loop, saying so', async () => {
    const { dir, env } = flakySuite();
    const looping = startBaton(dir, ['run', '-j', '1', 'test_accounts', '--until-failure'], env);
    await looping.waitFor(/^baton: iteration 3$/m);
    looping.child.kill('SIGINT');
    const stopped = await looping.exited;
    assert.match(stopped.stdout, /\nInterrupted in iteration [34] \(run [34]\); the [23] iterations before it passed\n$/);
    assert.doesNotMatch(stopped.stderr, /iteration 5/);
  });
});
