// `baton run`, `baton coordinator` and `baton worker` end to end: real worker processes,
// real Python test servers, real WebSockets on loopback, the real repository.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { aggregate, decodeAll } from '@baton/subunit';
import { makeProject, runBaton, startBaton, STESTR_CONF, unittestModule } from './utils/baton-process.js';
import { ALL_MIXED, killerProject, killerResult, mixedProject, readJson } from './utils/projects.js';
import { runTool } from './utils/python-tools.js';

describe('baton run on local workers', () => {
  test('runs every test once, reports failures, records the run, and uses its history the second time', async () => {
    const dir = mixedProject();
    const first = await runBaton(dir, ['run', '-j', '2', '--json', 'run.json']);
    assert.equal(first.status, 1, first.stderr + first.stdout);
    assert.match(first.stdout, /FAIL tests\.test_mixed\.TestMixed\.test_fails/);
    assert.match(first.stdout, /AssertionError: 1 != 2 : deliberate/);
    assert.match(first.stdout, /Ran 16 tests in [\d.]+ s on [12] worker slots?: 14 passed, 1 failed, 1 skipped\n/);
    assert.match(first.stdout, /Slowest \d+ tests:\n +0\.3\d* s {2}tests\.test_mixed\.TestMixed\.test_slowish/);
    assert.match(first.stdout, /16 tests with no history/);
    const report = readJson(join(dir, 'run.json'));
    assert.equal(report.results.length, ALL_MIXED);
    assert.equal(new Set(report.results.map((r) => r.id)).size, ALL_MIXED, 'each test exactly once');
    assert.ok(report.results.every((r) => /^local\/[01]$/.test(r.worker)));
    const printed = report.results.find((r) => r.id.endsWith('test_prints'))!;
    assert.match(printed.attachments.find((a) => a.name === 'stdout')?.text ?? '', /printed by a test/);

    const last = await runBaton(dir, ['last', '--json']);
    assert.equal(last.status, 1, last.stderr);
    assert.match(last.stdout, /test_fails/);

    const second = await runBaton(dir, ['run', '-j', '2']);
    assert.equal(second.status, 1);
    assert.doesNotMatch(second.stdout, /with no history/);
    assert.match(second.stdout, /baton: run 2 \(default\)/);

    const failing = await runBaton(dir, ['run', '-j', '1', '--failing', '--json', 'failing.json']);
    assert.equal(failing.status, 1);
    assert.deepEqual(readJson(join(dir, 'failing.json')).results.map((r) => r.id), ['tests.test_mixed.TestMixed.test_fails']);
  });

  test('--subunit writes a stream that subunit-ls, subunit2junitxml and subunit-trace accept, progress on stderr', async () => {
    const dir = mixedProject();
    const run = await runBaton(dir, ['run', '-j', '2', '--subunit', '--junit', 'junit.xml']);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /Ran 16 tests/);
    const stream = run.stdoutBytes;
    const decoded = decodeAll(stream);
    assert.deepEqual(decoded.errors, []);
    assert.equal(decoded.text.length, 0, 'nothing but subunit on stdout');
    const { results } = aggregate(decoded.packets);
    assert.equal(results.length, ALL_MIXED);
    assert.ok(results.every((r) => r.tags.some((t) => /^worker-[01]$/.test(t))), 'worker-N tags');

    const ls = runTool('subunit-ls', ['--no-passthrough'], stream);
    assert.equal(ls.stdout.toString('utf8').split('\n').filter(Boolean).length, ALL_MIXED);
    const junit = runTool('subunit2junitxml', ['--no-passthrough'], stream);
    assert.match(junit.stdout.toString('utf8'), /<testsuite errors="0" failures="1" name="" tests="16"/);
    const trace = runTool('subunit-trace', ['--no-summary'], stream);
    assert.match(trace.stdout.toString('utf8'), /\{[01]\} tests\.test_mixed\.TestMixed\.test_fails \[[\d.]+s\] \.\.\. FAILED/);
    assert.match(trace.stdout.toString('utf8'), /\{[01]\} tests\.test_mixed\.TestMixed\.test_skips \.\.\. SKIPPED: not here/);

    const xml = readFileSync(join(dir, 'junit.xml'), 'utf8');
    assert.match(xml, /<testsuite name="baton" tests="16" failures="1" errors="0" skipped="1"/);
  });

  test('a test that kills its test server: recorded as crashed on its slot, which carries on with a fresh server', async () => {
    const dir = killerProject('test_kills_its_server', 'os.kill(os.getpid(), signal.SIGKILL)');
    const run = await runBaton(dir, ['run', '-j', '2', '--json', 'run.json']);
    assert.equal(run.status, 1, run.stdout + run.stderr);
    const report = readJson(join(dir, 'run.json'));
    const victim = killerResult(report);
    assert.equal(victim.infrastructure, 'crashed');
    assert.match(victim.attachments[0]!.text ?? '', /worker local slot [01] lost its test process while running tests\.test_killer\.TestKiller\.test_kills_its_server/);
    assert.ok(report.results.filter((r) => r !== victim).every((r) => r.status === 'success'));
  });

  test('--timeout kills a stuck test, records a timeout, and the worker carries on with a fresh server', async () => {
    const dir = makeProject({
      '.stestr.conf': STESTR_CONF,
      'tests/__init__.py': '',
      'tests/test_t.py': unittestModule('TestT', {
        test_a_hangs: 'signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\ntime.sleep(600)',
        test_b: 'pass',
        test_c: 'pass',
      }),
    });
    const run = await runBaton(dir, ['run', '-j', '1', '--timeout', '1', '--json', 'run.json']);
    assert.equal(run.status, 1, run.stdout + run.stderr);
    const report = readJson(join(dir, 'run.json'));
    const hung = report.results.find((r) => r.id.endsWith('test_a_hangs'))!;
    assert.equal(hung.status, 'fail');
    assert.match(hung.attachments.map((a) => a.text).join('\n'), /timed out after 1 s/);
    assert.deepEqual(report.results.filter((r) => r.status === 'success').map((r) => r.id.split('.').pop()).sort(), ['test_b', 'test_c']);
  });

  test('a plan: segments never overlap, a one-test segment runs alone; a bad plan is refused with its JSON path', async () => {
    const methods: Record<string, string> = {};
    for (let i = 0; i < 6; i++) methods[`test_${i}`] = 'time.sleep(0.1)';
    const dir = makeProject({ '.stestr.conf': STESTR_CONF, 'tests/__init__.py': '', 'tests/test_p.py': unittestModule('TestP', methods) });
    const id = (i: number) => `tests.test_p.TestP.test_${i}`;
    writeFileSync(join(dir, 'plan.json'), JSON.stringify({ version: 1, segments: [{ name: 'parallel', tests: [id(0), id(1), id(2), id(3)] }, { name: 'alone', tests: [id(4)] }, { name: 'last', tests: [id(5)] }] }));
    const run = await runBaton(dir, ['run', '-j', '3', '--plan', 'plan.json', '--json', 'run.json']);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const results = readJson(join(dir, 'run.json')).results;
    const span = (ids: string[]) => {
      const rs = results.filter((r) => ids.includes(r.id));
      return [Math.min(...rs.map((r) => Date.parse(r.start))), Math.max(...rs.map((r) => Date.parse(r.stop)))] as const;
    };
    const [, parallelEnd] = span([0, 1, 2, 3].map(id));
    const [aloneStart, aloneEnd] = span([id(4)]);
    const [lastStart] = span([id(5)]);
    assert.ok(aloneStart >= parallelEnd, 'the alone segment starts after the parallel one ends');
    assert.ok(lastStart >= aloneEnd, 'the last segment starts after the alone one ends');

    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ version: 1, segments: [{ name: 'x', tests: [id(0), 'tests.test_p.TestP.test_nope'] }] }));
    const bad = await runBaton(dir, ['run', '-j', '1', '--plan', 'bad.json']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /bad\.json/);
    assert.match(bad.stderr, /\$\.segments\[0\]\.tests\[1\]/);
    assert.match(bad.stderr, /tests\.test_p\.TestP\.test_nope/);
  });

  test('a testr-style project (.testr.conf with subunit.run) runs through the command adapter', async () => {
    const dir = makeProject({
      '.testr.conf': '[DEFAULT]\ntest_command=/usr/bin/python3 -m subunit.run discover -t . -s tests $LISTOPT $IDOPTION\ntest_id_option=--load-list $IDFILE\ntest_list_option=--list\n',
      'tests/__init__.py': '',
      'tests/test_r.py': unittestModule('TestR', { test_one: 'pass', test_two: 'pass', test_three: 'self.assertTrue(False)' }),
    });
    const run = await runBaton(dir, ['run', '-j', '2', '--json', 'run.json']);
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.deepEqual(readJson(join(dir, 'run.json')).counts, { success: 2, fail: 1 });
  });

  test('--load-list runs exactly the ids in the file; an id the project lacks is exit status 2', async () => {
    const dir = mixedProject();
    writeFileSync(join(dir, 'ids'), 'tests.test_quick.TestQuick.test_quick_3\ntests.test_mixed.TestMixed.test_skips\n');
    const run = await runBaton(dir, ['run', '-j', '1', '--load-list', 'ids', '--json', 'run.json']);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.deepEqual(readJson(join(dir, 'run.json')).results.map((r) => r.id).sort(), ['tests.test_mixed.TestMixed.test_skips', 'tests.test_quick.TestQuick.test_quick_3']);
    writeFileSync(join(dir, 'bad-ids'), 'tests.test_quick.TestQuick.test_quick_3\ntests.nope.T.test_x\n');
    const bad = await runBaton(dir, ['run', '-j', '1', '--load-list', 'bad-ids']);
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, 'baton: --load-list bad-ids: 1 test id the project does not have, e.g. tests.nope.T.test_x\n');
  });

  test('an interrupted run stops its workers, says what never ran, and keeps what finished (exit 3)', async () => {
    const methods: Record<string, string> = { test_a_quick: 'pass' };
    for (let i = 0; i < 4; i++) {
      // A test that sees the KeyboardInterrupt leaves a mark: Ctrl-C must reach baton only.
      methods[`test_slow_${i}`] = [
        `open('started-${i}', 'w').close()`,
        'try:',
        '    time.sleep(30)',
        'except KeyboardInterrupt:',
        `    open('interrupted-${i}', 'w').close()`,
        '    raise',
      ].join('\n');
    }
    const dir = makeProject({ '.stestr.conf': STESTR_CONF, 'tests/__init__.py': '', 'tests/test_i.py': unittestModule('TestI', methods) });
    const run = startBaton(dir, ['run', '-j', '2', '--json', 'run.json'], {}, { ownGroup: true });
    await run.waitFor(/worker local joined/);
    // Both slots in a slow test: Ctrl-C then finds them running, none still to start.
    for (let i = 0; readdirSync(dir).filter((f) => f.startsWith('started-')).length < 2; i++) {
      assert.ok(i < 400, 'a slow test started on each slot');
      await new Promise((r) => setTimeout(r, 25));
    }
    // As Ctrl-C at a terminal does: SIGINT to the whole foreground process group.
    process.kill(-run.child.pid!, 'SIGINT');
    const done = await run.exited;
    assert.equal(done.status, 3, done.stdout + done.stderr);
    assert.match(done.stdout, /infrastructure problem: interrupted/);
    const report = readJson(join(dir, 'run.json'));
    assert.equal(report.results.length + report.notRun.length, 5, 'every test accounted for');
    assert.ok(report.notRun.length >= 2);
    // The tests that were running are said to have been cut short, not to have never run.
    const started = readdirSync(dir).filter((f) => f.startsWith('started-')).map((f) => `tests.test_i.TestI.test_slow_${f.slice('started-'.length)}`).sort();
    const cut = /(\d+) tests? had started when the run was cut short, and ha(?:s|ve) no result:\n((?: {2}\S+\n)+)/.exec(done.stdout);
    assert.ok(cut, done.stdout);
    assert.deepEqual(cut[2]!.trim().split(/\s+/).sort(), started);
    const never = report.notRun.filter((id) => !started.includes(id));
    if (never.length > 0) assert.match(done.stdout, new RegExp(`${never.length} tests? never ran:\n`));
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('interrupted-')), [], 'Ctrl-C reached baton, which stopped its test servers, and not the tests');
    // `last` reports the run as it ended: by an interruption, exit status 3.
    const last = await runBaton(dir, ['last', '--json']);
    assert.equal(last.status, 3, last.stderr);
    const recorded = JSON.parse(last.stdout).profiles.default.run;
    assert.deepEqual([recorded.state, recorded.exitStatus], ['finished', 3]);
    const text = await runBaton(dir, ['last']);
    assert.equal(text.status, 3);
    assert.match(text.stdout, /, ended by an infrastructure problem \(exit status 3: interrupted, or workers lost\); /);
  });

  test('bad input is exit status 2 with a message that says what and where', async () => {
    const none = makeProject({ 'README': 'no configuration here' });
    const noConfig = await runBaton(none, ['run']);
    assert.equal(noConfig.status, 2);
    assert.match(noConfig.stderr, /no baton\.json, \.stestr\.conf or \.testr\.conf in .* or above/);

    const badJson = makeProject({ 'baton.json': '{"python": {"testPath": 3}}' });
    const r = await runBaton(badJson, ['run']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /baton\.json: \$\.python\.testPath must be a non-empty string/);

    const dir = mixedProject();
    const open = await runBaton(dir, ['coordinator', '--listen', '0.0.0.0:0']);
    assert.equal(open.status, 2);
    assert.match(open.stderr, /listening on 0\.0\.0\.0 reaches beyond this machine: give a shared secret with --token-file/);
    const nothing = await runBaton(dir, ['run', '-j', '1', 'no_such_test']);
    assert.equal(nothing.status, 2);
    assert.match(nothing.stderr, /no test matches "no_such_test"/);
  });
});
