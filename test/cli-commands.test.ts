// The first baton commands end to end, as real processes on real repositories.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodePackets, type Packet } from '@baton/subunit';
import { SCHEMA_VERSION } from '@baton/store';
import { baton, initProject, tempDir } from '../packages/cli/src/test-support/run-baton.js';

const T0 = 1_700_000_000;
const test = (id: string, status: Packet['status'], start: number, stop: number, extra: Partial<Packet> = {}): Packet[] => [
  { testId: id, status: 'inprogress', timestamp: { seconds: T0 + start, nanos: 0 }, tags: ['worker-0'] },
  ...(extra.file ? [{ testId: id, ...extra }] : []),
  { testId: id, status, timestamp: { seconds: T0 + stop, nanos: 0 }, tags: ['worker-0'] },
];
const traceback = { file: { name: 'traceback', content: new TextEncoder().encode('AssertionError: 1 != 2\n') }, mimeType: 'text/x-traceback; charset=utf8', eof: true };

function project(): string {
  const dir = initProject();
  writeFileSync(join(dir, 'run1.subunit'), encodePackets([...test('t.a', 'success', 0, 1), ...test('t.b', 'fail', 1, 4, traceback), ...test('t.c', 'skip', 4, 4)]));
  writeFileSync(join(dir, 'run2.subunit'), encodePackets([...test('t.a', 'success', 10, 13), ...test('t.b', 'success', 13, 14)]));
  return dir;
}

describe('baton init', () => {
  it('creates .baton/baton.db, and says so when it exists already', () => {
    const dir = tempDir('baton-init-');
    assert.deepEqual(baton(dir, ['init']), { status: 0, stdout: `Initialised an empty baton repository: ${dir}/.baton/baton.db\n`, stderr: '', stdoutBytes: Buffer.from(`Initialised an empty baton repository: ${dir}/.baton/baton.db\n`) });
    assert.match(baton(dir, ['init']).stdout, new RegExp(`already exists: .*\\(schema version ${SCHEMA_VERSION}\\)`));
  });

  it('is found from a subdirectory, like .git; elsewhere commands say to run baton init', () => {
    const dir = project();
    const sub = join(dir, 'src', 'deep');
    mkdirSync(sub, { recursive: true });
    assert.equal(baton(sub, ['load', '../../run1.subunit']).status, 1);
    assert.equal(JSON.parse(baton(sub, ['stats', '--json']).stdout).file, join(dir, '.baton', 'baton.db'));
    assert.equal(JSON.parse(baton(tmpdir(), ['--repo', dir, 'stats', '--json']).stdout).runs, 1);
    const elsewhere = tempDir('baton-none-');
    const r = baton(elsewhere, ['last']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `baton: no baton repository in ${elsewhere} or any parent; run \`baton init\` in the project root\n`);
  });
});

describe('baton load, last, failing', () => {
  it('loads runs and reports the latest with its failures, exiting 1 while one fails', () => {
    const dir = project();
    const load = baton(dir, ['load', 'run1.subunit']);
    assert.deepEqual([load.status, load.stdout], [1, 'Loaded run 1 (default) from run1.subunit: 3 results: 1 passed, 1 failed, 1 skipped\n']);
    const last = baton(dir, ['last']);
    assert.equal(last.status, 1);
    assert.equal(last.stdout, 'FAIL: t.b\n  traceback:\n    AssertionError: 1 != 2\nRun 1 (default) started 2023-11-14 22:13:20Z, took 4.00s, complete; 3 tests: 1 passed, 1 failed, 1 skipped\n');
    assert.deepEqual([baton(dir, ['failing', '--list']).stdout, baton(dir, ['failing']).status], ['t.b\n', 1]);

    assert.equal(baton(dir, ['load', 'run2.subunit']).status, 0);
    assert.equal(baton(dir, ['last']).status, 0);
    assert.deepEqual([baton(dir, ['failing']).stdout, baton(dir, ['failing']).status], ['No failing tests (default)\n', 0]);
  });

  it('creates the repository where there is none, as run does, but not for input it refuses', () => {
    const dir = tempDir('baton-load-');
    writeFileSync(join(dir, 'run.subunit'), encodePackets(test('t.a', 'success', 0, 1)));
    writeFileSync(join(dir, 'text.subunit'), 'not a subunit stream\n');
    mkdirSync(join(dir, 'plain'));
    for (const refused of [['missing.subunit'], ['text.subunit'], ['plain'], ['--repo', 'elsewhere', 'missing.subunit']]) {
      const r = baton(dir, ['load', ...refused]);
      assert.equal(r.status, 2, r.stderr);
      assert.deepEqual(readdirSync(dir).sort(), ['plain', 'run.subunit', 'text.subunit'], `nothing created by load ${refused.join(' ')}`);
    }
    const load = baton(dir, ['load', 'run.subunit']);
    assert.deepEqual([load.status, load.stdout, load.stderr], [0, 'Loaded run 1 (default) from run.subunit: 1 result: 1 passed\n', `baton: created a repository in ${dir}/.baton\n`]);
    const again = baton(dir, ['load', 'run.subunit', 'text.subunit']);
    assert.deepEqual([again.status, again.stderr.includes('created')], [2, false]);
    assert.equal(JSON.parse(baton(dir, ['stats', '--json']).stdout).runs, 2, 'the run loaded before the refused input stays');
  });

  it('reads a stream from stdin', () => {
    const dir = project();
    const r = baton(dir, ['load', '-', '--profile', 'ci'], readFileSync(join(dir, 'run2.subunit')));
    assert.equal(r.stdout, 'Loaded run 1 (ci) from standard input: 2 results: 2 passed\n');
  });

  it('reports runs as JSON', () => {
    const dir = project();
    baton(dir, ['load', 'run1.subunit']);
    const last = JSON.parse(baton(dir, ['last', '--json']).stdout);
    assert.deepEqual(last.profiles.default.run.counts, { success: 1, fail: 1, skip: 1 });
    assert.deepEqual(last.profiles.default.failing.map((f: { testId: string; attachments: unknown[] }) => [f.testId, f.attachments]),
      [['t.b', [{ name: 'traceback', mimeType: 'text/x-traceback; charset=utf8', text: 'AssertionError: 1 != 2\n' }]]]);
    const failing = JSON.parse(baton(dir, ['failing', '--json']).stdout);
    assert.deepEqual(Object.keys(failing.profiles), ['default']);
    assert.equal(failing.profiles.default[0].testId, 't.b');
  });
});

describe('profiles', () => {
  it('keeps results per profile and refuses to mix them unless one is chosen or --json asks for all', () => {
    const dir = project();
    baton(dir, ['load', '--profile', 'py311', 'run1.subunit']);
    baton(dir, ['load', '--profile', 'py312', 'run2.subunit']);
    for (const command of [['last'], ['failing'], ['slowest'], ['history', 't.a']]) {
      const r = baton(dir, command);
      assert.equal(r.status, 2, command.join(' '));
      assert.equal(r.stderr, 'baton: the repository holds results of 2 profiles: py311, py312; choose one with --profile (or use --json to see all)\n');
    }
    assert.deepEqual(baton(dir, ['failing', '--list', '--profile', 'py311']).stdout, 't.b\n');
    assert.deepEqual(baton(dir, ['failing', '--list', '--profile', 'py312']).stdout, '');
    const all = JSON.parse(baton(dir, ['failing', '--json']).stdout);
    assert.deepEqual(Object.fromEntries(Object.entries(all.profiles as Record<string, { testId: string }[]>).map(([p, f]) => [p, f.map((t) => t.testId)])), { py311: ['t.b'], py312: [] });
    const history = JSON.parse(baton(dir, ['history', 't.a', '--json']).stdout);
    assert.deepEqual(Object.keys(history.profiles), ['py311', 'py312']);
    assert.equal(history.profiles.py312.estimate, 3);
  });
});

describe('baton slowest, stats, history', () => {
  it('shows the slowest tests of the latest run as a table', () => {
    const dir = project();
    baton(dir, ['load', 'run1.subunit']);
    assert.equal(baton(dir, ['slowest', '-n', '2']).stdout, [
      'Slowest tests of run 1 (default):',
      'Test id  Runtime (s)  Status',
      '-------  -----------  -------',
      't.b             3.00  fail',
      't.a             1.00  success',
      '',
    ].join('\n'));
    assert.equal(JSON.parse(baton(dir, ['slowest', '--all', '--json']).stdout).profiles.default.slowest.length, 3);
  });

  it('summarises the repository', () => {
    const dir = project();
    baton(dir, ['load', 'run1.subunit', 'run2.subunit']);
    const stats = JSON.parse(baton(dir, ['stats', '--json']).stdout);
    assert.deepEqual([stats.runs, stats.incompleteRuns, stats.results, stats.tests, stats.schemaVersion], [2, 0, 5, 3, SCHEMA_VERSION]);
    assert.deepEqual(stats.profiles, [{ name: 'default', runs: 2, tests: 3, failing: 0, latestRun: 2 }]);
    assert.match(baton(dir, ['stats']).stdout, new RegExp(`^Repository .*baton\\.db \\(schema version ${SCHEMA_VERSION}, [\\d.]+ MB\\)\\n2 runs \\(0 incomplete\\), 5 results, 3 tests\\nProfile  Runs  Tests  Failing  Latest run\\n`));
  });

  it('lists the history of a test, and says so for an unknown one', () => {
    const dir = project();
    baton(dir, ['load', 'run1.subunit', 'run2.subunit']);
    assert.equal(baton(dir, ['history', 't.b']).stdout, [
      'Run  Started               Status   Duration (s)  Worker',
      '---  --------------------  -------  ------------  --------',
      '  1  2023-11-14 22:13:21Z  fail             3.00  worker-0',
      '  2  2023-11-14 22:13:33Z  success          1.00  worker-0',
      't.b (default): 2 results, 1 failing; estimate 2.40s',
      '',
    ].join('\n'));
    const unknown = baton(dir, ['history', 't.nope']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^baton: no results for t.nope in profile default;/);
  });
});

describe('baton timings', () => {
  it('exports timings that another repository imports, merging with its own', () => {
    const from = project();
    baton(from, ['load', '--profile', 'py311', 'run1.subunit', 'run2.subunit']);
    const exported = baton(from, ['timings', 'export', 'timings.json']);
    assert.deepEqual([exported.status, exported.stderr], [0, 'Exported 3 timings of 1 profile to timings.json\n']);
    const file = JSON.parse(readFileSync(join(from, 'timings.json'), 'utf8'));
    assert.equal(file.format, 'baton-timings');

    const to = project();
    const imported = baton(to, ['timings', 'import', join(from, 'timings.json')]);
    assert.deepEqual([imported.status, imported.stdout], [0, 'Merged 3 timings into py311\n']);
    assert.deepEqual(JSON.parse(baton(to, ['timings', 'export', '-']).stdout), file);
    assert.equal(baton(to, ['timings', 'import', '-'], baton(from, ['timings', 'export', '-']).stdout).status, 0);
  });

  it('refuses a file that is not a timings file, with exit 2', () => {
    const dir = project();
    const r = baton(dir, ['timings', 'import', 'run1.subunit']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^baton: run1.subunit is not JSON: /);
    const wrong = baton(dir, ['timings', 'import', '-'], '{"format":"baton-timings","version":2,"profiles":{}}');
    assert.equal(wrong.stderr, 'baton: standard input: $.version is 2, this baton reads version 1 (expected a file written by `baton timings export`)\n');
  });
});

describe('usage errors', () => {
  it('exit 2 with a hint', () => {
    const dir = project();
    for (const args of [['nope'], ['slowest', '--bogus'], ['last', '--json', '--subunit'], []]) {
      const r = baton(dir, args);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, new RegExp(`^baton: .*\nRun \`baton ${args[0] === 'nope' || args[0] === undefined ? '' : `${args[0]} `}--help\` for usage.\n$`), args.join(' '));
    }
    assert.match(baton(dir, ['--help']).stdout, /Commands:\n(.*\n)*  baton init +Create a repository/);
  });
});
