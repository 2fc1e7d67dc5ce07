// baton run --retries N and --flaky-fails against a real Python suite
// (test/fixtures/python-flaky, with a test added that fails about half the time on its own,
// and one that always fails): a failed test is tried again during the run, each time on a
// fresh test server process on another slot; one that then passes is flaky, a pass unless
// --flaky-fails; the reports, the subunit stream and the repository hold one result per test.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { aggregate, decodeAll } from '@baton/subunit';
import { startBaton, type Finished } from './utils/baton-process.js';
import { flakySuite } from './utils/projects.js';

const COIN = 'tests.test_retry.TestRetry.test_coin';
const TICK = 'tests.test_clock.TestClock.test_tick';
const ALWAYS = 'tests.test_zbroken.TestBroken.test_always';
/** Tests of the fixture suite, and the coin test added to it. */
const ALL = 306;

/**
 * Fails about half the time whatever ran before it. Under the suite's seed (14) its flips
 * go fail, fail, pass: three attempts make it a pass on retry.
 */
const COIN_MODULE = `import unittest
from tests import flaky


class TestRetry(unittest.TestCase):
    def test_coin(self):
        if flaky.flip("coin", 0.5):
            self.fail("the coin came up tails")
`;

/** Always fails, saying which process ran it and how many tests of its module that process ran before it. */
const BROKEN_MODULE = `import os
import unittest

RAN = []


class TestBroken(unittest.TestCase):
    def test_a(self):
        RAN.append("a")

    def test_always(self):
        print("pid %d after %d" % (os.getpid(), len(RAN)))
        RAN.append("always")
        self.fail("broken for good")

    def test_b(self):
        RAN.append("b")
`;

interface Attempt {
  id: string;
  status: string;
  worker: string;
  attempt?: number;
  attachments: { name: string; text?: string }[];
  failedAttempts?: Attempt[];
}
interface Report {
  exitCode: number;
  flaky: string[];
  retriedAttempts: number;
  counts: Record<string, number>;
  results: Attempt[];
}

const baton = (dir: string, args: string[], env: Record<string, string>): Promise<Finished> => startBaton(dir, args, env).exited;
const read = (dir: string, file: string): Report => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Report;
/** Each attempt at a test, in order: its failed attempts, then its result. */
const attemptsOf = (r: Attempt): Attempt[] => [...(r.failedAttempts ?? []), r];

/** The results a subunit v2 stream holds, by id. */
function subunitResults(bytes: Buffer): Map<string, string[]> {
  const decoded = decodeAll(bytes);
  assert.deepEqual(decoded.errors, []);
  const byId = new Map<string, string[]>();
  for (const r of aggregate(decoded.packets).results) byId.set(r.id, [...(byId.get(r.id) ?? []), r.status ?? 'none']);
  return byId;
}

function suiteWith(modules: Record<string, string>): { dir: string; env: Record<string, string> } {
  const suite = flakySuite();
  for (const [name, text] of Object.entries(modules)) writeFileSync(join(suite.dir, 'tests', name), text);
  return suite;
}

describe('baton run --retries', () => {
  test('a test that fails about half the time ends as a pass on retry, exit 0; with --flaky-fails the run fails', async () => {
    const { dir, env } = suiteWith({ 'test_retry.py': COIN_MODULE });
    const run = await baton(dir, ['run', '-j', '2', '--retries', '3', '--json', 'run.json', '--junit', 'junit.xml', '--subunit'], env);
    assert.equal(run.status, 0, run.stderr);
    const report = read(dir, 'run.json');
    assert.equal(report.exitCode, 0);
    assert.ok(report.flaky.includes(COIN) && report.flaky.includes(TICK), `both flaky tests passed on retry: ${report.flaky.join(', ')}`);
    assert.equal(report.counts.fail, undefined);

    const coin = report.results.find((r) => r.id === COIN)!;
    assert.deepEqual(attemptsOf(coin).map((a) => [a.status, a.attempt]), [['fail', 1], ['fail', 2], ['success', 3]]);
    const workers = attemptsOf(coin).map((a) => a.worker);
    for (let i = 1; i < workers.length; i++) assert.notEqual(workers[i], workers[i - 1], `each try on the slot the last did not fail on: ${workers.join(', ')}`);

    // One result per test, in the report and in the subunit stream.
    assert.equal(report.results.length, ALL);
    assert.equal(new Set(report.results.map((r) => r.id)).size, ALL);
    const streamed = subunitResults(run.stdoutBytes);
    assert.equal(streamed.size, ALL);
    assert.ok([...streamed.values()].every((statuses) => statuses.length === 1), 'exactly one final result per test in the stream');
    assert.deepEqual(streamed.get(COIN), ['success']);

    // The terminal said so as it happened, and at the end.
    assert.match(run.stderr, new RegExp(`FAIL ${COIN.replace(/\./g, '\\.')} \\(local/\\d, [\\d.]+ s, attempt 1\\): trying it again on a fresh process, attempt 2 of at most 4\\n`));
    assert.match(run.stderr, new RegExp(`passed only when tried again \\(flaky; they count as passes\\):\\n(  .*\\n)*  ${COIN.replace(/\./g, '\\.')}  attempts: 1 FAIL on local/\\d, 2 FAIL on local/\\d, 3 SUCCESS on local/\\d\\n`));
    assert.match(run.stderr, /\nPASSED \(run 1\)\n$/);

    // JUnit: the flaky test as Surefire writes a pass on rerun, a flakyFailure per failed attempt and no failure.
    const junit = spawnSync('/usr/bin/python3', ['-c', [
      'import sys, json, xml.etree.ElementTree as ET',
      'root = ET.parse(sys.argv[1]).getroot()',
      'case = next(c for c in root.iter("testcase") if c.get("name") == "test_coin")',
      'print(json.dumps({"failures": root.get("failures"), "children": [ch.tag for ch in case], "traces": [ch.find("stackTrace").text for ch in case]}))',
    ].join('\n'), join(dir, 'junit.xml')], { encoding: 'utf8' });
    assert.equal(junit.status, 0, junit.stderr);
    const doc = JSON.parse(junit.stdout) as { failures: string; children: string[]; traces: string[] };
    assert.deepEqual([doc.failures, doc.children], ['0', ['flakyFailure', 'flakyFailure']]);
    assert.ok(doc.traces.every((t) => t.includes('the coin came up tails')));

    // The repository: one result per test, the failed attempts apart; `last` and `flaky` show them.
    const last = await baton(dir, ['last', '--json'], env);
    assert.equal(last.status, 0);
    const stored = (JSON.parse(last.stdout) as { profiles: { default: { run: { counts: Record<string, number> }; retried: Attempt[] } } }).profiles.default;
    assert.deepEqual(stored.run.counts, { success: ALL });
    const storedCoin = stored.retried.find((r) => (r as unknown as { testId: string }).testId === COIN)!;
    assert.deepEqual([storedCoin.attempt, storedCoin.failedAttempts!.map((a) => [a.status, a.attempt])], [3, [['fail', 1], ['fail', 2]]]);
    const text = await baton(dir, ['last'], env);
    assert.match(text.stdout, new RegExp(`^FLAKY: ${COIN.replace(/\./g, '\\.')} \\(passed only when tried again\\)\\n  attempts: 1 FAIL on local/\\d, 2 FAIL on local/\\d, 3 SUCCESS on local/\\d\\n  attempt 1, FAIL on local/\\d:\\n    traceback:\\n`, 'm'));
    assert.match(text.stdout, /\d+ tests passed only when tried again \(flaky\)\n$/);
    const flaky = JSON.parse((await baton(dir, ['flaky', '--json'], env)).stdout) as { profiles: { default: { testId: string; passedOnRetry: number; failures: number; results: number }[] } };
    const listed = flaky.profiles.default.find((f) => f.testId === COIN);
    assert.deepEqual([listed?.passedOnRetry, listed?.failures, listed?.results], [1, 2, 3], 'baton flaky lists it from this one run');
    const history = await baton(dir, ['history', COIN], env);
    assert.match(history.stdout, /\bsuccess after 2 failed attempts\b/);
    assert.match(history.stdout, /: 1 result, 0 failing, 1 passed only when tried again;/);

    // The same, from a fresh start of the coins, with --flaky-fails: exit 1, and `last` says so too.
    mkdirSync(join(dir, 'state2'));
    const strict = await baton(dir, ['run', '-j', '2', '--retries', '3', '--flaky-fails'], { ...env, FLAKY_STATE_DIR: join(dir, 'state2') });
    assert.equal(strict.status, 1, strict.stderr);
    assert.match(strict.stdout, /passed only when tried again \(flaky; --flaky-fails: they fail the run\):/);
    assert.match(strict.stdout, /\nFAILED \(run 2, exit status 1\)\n$/);
    assert.equal((await baton(dir, ['last'], env)).status, 1);
  });

  test('a test that always fails ends failed after N + 1 attempts, each after the first on a fresh process on the other slot', async () => {
    const { dir, env } = suiteWith({ 'test_zbroken.py': BROKEN_MODULE });
    const run = await baton(dir, ['run', '-j', '2', '--retries', '3', 'test_zbroken', '--json', 'run.json', '--subunit'], env);
    assert.equal(run.status, 1, run.stderr);
    const report = read(dir, 'run.json');
    assert.deepEqual([report.flaky, report.retriedAttempts, report.counts], [[], 3, { success: 2, fail: 1 }]);
    const always = report.results.find((r) => r.id === ALWAYS)!;
    const attempts = attemptsOf(always);
    assert.deepEqual(attempts.map((a) => [a.status, a.attempt]), [['fail', 1], ['fail', 2], ['fail', 3], ['fail', 4]]);
    const workers = attempts.map((a) => a.worker);
    for (let i = 1; i < workers.length; i++) assert.notEqual(workers[i], workers[i - 1], `each try on the other slot: ${workers.join(', ')}`);
    // What each attempt printed: its process, and how many tests of its module that process ran before it.
    const printed = attempts.map((a) => /pid (\d+) after (\d+)/.exec(a.attachments.find((x) => x.name === 'stdout')?.text ?? '')!);
    assert.equal(new Set(printed.map((m) => m[1])).size, 4, 'four processes');
    assert.deepEqual(printed.slice(1).map((m) => m[2]), ['0', '0', '0'], 'every retry in a process that ran nothing before it');

    const streamed = subunitResults(run.stdoutBytes);
    assert.deepEqual([...streamed].sort(), [
      ['tests.test_zbroken.TestBroken.test_a', ['success']],
      [ALWAYS, ['fail']],
      ['tests.test_zbroken.TestBroken.test_b', ['success']],
    ]);
    assert.match(run.stdout + run.stderr, /attempts: 1 FAIL on local\/\d, 2 FAIL on local\/\d, 3 FAIL on local\/\d, 4 FAIL on local\/\d\n/);

    const last = JSON.parse((await baton(dir, ['last', '--json'], env)).stdout) as { profiles: { default: { failing: Attempt[]; retried: Attempt[]; run: { counts: Record<string, number> } } } };
    const stored = last.profiles.default;
    assert.deepEqual(stored.run.counts, { success: 2, fail: 1 }, 'one result per test in the repository');
    assert.deepEqual(stored.failing.map((f) => f.attempt), [4]);
    assert.deepEqual(stored.retried[0]!.failedAttempts!.map((a) => [a.worker, a.attempt]), attempts.slice(0, 3).map((a) => [a.worker, a.attempt]));
    // A failure is what it is: no test passed only when tried again.
    assert.deepEqual((JSON.parse((await baton(dir, ['flaky', '--json'], env)).stdout) as { profiles: { default: unknown[] } }).profiles.default, []);
  });

  test('a test that hangs past --timeout once is tried again like a failure, and passes on retry', async () => {
    const { dir, env } = suiteWith({
      'test_zhang.py': [
        'import os, time, unittest',
        'class TestHang(unittest.TestCase):',
        '    def test_hangs_once(self):',
        '        marker = os.path.join(os.environ["FLAKY_STATE_DIR"], "hung")',
        '        if not os.path.exists(marker):',
        '            open(marker, "w").close()',
        '            time.sleep(60)',
        '',
      ].join('\n'),
    });
    const run = await baton(dir, ['run', '-j', '2', '--retries', '1', '--timeout', '2', 'test_zhang', '--json', 'run.json'], env);
    assert.equal(run.status, 0, run.stderr);
    const [hang] = read(dir, 'run.json').results as (Attempt & { infrastructure?: string })[];
    assert.deepEqual([hang!.status, hang!.attempt], ['success', 2]);
    const [timedOut] = hang!.failedAttempts as (Attempt & { infrastructure?: string })[];
    assert.equal(timedOut!.infrastructure, 'timeout');
    assert.match(timedOut!.attachments.find((a) => a.name === 'baton-timeout')?.text ?? '', /timed out after 2 s/);
    assert.notEqual(timedOut!.worker, hang!.worker);
  });

  test('--flaky-fails without --retries is refused before anything runs', async () => {
    const { dir, env } = flakySuite();
    const refused = await baton(dir, ['run', '-j', '1', '--flaky-fails'], env);
    assert.deepEqual([refused.status, refused.stderr], [2, 'baton: --flaky-fails fails the run for a test that passed only when tried again: it goes with --retries N (N of 1 or more)\n']);
    assert.equal((await baton(dir, ['run', '-j', '1', '--retries', 'x'], env)).status, 2);
  });
});
