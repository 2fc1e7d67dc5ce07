// What a user sees when the input is wrong or the run does not go to its end: a message
// that names the option or setting at fault, the exit status the README gives, and a
// repository that holds nothing the refusal did not mean it to. Real processes, as users
// run them.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeProject, runBaton, startBaton, STESTR_CONF, unittestModule } from './utils/baton-process.js';
import { ALL_MIXED, mixedProject, readJson, type JsonReport } from './utils/projects.js';

/** How many runs the project's repository holds (none without one). */
async function runsIn(dir: string): Promise<number> {
  if (!existsSync(join(dir, '.baton'))) return 0;
  const stats = await runBaton(dir, ['stats', '--json']);
  return (JSON.parse(stats.stdout) as { runs: number }).runs;
}

describe('a fixed fleet that the run dials', () => {
  test('the bare ws://HOST:PORT of the README works, a filter after --worker stays a filter, and a wrong or missing token is refused with nothing recorded', async (t) => {
    const dir = mixedProject();
    writeFileSync(join(dir, 'token'), 'a-shared-secret-of-enough-length\n');
    writeFileSync(join(dir, 'wrong'), 'not-the-secret-at-all-no-no-no\n');
    const worker = startBaton(dir, ['worker', '--listen', '127.0.0.1:0', '--token-file', 'token']);
    t.after(() => worker.child.kill('SIGKILL'));
    const [, bare] = await worker.waitFor(/waiting for a coordinator at (ws:\/\/127\.0\.0\.1:\d+)\/baton\/rpc/);

    const run = await runBaton(dir, ['run', '-j', '0', '--worker', bare!, 'TestQuick', '--token-file', 'token', '--json', 'run.json']);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const ids = readJson(join(dir, 'run.json')).results.map((r) => r.id);
    assert.equal(ids.length, 12);
    assert.ok(ids.every((id) => id.includes('TestQuick')), 'only the filter\'s tests ran');
    assert.equal(await runsIn(dir), 1);

    const wrong = await runBaton(dir, ['run', '-j', '0', '--worker', bare!, '--token-file', 'wrong']);
    assert.equal(wrong.status, 2, wrong.stdout + wrong.stderr);
    assert.equal(wrong.stderr, `baton: ${bare}/baton/rpc refused the token (HTTP 401): give the shared secret it was started with (--token-file)\n`);
    const none = await runBaton(dir, ['run', '-j', '0', '--worker', bare!]);
    assert.equal(none.status, 2, none.stdout + none.stderr);
    assert.equal(none.stderr, `baton: ${bare}/baton/rpc requires a token (HTTP 401): give the shared secret it was started with (--token-file)\n`);
    const gone = await runBaton(dir, ['run', '-j', '0', '--worker', 'ws://127.0.0.1:1', '--token-file', 'token']);
    assert.equal(gone.status, 3, gone.stdout + gone.stderr);
    assert.match(gone.stderr, /^baton: cannot connect to ws:\/\/127\.0\.0\.1:1\/baton\/rpc: connect ECONNREFUSED/);
    assert.equal(await runsIn(dir), 1, 'no run recorded for a run that never began');

    worker.child.kill('SIGTERM');
    assert.equal((await worker.exited).status, 0);
  });
});

describe('reports', () => {
  test('a report that cannot be written is refused before the run, naming the option; `-` writes it to stdout', async () => {
    const dir = mixedProject();
    const bad = await runBaton(dir, ['run', '-j', '1', '--junit', '/nonexistent/dir/j.xml']);
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, 'baton: --junit /nonexistent/dir/j.xml: its directory /nonexistent/dir does not exist; nothing was run\n');
    assert.equal(bad.stdout, '');
    assert.equal(existsSync(join(dir, '.baton')), false, 'no repository created');

    const json = await runBaton(dir, ['run', '-j', '2', '--json', '-']);
    assert.equal(json.status, 1, json.stderr);
    // stdout is the report alone; the progress went to stderr.
    const report = JSON.parse(json.stdout) as JsonReport;
    assert.equal(report.results.length, ALL_MIXED);
    assert.match(json.stderr, /^FAILED \(run 1, exit status 1\)$/m);
    const junit = await runBaton(dir, ['run', '-j', '1', '--junit', '-', 'TestQuick']);
    assert.equal(junit.status, 0, junit.stderr);
    assert.match(junit.stdout, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuite name="baton" tests="12" failures="0"/);
    assert.doesNotMatch(junit.stdout, /PASSED/);
  });
});

describe('configuration', () => {
  test('a test_path that does not exist is a configuration error: exit 2, the setting named, nothing created, no internal command line', async () => {
    const dir = makeProject({ '.stestr.conf': '[DEFAULT]\ntest_path=./nothere\ntop_dir=./\n' });
    const r = await runBaton(dir, ['run', '-j', '1']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `baton: ${join(dir, '.stestr.conf')}: test_path names ./nothere, and ${join(dir, 'nothere')} does not exist\n`);
    assert.deepEqual(readdirSync(dir), ['.stestr.conf']);
    const worker = await runBaton(dir, ['worker', '--connect', 'ws://127.0.0.1:1']);
    assert.equal(worker.status, 2);
    assert.match(worker.stderr, /test_path names \.\/nothere/);
  });

  test('a plan that is not JSON is refused before a test server starts or a repository is created', async () => {
    const dir = mixedProject();
    writeFileSync(join(dir, 'plan.json'), '{"version": 1, "segments": [');
    const r = await runBaton(dir, ['run', '-j', '1', '--plan', 'plan.json']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^baton: plan refused \(1 problem\):\n {2}- \[BATON_PLAN_BAD_JSON\] plan\.json: line 1 column 29: malformed JSON/);
    assert.equal(existsSync(join(dir, '.baton')), false);
  });

  test('--failing with a profile the repository never recorded is refused naming the profiles it has, in run and list, and records nothing', async () => {
    const dir = mixedProject();
    const first = await runBaton(dir, ['run', '-j', '1', 'TestQuick']);
    assert.equal(first.status, 0, first.stdout + first.stderr);
    for (const command of ['run', 'list']) {
      const r = await runBaton(dir, [command, '--failing', '--profile', 'defualt']);
      assert.equal(r.status, 2, `${command}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /--failing: the repository has no profile "defualt"; its profiles are default \(choose one with --profile\)/, command);
    }
    assert.equal(await runsIn(dir), 1);
    const known = await runBaton(dir, ['run', '--failing']);
    assert.equal(known.status, 0, known.stdout + known.stderr);
    assert.match(known.stdout, /no failing tests in profile default: nothing to run/);
  });
});

describe('baton last', () => {
  test('says a run is in progress while it runs, and cut short once its process died: exit 3 both times', async () => {
    const dir = makeProject({
      '.stestr.conf': STESTR_CONF,
      'tests/__init__.py': '',
      'tests/test_a.py': unittestModule('TestA', { test_fails: 'self.fail("no")', test_waits: "open('started', 'w').close()\ntime.sleep(60)" }),
    });
    const run = startBaton(dir, ['run', '-j', '1']);
    try {
      for (let i = 0; !existsSync(join(dir, 'started')); i++) {
        assert.ok(i < 600, 'the slow test started');
        await new Promise((r) => setTimeout(r, 50));
      }
      const live = await runBaton(dir, ['last']);
      assert.equal(live.status, 3, live.stderr);
      // The failure may still be in the coordinator's write batch.
      assert.match(live.stdout, new RegExp(`^Run 1 \\(default\\) started .*, in progress \\(process ${run.child.pid} on this machine\\); (0 tests so far: no results|1 test so far: 1 failed)$`, 'm'));
      const json = await runBaton(dir, ['last', '--json']);
      assert.equal(json.status, 3);
      assert.equal(JSON.parse(json.stdout).profiles.default.run.state, 'running');
    } finally {
      run.child.kill('SIGKILL');
      await run.exited;
    }
    const dead = await runBaton(dir, ['last']);
    assert.equal(dead.status, 3, dead.stderr);
    assert.match(dead.stdout, new RegExp(`, cut short: process ${run.child.pid}, which recorded it, stopped before finishing; (0 tests so far: no results|1 test so far: 1 failed)$`, 'm'));
  });
});

describe('a .testr.conf test command that dies inside a test', () => {
  test('the failure holds what the dying test wrote to stderr, not what the tests before it wrote', async () => {
    const methods: Record<string, string> = {};
    // Each earlier test is done writing well before the next starts.
    for (let i = 0; i < 3; i++) methods[`test_a${i}_noisy`] = `os.write(2, b"noise of test_a${i}\\n")\ntime.sleep(0.2)`;
    methods['test_b_dies'] = 'time.sleep(0.1)\nos.write(2, b"last words of test_b\\n")\ntime.sleep(0.1)\nos._exit(3)';
    const dir = makeProject({
      '.testr.conf': '[DEFAULT]\ntest_command=/usr/bin/python3 -m subunit.run discover -t ./ ./tests $LISTOPT $IDOPTION\ntest_id_option=--load-list $IDFILE\ntest_list_option=--list\n',
      'tests/__init__.py': '',
      'tests/test_c.py': unittestModule('TestC', methods),
    });
    const r = await runBaton(dir, ['run', '-j', '1', '--json', 'run.json']);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const died = readJson(join(dir, 'run.json')).results.find((x) => x.id.endsWith('test_b_dies'))!;
    const error = died.attachments.find((a) => a.name === 'baton-error')!.text!;
    assert.match(error, /the test command exited \(exit code 3\) while running tests\.test_c\.TestC\.test_b_dies\n--- stderr tail ---\nlast words of test_b$/);
    assert.doesNotMatch(error, /noise/);
  });
});

describe('baton worker', () => {
  test('a second SIGTERM stops it at once with exit status 3, its last words flushed', async (t) => {
    const dir = makeProject({
      '.stestr.conf': STESTR_CONF,
      'tests/__init__.py': '',
      'tests/test_a.py': unittestModule('TestA', { test_waits: "open('started', 'w').close()\ntime.sleep(60)" }),
    });
    // It waits 10 s for a worker, and as long again for another once this one is gone.
    const coordinator = startBaton(dir, ['coordinator', '--listen', '127.0.0.1:0', '--wait', '10']);
    t.after(() => coordinator.child.kill('SIGKILL'));
    const [, url] = await coordinator.waitFor(/listening for workers at (ws:\/\/\S+)/);
    const worker = startBaton(dir, ['worker', '--connect', url!]);
    t.after(() => worker.child.kill('SIGKILL'));
    for (let i = 0; !existsSync(join(dir, 'started')); i++) {
      assert.ok(i < 600, 'the test started');
      await new Promise((r) => setTimeout(r, 50));
    }
    worker.child.kill('SIGTERM');
    await worker.waitFor(/leaving once the running tests finish/);
    worker.child.kill('SIGTERM');
    const done = await worker.exited;
    assert.equal(done.status, 3, done.stderr);
    // Its last words: stopping, and the fork server saying it kills the test still running.
    assert.match(done.stderr, /baton worker: SIGTERM: stopping now\nbaton worker: the fork server \(pid \d+\) closes with test servers still running \(pids \d+\): they are killed\n$/);
    const run = await coordinator.exited;
    assert.equal(run.status, 3, run.stdout);
    assert.match(run.stdout, /lost worker /);
  });

  test('Ctrl-C while it dials a coordinator that is not up stops it with exit status 3', async () => {
    const dir = mixedProject();
    const worker = startBaton(dir, ['worker', '--connect', 'ws://127.0.0.1:1']);
    await worker.waitFor(/coordinator not reachable yet/);
    worker.child.kill('SIGINT');
    const done = await worker.exited;
    assert.equal(done.status, 3, done.stderr);
    assert.match(done.stderr, /SIGINT: stopped before a coordinator was reached\nbaton: interrupted \(SIGINT\) while dialling ws:\/\/127\.0\.0\.1:1\/baton\/rpc\n$/);
  });
});

describe('a reader that goes away', () => {
  test('`run --subunit | head -c 100` and `slowest --all | head -1`: no stack trace, the run goes on and is recorded whole', async () => {
    const dir = mixedProject();
    const run = startBaton(dir, ['run', '-j', '2', '--subunit']);
    // As `head -c 100` does: read a little, then close the pipe.
    await new Promise<void>((resolve) => run.child.stdout!.once('data', () => resolve()));
    run.child.stdout!.destroy();
    const done = await run.exited;
    assert.equal(done.status, 1, done.stderr);
    assert.doesNotMatch(done.stderr, /EPIPE|internal error|\n {4}at /);
    const last = await runBaton(dir, ['last']);
    assert.equal(last.status, 1);
    assert.match(last.stdout, /, complete; 16 tests: 14 passed, 1 failed, 1 skipped\n$/);

    const slowest = startBaton(dir, ['slowest', '--all']);
    await new Promise<void>((resolve) => slowest.child.stdout!.once('data', () => resolve()));
    slowest.child.stdout!.destroy();
    const listed = await slowest.exited;
    assert.equal(listed.status, 0, listed.stderr);
    assert.equal(listed.stderr, '');
  });
});
