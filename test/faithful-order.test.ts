// Faithful execution: a suite whose tests pass only when each process runs them in
// discovery order passes under baton at every concurrency, with and without history,
// grouping and forking; class and module fixtures run no more often than under stestr;
// a failing setUpClass is reported with its traceback wherever results go.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeProject, runBaton, startBaton, STESTR_CONF, type Finished } from './utils/baton-process.js';

const MODULES = 4;
const CLASSES = 3;
const TESTS = 6;
const TOTAL = MODULES * CLASSES * TESTS;

/**
 * Shared state every test leaves behind: the discovery index of each test that ran in
 * this process. A test fails if one that comes after it in discovery order already ran
 * here (the order-dependence of real suites: mocks, registries, module globals), or if
 * its class's setUpClass did not run in this process.
 */
const STATE_PY = `import os
SEEN = []
REGISTRY = {}

def count(what):
    with open(os.path.join(os.environ["BATON_COUNT_DIR"], what), "a") as f:
        f.write("%d\\n" % os.getpid())
`;

function moduleSource(m: number): string {
  const classes = Array.from({ length: CLASSES }, (_, c) => {
    const tests = Array.from({ length: TESTS }, (_, t) => {
      const index = (m * CLASSES + c) * TESTS + t;
      // A few tests are slow, and a different few when BATON_ORDER_STALE is set, so
      // history goes stale and the scheduler has work to move between workers.
      const sleep = index % 7 === 3 ? '0.3 if stale else 0.01' : index % 11 === 5 ? '0.01 if stale else 0.3' : '0.01';
      return `    def test_${t}(self):
        stale = bool(os.environ.get("BATON_ORDER_STALE"))
        time.sleep(${sleep})
        later = [i for i in state.SEEN if i > ${index}]
        self.assertEqual(later, [], "tests after ${index} in discovery order already ran in this process")
        self.assertTrue(state.REGISTRY.get("C${m}_${c}"), "setUpClass did not run in this process")
        self.assertIs(MOCK.active, self.__class__, "another class's mock is active")
        state.SEEN.append(${index})
`;
    }).join('\n');
    return `class C${m}_${c}(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        state.count("setUpClass")
        state.REGISTRY["C${m}_${c}"] = True
        MOCK.active = cls

    @classmethod
    def tearDownClass(cls):
        MOCK.active = None

${tests}`;
  }).join('\n\n');
  return `import os, time, unittest
from tests import state


class _Mock(object):
    active = None


MOCK = _Mock()


def setUpModule():
    state.count("setUpModule")


${classes}
`;
}

function orderSuite(extra: Record<string, string> = {}): string {
  const files: Record<string, string> = { 'tests/__init__.py': '', 'tests/state.py': STATE_PY, ...extra };
  for (let m = 0; m < MODULES; m++) files[`tests/test_m${m}.py`] = moduleSource(m);
  const dir = makeProject(files, 'baton-order-');
  mkdirSync(join(dir, 'counts'));
  return dir;
}

function counts(dir: string): { setUpClass: number; setUpModule: number } {
  const read = (name: string): number => {
    try {
      return readFileSync(join(dir, 'counts', name), 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  return { setUpClass: read('setUpClass'), setUpModule: read('setUpModule') };
}

function resetCounts(dir: string): void {
  for (const f of readdirSync(join(dir, 'counts'))) rmSync(join(dir, 'counts', f));
}

interface JsonReport {
  readonly exitCode: number;
  readonly results: readonly { readonly id: string; readonly status: string; readonly attachments?: readonly { readonly name: string; readonly text?: string }[] }[];
}

function batonRun(dir: string, args: string[], env: Record<string, string> = {}): Promise<Finished> {
  return startBaton(dir, ['run', ...args], { BATON_COUNT_DIR: join(dir, 'counts'), ...env }).exited;
}

describe('faithful execution: discovery order and fixtures in every test process', () => {
  test('the suite is order-sensitive: in reverse discovery order plain unittest fails most of it', () => {
    const dir = orderSuite();
    const reverse = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        'import unittest,sys\n' +
          'def flat(s):\n  for t in s:\n    yield from (flat(t) if isinstance(t, unittest.TestSuite) else [t])\n' +
          'tests=list(flat(unittest.defaultTestLoader.discover("tests", top_level_dir=".")))\n' +
          'r=unittest.TextTestRunner(stream=open("/dev/null","w")).run(unittest.TestSuite(reversed(tests)))\n' +
          'print(len(r.failures)+len(r.errors), r.testsRun)',
      ],
      { cwd: dir, env: { ...process.env, BATON_COUNT_DIR: join(dir, 'counts') }, encoding: 'utf8' },
    );
    const [failed, ran] = reverse.stdout.trim().split(' ').map(Number);
    assert.equal(ran, TOTAL, reverse.stderr);
    assert.ok((failed as number) > TOTAL / 2, `reverse order fails most tests (${failed} of ${ran})`);
  });

  const configs: { name: string; jobs: number; files: Record<string, string> }[] = [
    { name: 'forked, -j 1', jobs: 1, files: { '.stestr.conf': STESTR_CONF } },
    { name: 'forked, -j 2', jobs: 2, files: { '.stestr.conf': STESTR_CONF } },
    { name: 'forked, -j 4, parallel_class', jobs: 4, files: { '.stestr.conf': `${STESTR_CONF}parallel_class=true\n` } },
    { name: 'fork: false, -j 2', jobs: 2, files: { 'baton.json': JSON.stringify({ python: { testPath: 'tests', topDir: '.', fork: false } }) } },
    {
      name: 'fork: false, -j 4, group_regex',
      jobs: 4,
      files: { 'baton.json': JSON.stringify({ python: { testPath: 'tests', topDir: '.', fork: false }, groupRegex: '^(tests\\.test_m\\d)\\.' }) },
    },
  ];
  for (const config of configs)
    test(`zero failures ${config.name}: no history, fresh history, then stale history`, async () => {
      const dir = orderSuite(config.files);
      for (const [round, env] of [
        ['no history', { BATON_ORDER_STALE: '1' }],
        ['history of that run, now stale', {}],
        ['fresh history', {}],
      ] as const) {
        const r = await batonRun(dir, ['-j', String(config.jobs), '--json', 'run.json'], env);
        const report = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as JsonReport;
        const failed = report.results.filter((x) => x.status !== 'success');
        assert.deepEqual(
          failed.map((x) => `${x.id}: ${x.attachments?.map((a) => a.text).join(' ') ?? ''}`),
          [],
          `${round}: every test passes (exit ${r.status})\n${r.stderr}`,
        );
        assert.equal(report.results.length, TOTAL, round);
        assert.equal(r.status, 0, `${round}\n${r.stdout}\n${r.stderr}`);
      }
    });

  test('class and module fixtures run no more often than under stestr at the same concurrency, without history and with it', async () => {
    for (const conf of [STESTR_CONF, `${STESTR_CONF}parallel_class=true\n`]) {
      const dir = orderSuite({ '.stestr.conf': conf });
      const env = { ...process.env, BATON_COUNT_DIR: join(dir, 'counts') };
      const stestr = spawnSync('stestr', ['run', '--concurrency', '2'], { cwd: dir, env, encoding: 'utf8' });
      assert.equal(stestr.status, 0, `stestr must pass the suite: ${stestr.stdout}\n${stestr.stderr}`);
      const theirs = counts(dir);
      for (const round of ['no history', 'history']) {
        resetCounts(dir);
        const r = await batonRun(dir, ['-j', '2']);
        assert.equal(r.status, 0, r.stderr);
        const ours = counts(dir);
        const pids = readFileSync(join(dir, 'counts', 'setUpClass'), 'utf8').split('\n').filter(Boolean);
        const perProcess = [...new Set(pids)].map((p) => pids.filter((x) => x === p).length);
        const what = `${round}, ${conf.trim().split('\n').at(-1)}`;
        assert.ok(ours.setUpClass <= theirs.setUpClass, `setUpClass: baton ${ours.setUpClass} in processes of ${perProcess.join(', ')}, stestr ${theirs.setUpClass} (${what})`);
        assert.ok(ours.setUpModule <= theirs.setUpModule, `setUpModule: baton ${ours.setUpModule}, stestr ${theirs.setUpModule} (${what})`);
      }
    }
  });

  test('a failing setUpClass: its traceback in the terminal, last, failing, --json, --junit and --subunit; its tests name it; exit 1', async () => {
    const broken = `import unittest


class Broken(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise RuntimeError("the fixture database is down")

    def test_a(self):
        pass

    def test_b(self):
        pass
`;
    const dir = makeProject({ '.stestr.conf': STESTR_CONF, 'tests/__init__.py': '', 'tests/test_broken.py': broken });
    const run = await runBaton(dir, ['run', '-j', '2', '--json', 'run.json', '--junit', 'junit.xml']);
    assert.equal(run.status, 1, run.stderr);
    const needle = /RuntimeError: the fixture database is down/;
    assert.match(run.stdout, needle, 'terminal');
    assert.match(readFileSync(join(dir, 'run.json'), 'utf8'), needle, '--json');
    assert.match(readFileSync(join(dir, 'junit.xml'), 'utf8'), needle, '--junit');
    const last = await runBaton(dir, ['last']);
    assert.match(last.stdout, needle, 'last');
    assert.equal(last.status, 1);
    const failing = await runBaton(dir, ['failing']);
    assert.match(failing.stdout, /setUpClass \(tests\.test_broken\.Broken\)/, 'failing');
    const subunit = await runBaton(dir, ['run', '-j', '1', '--subunit']);
    assert.match(subunit.stdoutBytes.toString('latin1'), needle, '--subunit');
    const report = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as JsonReport;
    const a = report.results.find((x) => x.id === 'tests.test_broken.Broken.test_a');
    assert.equal(a?.status, 'fail');
    assert.match(a?.attachments?.map((x) => x.text).join(' ') ?? '', /setUpClass \(tests\.test_broken\.Broken\)/, 'the test names the fixture that prevented it');
  });

  test('a tearDownClass that fails as the last test server stops is a result of the run: exit 1, in last', async () => {
    const teardown = `import unittest


class Leaky(unittest.TestCase):
    @classmethod
    def tearDownClass(cls):
        raise RuntimeError("could not drop the test schema")

    def test_a(self):
        pass
`;
    const dir = makeProject({ '.stestr.conf': STESTR_CONF, 'tests/__init__.py': '', 'tests/test_leaky.py': teardown });
    const run = await runBaton(dir, ['run', '-j', '1']);
    assert.equal(run.status, 1, `${run.stdout}\n${run.stderr}`);
    const last = await runBaton(dir, ['last']);
    assert.match(last.stdout, /tearDownClass \(tests\.test_leaky\.Leaky\)/);
    assert.match(last.stdout, /RuntimeError: could not drop the test schema/);
  });

  test('test code sees the script and arguments that stestr gives it (run.py discover -t TOP PATH)', async () => {
    const probe = `import os, sys, unittest


class Argv(unittest.TestCase):
    def test_script(self):
        self.assertEqual(os.path.basename(sys.argv[0]), "run.py")
        self.assertEqual(sys.argv[1:4], ["discover", "-t", "./"])
`;
    const dir = makeProject({ '.stestr.conf': STESTR_CONF, 'tests/__init__.py': '', 'tests/test_argv.py': probe });
    const stestr = spawnSync('stestr', ['run'], { cwd: dir, encoding: 'utf8' });
    assert.equal(stestr.status, 0, `the probe passes under stestr: ${stestr.stdout}`);
    const run = await runBaton(dir, ['run', '-j', '1']);
    assert.equal(run.status, 0, run.stdout);
  });
});
