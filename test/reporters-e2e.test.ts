// Reporters cannot break a run: real runs (a real worker with Python test servers, the
// real SQLite repository, the real CLI) with reporters that throw, reject, or cannot
// write their file. The run goes on, every result is recorded, each failed reporter is
// named once, and the run ends with the infrastructure exit status.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Coordinator, type Reporter, type RunEvent } from '@baton/coordinator';
import { resolvePlan } from '@baton/scheduler';
import { initRepository } from '@baton/store';
import { pythonAdapter, WorkerServer } from '@baton/worker';
import { makeProject, runBaton, STESTR_CONF, unittestModule } from './utils/baton-process.js';
import { ALL_MIXED, mixedProject, readJson } from './utils/projects.js';
import { DEBIAN_PYTHON } from './utils/python-tools.js';

/** `baton run -j 2` of the mixed project as the CLI does it, with `reporters`; `log` gets the run's log lines. */
async function realRun(reporters: Reporter[], log: (line: string) => void) {
  const dir = mixedProject();
  const worker = await WorkerServer.start({ adapter: pythonAdapter({ testPath: './tests', topDir: './', cwd: dir, python: DEBIAN_PYTHON }), slots: 2, name: 'local', log });
  const { repository } = initRepository({ cwd: dir });
  try {
    const tests = [...worker.tests];
    const coordinator = new Coordinator({ segments: resolvePlan(undefined, tests), repository, profile: 'default', discovery: tests, expectedSlots: 2, reporters, log });
    const run = coordinator.start();
    coordinator.adopt(worker.link({ closeOnGoodbye: true }));
    const summary = await coordinator.finished;
    return { summary, stored: repository.results(run), recorded: repository.run(run) };
  } finally {
    await worker.close();
    repository.close();
  }
}

describe('reporters cannot break a run', () => {
  test('one that throws on the third result and one whose close rejects are each named once; the run goes on, is recorded, and ends with exit status 3', async () => {
    let results = 0;
    const thrower: Reporter = {
      name: 'thrower',
      onTestFinished: () => {
        if (++results === 3) throw new TypeError("Cannot read properties of undefined (reading 'id')");
      },
    };
    const rejecter: Reporter = { name: 'rejecter', close: async () => Promise.reject(new Error('the report server hung up')) };
    const seen: RunEvent[] = [];
    const lines: string[] = [];
    const { summary, stored, recorded } = await realRun([thrower, rejecter, { onEvent: (e) => void seen.push(e) }], (line) => lines.push(line));
    assert.equal(results, 3, 'the thrower got nothing after it failed');
    assert.deepEqual(
      lines.filter((l) => l.startsWith('reporter ')),
      [
        "reporter thrower failed on testFinished: Cannot read properties of undefined (reading 'id'); it gets no more events, and the run goes on, is recorded, and ends with exit status 3",
        'reporter rejecter failed at its end: the report server hung up; it gets no more events, and the run goes on, is recorded, and ends with exit status 3',
      ],
    );
    assert.equal(seen.filter((e) => e.type === 'testFinished').length, ALL_MIXED, 'the other reporter saw every result');
    assert.equal(seen.at(-1)?.type, 'runFinished');
    assert.equal(summary.exitCode, 3);
    assert.match(summary.infrastructureProblem ?? '', /^reporter thrower failed on testFinished/);
    assert.deepEqual(summary.counts, { success: 14, fail: 1, skip: 1 });
    assert.equal(stored.length, ALL_MIXED, 'every result recorded');
    assert.equal(recorded?.complete, true);
    assert.equal(recorded?.exitStatus, 3);
  });

  test('baton run: a --junit file that cannot be written at the end (its directory went away) exits 3 naming the option, with the run recorded and --json written', async () => {
    const quick: Record<string, string> = {};
    for (let i = 0; i < 6; i++) quick[`test_quick_${i}`] = `self.assertEqual(${i}, ${i})`;
    const dir = makeProject({
      '.stestr.conf': STESTR_CONF,
      'out/.keep': '',
      'tests/__init__.py': '',
      'tests/test_quick.py': unittestModule('TestQuick', quick),
      // The project's own test removes the report's directory while the run goes on.
      'tests/test_cleanup.py': unittestModule('TestCleanup', { test_removes_out: 'import shutil\nshutil.rmtree("out")' }),
    });
    const run = await runBaton(dir, ['run', '-j', '2', '--junit', 'out/junit.xml', '--json', 'run.json']);
    assert.equal(run.status, 3, run.stderr + run.stdout);
    const named = run.stderr.split('\n').filter((l) => l.includes('--junit out/junit.xml'));
    assert.equal(named.length, 1, run.stderr);
    assert.match(named[0]!, /^baton: reporter --junit out\/junit\.xml failed at its end: ENOENT: no such file or directory.*the run goes on, is recorded, and ends with exit status 3$/);
    assert.doesNotMatch(run.stderr + run.stdout, /\n\s+at /, 'no stack trace');
    assert.match(run.stdout, /Ran 7 tests in [\d.]+ s on 2 worker slots: 7 passed\n/);
    assert.equal(existsSync(join(dir, 'out')), false);
    assert.equal(readJson(join(dir, 'run.json')).results.length, 7, 'the other report is written');
    const last = await runBaton(dir, ['last', '--json']);
    const recorded = JSON.parse(last.stdout) as { profiles: Record<string, { run: { exitStatus: number; complete: boolean; counts: Record<string, number> } }> };
    const stored = recorded.profiles['default']!.run;
    assert.deepEqual([stored.complete, stored.exitStatus, stored.counts], [true, 3, { success: 7 }]);
  });
});

describe('the run summary says how close the run came to the best possible', () => {
  test('the lower bound and efficiency from measured durations, and on the run with history, the last run without it', async () => {
    const dir = mixedProject();
    type Doc = { wallSeconds: number; lowerBoundSeconds: number; efficiency: number; withoutHistory: number; baseline: { run: number; wallSeconds: number; speedup: number } | null };
    const first = await runBaton(dir, ['run', '-j', '2', '--json', 'first.json']);
    assert.equal(first.status, 1, first.stderr);
    const cold = JSON.parse(readFileSync(join(dir, 'first.json'), 'utf8')) as Doc;
    assert.equal(cold.withoutHistory, ALL_MIXED);
    assert.equal(cold.baseline, null);
    // test_slowish sleeps 0.3 s: no schedule on 2 slots ends before it does.
    assert.ok(cold.lowerBoundSeconds >= 0.3 && cold.lowerBoundSeconds <= cold.wallSeconds, JSON.stringify(cold));
    assert.ok(Math.abs(cold.efficiency - cold.lowerBoundSeconds / cold.wallSeconds) < 1e-9, 'efficiency = bound / wall');
    const percent = Math.round(cold.efficiency * 100);
    assert.match(first.stdout, new RegExp(`\\nLower bound [\\d.]+ s \\(the tests' own durations on 2 slots\\): ${percent}% efficient\\nNo history yet: `));

    const second = await runBaton(dir, ['run', '-j', '2', '--json', 'second.json']);
    assert.equal(second.status, 1, second.stderr);
    const warm = JSON.parse(readFileSync(join(dir, 'second.json'), 'utf8')) as Doc;
    assert.equal(warm.withoutHistory, 0);
    assert.equal(warm.baseline?.run, 1);
    assert.ok(Math.abs(warm.baseline!.wallSeconds - cold.wallSeconds) < 0.002, `${warm.baseline!.wallSeconds} is run 1's ${cold.wallSeconds}`);
    assert.ok(Math.abs(warm.baseline!.speedup - warm.baseline!.wallSeconds / warm.wallSeconds) < 1e-9, 'speedup = baseline wall / wall');
    assert.match(second.stdout, new RegExp(`\\nWith history: ${warm.baseline!.speedup.toFixed(2)}× as fast as run 1, the last without \\(`));

    // Another number of slots is another comparison: nothing to measure against.
    const other = await runBaton(dir, ['run', '-j', '1', '--json', 'other.json']);
    assert.equal(other.status, 1, other.stderr);
    assert.equal((JSON.parse(readFileSync(join(dir, 'other.json'), 'utf8')) as Doc).baseline, null);
  });
});
