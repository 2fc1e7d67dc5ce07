// The rest of what a stestr user types, end to end against real Python suites and beside
// Debian's stestr: --include-list, --exclude-list and --exclude-regex with filters,
// --load-list and --failing (the same selection from the same options, in discovery
// order); --test-path, --top-dir, --group-regex and --parallel-class over the
// configuration; run --combine, --random and --analyze-isolation; bisect's timeouts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeProject, startBaton, STESTR_CONF, unittestModule, type Finished } from './utils/baton-process.js';
import { flakySuite, readJson } from './utils/projects.js';
import { DEBIAN_PYTHON } from './utils/python-tools.js';

const baton = (dir: string, args: string[], env: Record<string, string> = {}): Promise<Finished> => startBaton(dir, args, env).exited;

/** Debian's stestr, as `python3 -m stestr`. */
function stestr(dir: string, args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(DEBIAN_PYTHON, ['-m', 'stestr', ...args], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8' });
  assert.ok(r.error === undefined, `cannot run stestr (${r.error?.message}); install Debian's python3-stestr, as .ci/run does`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The ids of a subunit stream stestr wrote, once each, as python-subunit's subunit-ls lists them. */
function idsOfStream(stream: string | Buffer): string[] {
  const r = spawnSync('subunit-ls', [], { input: stream, encoding: 'utf8' });
  assert.ok(r.error === undefined, 'subunit-ls (python3-subunit) is needed');
  return [...new Set(lines(r.stdout))];
}

const lines = (text: string): string[] => text.split('\n').filter(Boolean);
const sorted = (ids: readonly string[]): string[] => [...ids].sort();

/** tests.test_a: test_02_pollutes sets module state that test_05_victim fails on; test_06_alone always fails. */
function pollutedProject(victim = 'self.assertFalse(state.polluted, "polluted by an earlier test")'): string {
  return makeProject({
    '.stestr.conf': STESTR_CONF,
    'tests/__init__.py': '',
    'tests/state.py': 'polluted = False\n',
    'tests/test_a.py': unittestModule('A', {
      test_00: 'pass',
      test_01: 'pass',
      test_02_pollutes: 'state.polluted = True',
      test_03: 'pass',
      test_04: 'pass',
      test_05_victim: victim,
      test_06_alone: 'self.fail("always")',
      test_07: 'pass',
    }, 'import threading\nfrom tests import state'),
  });
}

describe('selection as stestr combines it', () => {
  test('baton list selects what stestr list selects from the same --include-list, --exclude-list, --exclude-regex and filters, in discovery order', async () => {
    const { dir } = flakySuite();
    assert.equal(stestr(dir, ['init']).status, 0);
    writeFileSync(join(dir, 'include.txt'), '# what to run\ntest_config\n\n  TestClock\\.test_t   # the clock\nbalance_0[0-4]$\n');
    writeFileSync(join(dir, 'exclude.txt'), 'legacy # known to pollute\n\nTestDefaults\\.test_default_0[0-5]\n');
    writeFileSync(join(dir, 'comments.txt'), '# nothing yet\n\n   # still nothing\n');
    const discovery = lines(stestr(dir, ['list']).stdout);
    assert.equal(discovery.length, 305);
    const cases: string[][] = [
      ['--include-list', 'include.txt'],
      ['-i', 'include.txt', '-e', 'exclude.txt', '-E', 'override'],
      ['--include-list', 'include.txt', 'test_inventory', '--exclude-regex', '_0[13]$'],
      // stestr takes an include list of comments only as no filter at all.
      ['--include-list', 'comments.txt', '-E', 'test_[a-c]'],
    ];
    for (const options of cases) {
      const theirs = lines(stestr(dir, ['list', ...options]).stdout);
      const ours = await baton(dir, ['list', ...options]);
      assert.equal(ours.status, 0, ours.stderr);
      const selected = lines(ours.stdout);
      // stestr passes a filtered list through a set; baton keeps discovery order, the order a run's processes run them in.
      assert.deepEqual(sorted(selected), sorted(theirs), options.join(' '));
      assert.deepEqual(selected, discovery.filter((id) => selected.includes(id)), `${options.join(' ')}: discovery order`);
      assert.ok(selected.length > 0 && selected.length < 305, `${options.join(' ')} selects some: ${selected.length}`);
    }
  });

  test('run selects what stestr run selects: --failing and --load-list first, then the regular expressions', async () => {
    const suite = (): string => makeProject({
      '.stestr.conf': STESTR_CONF,
      'tests/__init__.py': '',
      'tests/test_x.py': unittestModule('X', {
        test_fail_1: 'self.fail("1")', test_fail_2: 'self.fail("2")', test_fail_3: 'self.fail("3")',
        test_pass_1: 'pass', test_pass_2: 'pass', test_pass_3: 'pass',
      }),
    });
    const ours = suite();
    const theirs = suite();
    writeFileSync(join(ours, 'ids.txt'), 'tests.test_x.X.test_fail_1\ntests.test_x.X.test_fail_2\ntests.test_x.X.test_pass_1\n');
    writeFileSync(join(theirs, 'ids.txt'), readFileSync(join(ours, 'ids.txt')));
    assert.equal((await baton(ours, ['run', '-j', '2'])).status, 1);
    stestr(theirs, ['init']);
    assert.equal(stestr(theirs, ['run', '--serial']).status, 1);
    for (const options of [['--failing', '--exclude-regex', 'fail_2'], ['--failing', '--load-list', 'ids.txt', 'fail_[13]'], ['--load-list', 'ids.txt', '-E', 'pass']]) {
      const run = await baton(ours, ['run', '-j', '2', '--json', 'run.json', ...options]);
      assert.equal(run.status, 1, run.stderr);
      const ran = readJson(join(ours, 'run.json')).results.map((r) => r.id);
      const stestrRan = idsOfStream(spawnSync(DEBIAN_PYTHON, ['-m', 'stestr', 'run', '--serial', '--subunit', ...options], { cwd: theirs }).stdout);
      assert.deepEqual(sorted(ran), sorted(stestrRan), options.join(' '));
    }
  });

  test('a bad regular expression in a list file is exit status 2 naming the file and the line, before anything runs or is recorded', async () => {
    const dir = pollutedProject();
    writeFileSync(join(dir, 'exclude.txt'), '# fine\ntest_00\n\n  test_(01  # unclosed\n');
    for (const command of [['list'], ['run', '-j', '1'], ['coordinator', '--listen', '0']]) {
      const r = await baton(dir, [...command, '--exclude-list', 'exclude.txt']);
      assert.equal(r.status, 2, `${command[0]}: ${r.stderr}`);
      assert.match(r.stderr, /^baton: --exclude-list exclude\.txt: line 4: "test_\(01" is not a valid regular expression: /);
    }
    assert.equal(existsSync(join(dir, '.baton')), false, 'nothing was recorded');
    const missing = await baton(dir, ['run', '--include-list', 'nowhere.txt']);
    assert.deepEqual([missing.status, missing.stderr], [2, 'baton: --include-list nowhere.txt: no such file or directory\n']);
  });
});

describe('configuration on the command line', () => {
  test('--test-path and --top-dir describe a suite with no configuration file, as for stestr, and override one', async () => {
    const dir = makeProject({
      'src/pkg/__init__.py': '',
      'src/pkg/tests/__init__.py': '',
      'src/pkg/tests/test_one.py': unittestModule('One', { test_a: 'pass', test_b: 'pass' }),
      'other/__init__.py': '',
      'other/test_two.py': unittestModule('Two', { test_c: 'pass' }),
    });
    const flags = ['--test-path', './src/pkg/tests', '--top-dir', './src'];
    stestr(dir, ['init']);
    const theirs = lines(stestr(dir, [...flags, 'list']).stdout);
    assert.deepEqual(theirs, ['pkg.tests.test_one.One.test_a', 'pkg.tests.test_one.One.test_b']);
    const ours = await baton(dir, ['list', ...flags]);
    assert.equal(ours.status, 0, ours.stderr);
    assert.deepEqual(lines(ours.stdout), theirs);
    const run = await baton(dir, ['run', '-j', '1', ...flags]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Ran 2 tests/);

    // Over a .stestr.conf that names another directory.
    writeFileSync(join(dir, '.stestr.conf'), '[DEFAULT]\ntest_path=./other\ntop_dir=./\n');
    assert.deepEqual(lines((await baton(dir, ['list'])).stdout), ['other.test_two.Two.test_c']);
    assert.deepEqual(lines((await baton(dir, ['list', ...flags])).stdout), theirs);
    const nothing = await baton(dir, ['list', '--test-path', 'nowhere']);
    assert.deepEqual([nothing.status, nothing.stderr], [2, `baton: --test-path nowhere: ${join(dir, 'nowhere')} does not exist\n`]);
  });

  test('--parallel-class and --group-regex group tests over the configuration: a group runs in one process', async () => {
    const dir = makeProject({
      '.stestr.conf': STESTR_CONF,
      'tests/__init__.py': '',
      'tests/test_g.py': [
        unittestModule('A', Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`test_${i}`, 'pass']))),
        unittestModule('B', Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`test_${i}`, 'pass']))).replace(/^import .*\n/, ''),
      ].join('\n'),
    });
    interface Listed { tests: { id: string; group: number }[]; groups: number }
    const groups = async (args: string[]): Promise<number[][]> => {
      const listed = JSON.parse((await baton(dir, ['list', '--json', ...args])).stdout) as Listed;
      const by = new Map<number, number[]>();
      listed.tests.forEach((t, i) => by.set(t.group, [...(by.get(t.group) ?? []), i]));
      return [...by.values()];
    };
    assert.equal((await groups([])).length, 12, 'no grouping: each test its own');
    const byClass = [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]];
    assert.deepEqual(await groups(['--parallel-class']), byClass);
    assert.deepEqual(await groups(['--group-regex', '^tests\\.test_g\\.A\\.']), [[0, 1, 2, 3, 4, 5], ...[6, 7, 8, 9, 10, 11].map((i) => [i])]);
    // parallel_class in the file, and --group-regex over it, as in stestr.
    writeFileSync(join(dir, '.stestr.conf'), `${STESTR_CONF}parallel_class=True\n`);
    assert.deepEqual(await groups([]), byClass);
    assert.equal((await groups(['-g', 'tests\\.test_g\\.A'])).length, 1 + 6, '--group-regex wins over parallel_class in the file');

    const run = await baton(dir, ['run', '-j', '2', '--json', 'run.json']);
    assert.equal(run.status, 0, run.stderr);
    const workerOf = new Map(readJson(join(dir, 'run.json')).results.map((r) => [r.id, r.worker]));
    for (const cls of ['A', 'B']) {
      const workers = new Set([...workerOf].filter(([id]) => id.includes(`.${cls}.`)).map(([, w]) => w));
      assert.equal(workers.size, 1, `class ${cls} ran on one worker slot: ${[...workers].join(', ')}`);
    }
  });
});

describe('baton run --combine', () => {
  test('records into the latest run, which keeps its id, as stestr run --combine; a test run again replaces its result there', async () => {
    const project = (): string => makeProject({
      '.stestr.conf': STESTR_CONF,
      'tests/__init__.py': '',
      'tests/test_m.py': unittestModule('M', { test_a: 'pass', test_b: 'self.assertFalse(os.path.exists("broken"))', test_c: 'pass' }),
      broken: '',
    });
    const ours = project();
    const theirs = project();
    assert.equal((await baton(ours, ['run', '-j', '2'])).status, 1);
    stestr(theirs, ['init']);
    assert.equal(stestr(theirs, ['run', '--serial']).status, 1);
    for (const dir of [ours, theirs]) writeFileSync(join(dir, 'tests/test_m.py'), readFileSync(join(dir, 'tests/test_m.py'), 'utf8').replace('broken', 'fixed'));

    const combined = await baton(ours, ['run', '-j', '1', '--failing', '--combine']);
    assert.equal(combined.status, 0, combined.stderr);
    assert.match(combined.stderr, /^baton: combining with run 1: each test run now replaces its result there$/m);
    assert.match(combined.stdout, /Ran 1 test .*: 1 passed\n/);
    stestr(theirs, ['run', '--serial', '--failing', '--combine']);

    // One run in each, under its first id, holding every test.
    assert.equal(lines(stestr(theirs, ['history', 'list']).stdout).filter((l) => /^\|\s*\d+/.test(l)).length, 1);
    const runs = (JSON.parse((await baton(ours, ['history', 'list', '--json'])).stdout) as { runs: { id: number }[] }).runs;
    assert.deepEqual(runs.map((r) => r.id), [1]);
    const ourIds = lines(spawnSync('subunit-ls', [], { input: (await baton(ours, ['last', '--subunit'])).stdoutBytes, encoding: 'utf8' }).stdout);
    assert.deepEqual(sorted(ourIds), sorted(idsOfStream(spawnSync(DEBIAN_PYTHON, ['-m', 'stestr', 'last', '--subunit'], { cwd: theirs }).stdout)));
    assert.equal(ourIds.length, 3, 'stestr appends the run again (test_b twice, its failure still counted); baton keeps one result a test');
    const last = await baton(ours, ['last']);
    assert.equal(last.status, 0, 'the merged run passes');
    assert.match(last.stdout, /^Run 1 \(default\) .*complete; 3 tests: 3 passed\n$/);
    assert.deepEqual(lines((await baton(ours, ['failing', '--list'])).stdout), []);

    const refused = await baton(ours, ['run', '--combine', '--repeat', '2']);
    assert.equal(refused.status, 2);
    const none = await baton(makeProject({ '.stestr.conf': STESTR_CONF, 'tests/__init__.py': '', 'tests/test_m.py': unittestModule('M', { test_a: 'pass' }) }), ['run', '--combine']);
    assert.deepEqual([none.status, none.stderr], [2, 'baton: --combine: profile default has no run to combine with yet; run once without --combine\n']);
  });
});

describe('baton run --random', () => {
  test('shuffles which tests share a process, says with which seed, and --random-seed takes one', async () => {
    const dir = makeProject({
      '.stestr.conf': STESTR_CONF,
      'tests/__init__.py': '',
      'tests/test_r.py': unittestModule('R', Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`test_${String(i).padStart(2, '0')}`, 'pass']))),
    });
    /** Which tests ran together on a worker slot, as a set of sets. */
    const partition = async (args: string[]): Promise<{ parts: string[]; stderr: string }> => {
      const r = await baton(dir, ['run', '-j', '3', '--json', 'run.json', ...args]);
      assert.equal(r.status, 0, r.stderr);
      const by = new Map<string, string[]>();
      for (const t of readJson(join(dir, 'run.json')).results) by.set(t.worker, [...(by.get(t.worker) ?? []), t.id.slice(-2)]);
      return { parts: [...by.values()].map((p) => p.sort().join(' ')).sort(), stderr: r.stderr };
    };
    const plain = await partition([]);
    const seeded = await partition(['--random-seed', '11']);
    assert.match(seeded.stderr, /^baton: --random: which tests share a process is shuffled with seed 11 \(--random-seed 11 plans the same again\)$/m);
    const drawn = await partition(['--random']);
    const seed = /shuffled with seed (\d+) /.exec(drawn.stderr)?.[1];
    assert.ok(seed !== undefined, drawn.stderr);
    assert.notDeepEqual(seeded.parts, plain.parts, 'other tests share a process than longest first would put together');
    assert.notDeepEqual(seeded.parts, (await partition(['--random-seed', '12'])).parts);
    assert.doesNotMatch(plain.stderr, /--random/);
  });
});

describe('baton run --analyze-isolation', () => {
  test('names the test after which a failing test fails, and the tests that fail on their own, as stestr --analyze-isolation', async () => {
    const dir = pollutedProject();
    assert.equal((await baton(dir, ['run', '-j', '1'])).status, 1);
    const analysed = await baton(dir, ['run', '--analyze-isolation', '-j', '2', '--json', '-']);
    assert.equal(analysed.status, 0, analysed.stderr);
    interface Analysis { analysed: { testId: string; outcome: string; culprits: string[] | null; before: number; run: number }[]; interrupted: boolean }
    const json = JSON.parse(analysed.stdout) as Analysis;
    assert.deepEqual(json.analysed.map((a) => [a.testId, a.outcome, a.culprits, a.before]), [
      ['tests.test_a.A.test_05_victim', 'culprits', ['tests.test_a.A.test_02_pollutes'], 5],
      ['tests.test_a.A.test_06_alone', 'alone', null, 6],
    ]);
    const text = await baton(dir, ['run', '--analyze-isolation', '-j', '2']);
    assert.match(text.stdout, /^tests\.test_a\.A\.test_05_victim +tests\.test_a\.A\.test_02_pollutes$/m);
    assert.match(text.stdout, /^tests\.test_a\.A\.test_06_alone +nothing: it fails on its own$/m);
    assert.match(text.stdout, /\n2 failing tests analysed in \d+ executions \(.* s\): 1 fail after other tests, 1 on its own, 0 did not fail again\n$/);
    assert.equal((JSON.parse((await baton(dir, ['history', 'list', '--json'])).stdout) as { runs: unknown[] }).runs.length, 1, 'nothing recorded');

    // stestr, run serially (its probes otherwise split a pair over two workers), finds the same culprit; it leaves out what fails on its own.
    stestr(dir, ['init']);
    stestr(dir, ['run', '--serial']);
    const theirs = stestr(dir, ['run', '--serial', '--analyze-isolation']).stdout;
    assert.match(theirs, /^tests\.test_a\.A\.test_05_victim +tests\.test_a\.A\.test_02_pollutes$/m);

    // The selection chooses which failing tests to analyse; a run's other options do not go with it.
    const one = JSON.parse((await baton(dir, ['run', '--analyze-isolation', '-j', '1', '--json', '-', '-E', 'alone'])).stdout) as Analysis;
    assert.deepEqual(one.analysed.map((a) => a.testId), ['tests.test_a.A.test_05_victim']);
    const clash = await baton(dir, ['run', '--analyze-isolation', '--until-failure']);
    assert.deepEqual([clash.status, clash.stderr], [2, 'baton: --analyze-isolation does not go with --until-failure: it runs each failing test after the tests that ran before it, in processes of its own, not a run\n']);
  });

  test('a candidate that hangs is killed at the run\'s timeout, and counts as a failure: analysis and bisect both end', async () => {
    // The victim hangs, rather than fails, once polluted.
    const dir = pollutedProject('if state.polluted:\n    threading.Event().wait()');
    const run = await baton(dir, ['run', '-j', '1', '--timeout', '2', 'test_0[2-5]']);
    assert.equal(run.status, 1, run.stderr);
    const analysed = await baton(dir, ['run', '--analyze-isolation', '-j', '2', '--timeout', '2', '--json', '-', 'victim']);
    assert.equal(analysed.status, 0, analysed.stderr);
    const [finding] = (JSON.parse(analysed.stdout) as { analysed: { outcome: string; culprits: string[] }[] }).analysed;
    assert.deepEqual([finding?.outcome, finding?.culprits], ['culprits', ['tests.test_a.A.test_02_pollutes']]);
    const bisect = await baton(dir, ['bisect', 'tests.test_a.A.test_05_victim', '--timeout', '2', '--confidence', '0.9', '-j', '2', '--max-time', '60s', '--json']);
    assert.equal(bisect.status, 0, bisect.stderr);
    assert.deepEqual((JSON.parse(bisect.stdout) as { culprits: string[] }).culprits, ['tests.test_a.A.test_02_pollutes']);
  });
});
