import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mock, test } from 'node:test';
import { deliver, type Reporter, type RunEvent, type RunResult, type RunStats, type RunSummary } from '@baton/coordinator';
import { aggregate, decodeAll } from '@baton/subunit';
import { IsoTimes, JsonReporter } from './json.js';
import { JUnitReporter } from './junit.js';
import { PLAIN_INTERVAL_MS, ProgressReporter, REDRAW_INTERVAL_MS } from './progress.js';
import { SubunitReporter } from './subunit.js';
import { ansi, plain } from '../output/color.js';
import type { Shown } from '../output/options.js';
import { RunLog } from '../output/run-log.js';
import { tempDir } from '../test-support/run-baton.js';

const T0 = Date.UTC(2026, 10, 21, 12);
const text = (s: string) => new TextEncoder().encode(s);

function stats(done: number, failed: number): RunStats {
  return { total: 4, done, passed: done - failed, failed, skipped: 0, running: 1, elapsedMs: done * 1000, etaMs: (4 - done) * 1000 };
}

function result(id: string, status: RunResult['status'], worker: string, seq: number, attachments: RunResult['attachments'] = []): RunResult {
  return { id, status, worker, seq, startMs: T0 + seq * 1000, stopMs: T0 + seq * 1000 + 250, duration: 0.25, tags: [`worker-${worker.endsWith('1') ? 1 : 0}`], attachments };
}

/** A small run: two slots, a pass, a failure with a traceback, a skip, a test that printed. */
function events(): RunEvent[] {
  const results = [
    result('pkg.mod.TestA.test_ok', 'success', 'h/0', 0, [{ name: 'stdout', mimeType: 'text/plain;charset=utf8', content: text('hello <&> ]]>\n') }]),
    result('pkg.mod.TestA.test_bad', 'fail', 'h/1', 0, [{ name: 'traceback', mimeType: 'text/x-traceback;charset=utf8', content: text('Traceback\nAssertionError: 1 != 2\n') }]),
    result('pkg.mod.TestB.test_skip', 'skip', 'h/0', 1, [{ name: 'reason', mimeType: 'text/plain;charset=utf8', content: text('not today') }]),
  ];
  const finished: RunEvent[] = results.map((r, i) => ({ type: 'testFinished', at: T0 + i, result: r, stats: stats(i + 1, i >= 1 ? 1 : 0) }));
  return [
    { type: 'runStarted', at: T0, run: 7, profile: 'default', total: 4, estimatedWork: 3, unknown: 1, segments: 1 },
    { type: 'workerJoined', at: T0, worker: 'h', slots: 2, version: 2 },
    { type: 'testsDispatched', at: T0, worker: 'h/0', tests: ['pkg.mod.TestA.test_ok'] },
    { type: 'testStarted', at: T0, worker: 'h/0', test: 'pkg.mod.TestA.test_ok', stats: stats(0, 0) },
    ...finished,
    { type: 'output', at: T0 + 5, worker: 'h/0', name: 'stdout', content: text('between tests\n') },
    {
      type: 'runFinished',
      at: T0 + 9,
      summary: {
        run: 7,
        profile: 'default',
        stats: stats(3, 1),
        counts: { success: 1, fail: 1, skip: 1 },
        notRun: ['pkg.mod.TestC.test_never'],
        cutShort: [],
        failures: [results[1]!],
        flaky: [],
        retriedAttempts: 0,
        slowest: results.map((r) => ({ id: r.id, duration: r.duration!, status: r.status })),
        wallMs: 4200,
        lowerBoundMs: 2100,
        unknown: 1,
        baseline: undefined,
        workers: 2,
        processes: { fresh: 1, restarts: 0 },
        exitCode: 3,
        infrastructureProblem: '1 test never ran',
      },
    },
  ];
}

/** Plays the small run to `reporter` and closes it, as the coordinator does. */
async function play(reporter: Reporter, run: RunEvent[] = events()): Promise<void> {
  for (const e of run) deliver(reporter, e);
  await reporter.close?.();
}

/** The small run, its summary changed by `change`. */
function withSummary(change: Partial<RunSummary>): RunEvent[] {
  return events().map((e) => (e.type === 'runFinished' ? { ...e, summary: { ...e.summary, ...change } } : e));
}

/**
 * What a terminal shows once `written` reached it: its lines, after the cursor moves up
 * (ESC [ N A) and erasures to the end of the screen (ESC [ J) the live display writes.
 */
function screen(written: string): string[] {
  const lines = [''];
  let row = 0;
  for (const part of written.split(/(\x1b\[\d+A|\x1b\[J|\n)/)) {
    const up = /^\x1b\[(\d+)A$/.exec(part);
    if (up) row = Math.max(0, row - Number(up[1]));
    else if (part === '\x1b[J') {
      lines.length = row;
      lines.push('');
    } else if (part === '\n') {
      row++;
      if (lines.length === row) lines.push('');
    } else lines[row] = (lines[row] ?? '') + part;
  }
  return lines.at(-1) === '' ? lines.slice(0, -1) : lines;
}

/** Fake timers (setInterval and Date.now, which the progress reporter's default clock uses) from T0, for the test. */
function fakeTime(t: { after(fn: () => void): void }): void {
  mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: T0 });
  t.after(() => mock.timers.reset());
}

test('plain progress (a CI log): joins, each failure as it happens, a progress line every 10 s, then details, slowest, the bound and the verdict', async (t) => {
  fakeTime(t);
  let out = '';
  const reporter = new ProgressReporter({ out: { write: (s: string) => (out += s), isTTY: false } });
  const run = events();
  const end = run.findIndex((e) => e.type === 'runFinished');
  for (const e of run.slice(0, end)) deliver(reporter, e);
  assert.doesNotMatch(out, /done, /, 'no progress line before 10 s');
  mock.timers.tick(PLAIN_INTERVAL_MS);
  assert.match(out, /\nbaton: 3\/4 done, 1 failed, 0 skipped, 1 running, 10\.00 s, ETA 0\.000 s\n$/);
  mock.timers.tick(PLAIN_INTERVAL_MS);
  assert.match(out, /\nbaton: 3\/4 done, 1 failed, 0 skipped, 1 running, 20\.00 s, ETA 0\.000 s\n$/, 'another 10 s later, with no event meanwhile');
  await play(reporter, run.slice(end));
  assert.match(out, /^baton: run 7 \(default\): 4 tests, about 3\.00 s of work, 1 test with no history\n/);
  assert.match(out, /baton: worker h joined with 2 slots\n/);
  assert.match(out, /FAIL pkg\.mod\.TestA\.test_bad \(h\/1, 0\.250 s\)\n/);
  assert.match(out, /FAIL: pkg\.mod\.TestA\.test_bad {2}\[h\/1, 0\.250 s\]\n-+\n {2}traceback:\n {4}Traceback\n {4}AssertionError: 1 != 2/);
  assert.match(out, /1 test never ran:\n {2}pkg\.mod\.TestC\.test_never/);
  assert.match(out, /Slowest 3 tests:\n {2}0\.250 s {2}pkg\.mod\.TestA\.test_ok/);
  assert.match(
    out,
    /Ran 3 tests in 4\.20 s on 2 worker slots: 1 passed, 1 failed, 1 skipped, 1 not run\n1 more test server process: 1 fresh \(to go back in discovery order after rebalancing, or for a retry\), 0 after a crash or timeout\nLower bound 2\.10 s \(the tests' own durations on 2 slots\): 50% efficient\n/,
  );
  assert.match(out, /FAILED \(run 7, exit status 3\)\n$/);
  assert.doesNotMatch(out, /\x1b\[/, 'no escape codes in a log');
  const lines = out.split('\n').length;
  mock.timers.tick(3 * PLAIN_INTERVAL_MS);
  assert.equal(out.split('\n').length, lines, 'nothing after the end');
});

test('the summary says what history bought: as fast as the last run without it, or that there was none yet', async () => {
  let out = '';
  await play(new ProgressReporter({ out: { write: (s: string) => (out += s) } }), withSummary({ unknown: 0, baseline: { run: 3, wallMs: 8400 } }));
  assert.match(out, /: 50% efficient\nWith history: 2\.00× as fast as run 3, the last without \(8\.40 s → 4\.20 s\)\n/);
  out = '';
  await play(new ProgressReporter({ out: { write: (s: string) => (out += s) } }), withSummary({ unknown: 4 }));
  assert.match(out, /\nNo history yet: the next run is scheduled from the durations this one measured\n/);
  out = '';
  await play(new ProgressReporter({ out: { write: (s: string) => (out += s) } }), withSummary({ lowerBoundMs: undefined }));
  assert.doesNotMatch(out, /Lower bound|History|history yet/, 'nothing timed, some history: nothing to say');
});

test('terminal progress: a live block that ticks between events, keeps a slot between the tests of its unit busy, and lines logged above it', (t) => {
  fakeTime(t);
  let out = '';
  const reporter = new ProgressReporter({ out: { write: (s: string) => (out += s), isTTY: true, columns: 80 } });
  const shared = ['pkg.mod.TestShared.test_a', 'pkg.mod.TestShared.test_b'];
  const started = (test: string, at: number, done: number): RunEvent => ({ type: 'testStarted', at, worker: 'h/0', test, stats: { ...stats(done, 0), etaMs: 4000, elapsedMs: at - T0 } });
  deliver(reporter, { type: 'runStarted', at: T0, run: 8, profile: 'default', total: 4, estimatedWork: undefined, unknown: 4, segments: 1 });
  deliver(reporter, { type: 'workerJoined', at: T0, worker: 'h', slots: 2, version: 2 });
  deliver(reporter, { type: 'testsDispatched', at: T0, worker: 'h/0', tests: shared });
  deliver(reporter, started(shared[0]!, T0, 0));
  mock.timers.tick(3000);
  assert.deepEqual(screen(out), [
    'baton: run 8 (default): 4 tests with no history yet',
    '0/4 done, 0 failed, 0 skipped, 1 running, 3.00 s, ETA 1.00 s',
    '  h/0    3.00 s  pkg.mod.TestShared.test_a',
    '  h/1  idle',
  ]);
  const first = result(shared[0]!, 'success', 'h/0', 0);
  deliver(reporter, { type: 'testFinished', at: T0 + 3000, result: first, stats: { ...stats(1, 0), running: 0, etaMs: 3000 } });
  mock.timers.tick(250);
  assert.deepEqual(screen(out).slice(1), [
    '1/4 done, 0 failed, 0 skipped, 0 running, 3.25 s, ETA 2.75 s',
    '  h/0   0.250 s  (between tests, 1 test to go)',
    '  h/1  idle',
  ]);
  // A log line of the run (the worker's, the coordinator's) goes above the block, and stays.
  const log = new RunLog({ write: (s: string) => (out += s) });
  log.showAbove(reporter);
  log.line('slot 1: killing its test server');
  deliver(reporter, started(shared[1]!, T0 + 3300, 1));
  mock.timers.tick(1000);
  assert.deepEqual(screen(out), [
    'baton: run 8 (default): 4 tests with no history yet',
    'baton: slot 1: killing its test server',
    '1/4 done, 0 failed, 0 skipped, 1 running, 4.25 s, ETA 3.05 s',
    '  h/0   0.950 s  pkg.mod.TestShared.test_b',
    '  h/1  idle',
  ]);
  deliver(reporter, { type: 'runFinished', at: T0 + 5000, summary: { ...(events().at(-1) as { summary: RunSummary }).summary, failures: [], notRun: [], slowest: [] } });
  const end = screen(out);
  assert.deepEqual(end.slice(0, 2), ['baton: run 8 (default): 4 tests with no history yet', 'baton: slot 1: killing its test server'], 'the block is gone, the log line is not');
  assert.match(end.join('\n'), /\nRan 3 tests in 4\.20 s .*\n(.*\n)*FAILED \(run 7, exit status 3\)$/);
  const written = out.length;
  mock.timers.tick(1000);
  assert.equal(out.length, written, 'no redraw after the end');
});

/** What Python's own XML parser reads in a JUnit file: `lines` see its `root` and print JSON. */
function parsedByPython(file: string, lines: string[]): any {
  const code = ['import sys, json, xml.etree.ElementTree as ET', 'root = ET.parse(sys.argv[1]).getroot()', ...lines].join('\n');
  const r = spawnSync('python3', ['-c', code, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('JUnit: a document python can parse, with failures, skips, output and tests that never ran', async () => {
  const dir = tempDir('baton-junit-');
  const file = join(dir, 'junit.xml');
  await play(new JUnitReporter(file));
  const xml = readFileSync(file, 'utf8');
  const doc = parsedByPython(file, [
    'cases = [(c.get("classname"), c.get("name"), [ch.tag for ch in c]) for c in root.iter("testcase")]',
    'print(json.dumps({"attrs": root.attrib, "cases": cases, "out": [e.text for e in root.iter("system-out")], "fail": [e.text for e in root.iter("failure")]}))',
  ]);
  assert.deepEqual(doc.attrs, { name: 'baton', tests: '4', failures: '1', errors: '1', skipped: '1', time: '4.200' });
  assert.deepEqual(doc.cases, [
    ['pkg.mod.TestA', 'test_ok', ['system-out']],
    ['pkg.mod.TestA', 'test_bad', ['failure']],
    ['pkg.mod.TestB', 'test_skip', ['skipped']],
    ['pkg.mod.TestC', 'test_never', ['error']],
  ]);
  assert.deepEqual(doc.out, ['hello <&> ]]>\n']);
  assert.match(doc.fail[0], /AssertionError: 1 != 2/);
  assert.match(xml, /<failure message="AssertionError: 1 != 2">/);
});

test('JSON: the summary, the bound and every result with worker, sequence and attachments', async () => {
  const dir = tempDir('baton-json-');
  const file = join(dir, 'run.json');
  await play(new JsonReporter(file));
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(doc.format, 'baton-run');
  assert.equal(doc.exitCode, 3);
  assert.deepEqual(doc.notRun, ['pkg.mod.TestC.test_never']);
  assert.deepEqual([doc.wallSeconds, doc.lowerBoundSeconds, doc.efficiency, doc.withoutHistory, doc.baseline], [4.2, 2.1, 0.5, 1, null]);
  assert.deepEqual(doc.results.map((r: { id: string; worker: string; seq: number }) => [r.id, r.worker, r.seq]), [
    ['pkg.mod.TestA.test_ok', 'h/0', 0],
    ['pkg.mod.TestA.test_bad', 'h/1', 0],
    ['pkg.mod.TestB.test_skip', 'h/0', 1],
  ]);
  assert.equal(doc.results[1].attachments[0].text, 'Traceback\nAssertionError: 1 != 2\n');
  assert.equal(readFileSync(file, 'utf8').split('\n').filter((line) => line.startsWith('    {"id":')).length, 3, 'a line per result');

  // A run that ended before any result (every worker refused) is still a document.
  const empty = join(dir, 'empty.json');
  await play(new JsonReporter(empty), events().filter((e) => e.type !== 'testFinished'));
  assert.deepEqual(JSON.parse(readFileSync(empty, 'utf8')).results, []);
});

test('subunit: each result as inprogress, attachments and final status, with its worker tag', async () => {
  const chunks: Uint8Array[] = [];
  await play(new SubunitReporter({ write: (c: Uint8Array) => chunks.push(c) }));
  const decoded = decodeAll(Buffer.concat(chunks));
  assert.deepEqual(decoded.errors, []);
  const { results, output } = aggregate(decoded.packets);
  assert.deepEqual(results.map((r) => [r.id, r.status, r.tags]), [
    ['pkg.mod.TestA.test_ok', 'success', ['worker-0']],
    ['pkg.mod.TestA.test_bad', 'fail', ['worker-1']],
    ['pkg.mod.TestB.test_skip', 'skip', ['worker-0']],
  ]);
  assert.equal(new TextDecoder().decode(results[1]!.attachments[0]!.content), 'Traceback\nAssertionError: 1 != 2\n');
  assert.equal(new TextDecoder().decode(output[0]!.attachment.content), 'between tests\n');
});

test('IsoTimes formats as toISOString does, across seconds, minutes, days and years, fractions truncated', () => {
  const times = new IsoTimes();
  const starts = [Date.UTC(2026, 10, 22, 5, 59, 58, 990), Date.UTC(1999, 11, 31, 23, 59, 59, 500), 0, Date.UTC(2026, 0, 1), -1500.25, 253402300799000, 253402300800000];
  for (const start of starts) {
    for (let ms = start; ms < start + 3000; ms += 7.25) assert.equal(times.format(ms), new Date(ms).toISOString(), String(ms));
  }
});

test('a live display that fails in a redraw of its timer fails at the next event, for the guard to name it; log lines then print without it', (t) => {
  fakeTime(t);
  let broken = false;
  let out = '';
  const reporter = new ProgressReporter({
    out: {
      write: (s: string) => {
        if (broken) throw new Error('EIO: the terminal went away');
        out += s;
      },
      isTTY: true,
    },
  });
  const run = events();
  deliver(reporter, run[0]!);
  deliver(reporter, run[3]!);
  broken = true;
  mock.timers.tick(REDRAW_INTERVAL_MS);
  assert.throws(() => deliver(reporter, run[4]!), /EIO: the terminal went away/);
  let logged = '';
  const log = new RunLog({ write: (s: string) => (logged += s) });
  log.showAbove(reporter);
  log.line('slot 0: killing its test server');
  assert.equal(logged, 'baton: slot 0: killing its test server\n');
});

const verbose: Shown = { results: 'lines', passing: 'output', paint: plain };

test('--verbose: a subunit-trace line per test as it ends, a passing test\'s stdout below its line, no progress lines, then the summary', async (t) => {
  fakeTime(t);
  let out = '';
  const reporter = new ProgressReporter({ out: { write: (s: string) => (out += s), isTTY: false }, shown: verbose });
  const run = events();
  const end = run.findIndex((e) => e.type === 'runFinished');
  for (const e of run.slice(0, end)) deliver(reporter, e);
  mock.timers.tick(3 * PLAIN_INTERVAL_MS);
  await play(reporter, run.slice(end));
  const [, joined, ...rest] = out.split('\n');
  assert.equal(joined, 'baton: worker h joined with 2 slots');
  assert.deepEqual(rest.slice(0, 9), [
    '{0} pkg.mod.TestA.test_ok [0.250000s] ... ok',
    '',
    'Captured stdout:',
    '~~~~~~~~~~~~~~~~',
    '    hello <&> ]]>',
    '',
    '{1} pkg.mod.TestA.test_bad [0.250000s] ... FAILED',
    '{0} pkg.mod.TestB.test_skip ... SKIPPED: not today',
    '',
  ]);
  assert.doesNotMatch(out, /done, /, 'no progress line: every test has a line');
  assert.match(out, /\nFAIL: pkg\.mod\.TestA\.test_bad {2}\[h\/1, 0\.250 s\]\n-+\n {2}traceback:\n/, 'the details of failures at the end');
  assert.match(out, /\nSlowest 3 tests:\n/);
  assert.match(out, /FAILED \(run 7, exit status 3\)\n$/);
});

test('--verbose --suppress-attachments: the lines alone; --no-slowest: no slowest table', async () => {
  let out = '';
  await play(new ProgressReporter({ out: { write: (s: string) => (out += s) }, shown: { ...verbose, passing: 'none' }, slowest: false }));
  assert.match(out, /\n\{0\} pkg\.mod\.TestA\.test_ok \[0\.250000s\] \.\.\. ok\n\{1\} pkg\.mod\.TestA\.test_bad /);
  assert.doesNotMatch(out, /hello|Captured/);
  assert.doesNotMatch(out, /Slowest/);
  assert.match(out, /\nRan 3 tests in 4\.20 s/);
});

test('--abbreviate: a character per test on one line, which a log line ends; no live block on a terminal', async (t) => {
  fakeTime(t);
  let out = '';
  const reporter = new ProgressReporter({ out: { write: (s: string) => (out += s), isTTY: true, columns: 80 }, shown: { results: 'chars', passing: 'none', paint: plain } });
  const log = new RunLog({ write: (s: string) => (out += s) });
  log.showAbove(reporter);
  const run = events();
  const finished = run.filter((e) => e.type === 'testFinished');
  for (const e of run.filter((e) => e.type !== 'testFinished' && e.type !== 'runFinished')) deliver(reporter, e);
  deliver(reporter, finished[0]!);
  deliver(reporter, finished[1]!);
  mock.timers.tick(10 * REDRAW_INTERVAL_MS);
  log.line('slot 1: killing its test server');
  deliver(reporter, finished[2]!);
  await play(reporter, run.filter((e) => e.type === 'runFinished'));
  const lines = out.split('\n');
  assert.deepEqual(lines.slice(1, 5), ['baton: worker h joined with 2 slots', '.F', 'baton: slot 1: killing its test server', 'S']);
  assert.equal(lines[5], '', 'the summary starts on a line of its own');
  assert.doesNotMatch(out, /\x1b/, 'no live block, no colour');
});

test('--all-attachments without lines: a passing test that wrote something is printed with it as it ends, above the live block on a terminal', (t) => {
  fakeTime(t);
  let out = '';
  const reporter = new ProgressReporter({ out: { write: (s: string) => (out += s), isTTY: true, columns: 80 }, shown: { results: 'failures', passing: 'all', paint: plain } });
  const run = events();
  for (const e of run.slice(0, 5)) deliver(reporter, e);
  mock.timers.tick(REDRAW_INTERVAL_MS);
  assert.deepEqual(screen(out), [
    'baton: run 7 (default): 4 tests, about 3.00 s of work, 1 test with no history',
    'SUCCESS pkg.mod.TestA.test_ok (h/0, 0.250 s)',
    '  stdout:',
    '    hello <&> ]]>',
    '1/4 done, 0 failed, 0 skipped, 1 running, 0.100 s, ETA 2.90 s',
    '  h/0  idle',
    '  h/1  idle',
  ]);
});

test('colour: the status word of each failure as it happens, failure headings, counts by status and the verdict', async () => {
  let out = '';
  await play(new ProgressReporter({ out: { write: (s: string) => (out += s) }, shown: { results: 'failures', passing: 'none', paint: ansi } }));
  assert.match(out, /\n\x1b\[31;1mFAIL\x1b\[0m pkg\.mod\.TestA\.test_bad \(h\/1, 0\.250 s\)\n/);
  assert.match(out, /\n\x1b\[31;1mFAIL\x1b\[0m: pkg\.mod\.TestA\.test_bad {2}\[h\/1/);
  assert.match(out, /: \x1b\[32;1m1 passed\x1b\[0m, \x1b\[31;1m1 failed\x1b\[0m, \x1b\[34;1m1 skipped\x1b\[0m, 1 not run\n/);
  assert.match(out, /\n\x1b\[31;1mFAILED\x1b\[0m \(run 7, exit status 3\)\n$/);
  out = '';
  await play(new ProgressReporter({ out: { write: (s: string) => (out += s) }, shown: { results: 'lines', passing: 'none', paint: ansi } }), withSummary({ exitCode: 0, failures: [] }));
  assert.match(out, /\n\{0\} pkg\.mod\.TestA\.test_ok \[0\.250000s\] \.\.\. \x1b\[32;1mok\x1b\[0m\n/);
  assert.match(out, /\n\x1b\[32;1mPASSED\x1b\[0m \(run 7\)\n$/);
});

/** A run with --retries 2 on two slots: one test fails once and then passes, one fails every time. */
function retriedRun(): RunEvent[] {
  const tb = (n: number) => [{ name: 'traceback', mimeType: 'text/x-traceback;charset=utf8', content: text(`Traceback\nAssertionError: try ${n}\n`) }];
  const attempt = (r: RunResult, n: number): RunResult => ({ ...r, attempt: n });
  const flakyFirst = attempt(result('pkg.mod.T.test_flaky', 'fail', 'h/0', 0, tb(1)), 1);
  const flaky: RunResult = { ...attempt(result('pkg.mod.T.test_flaky', 'success', 'h/1', 1), 2), failedAttempts: [flakyFirst] };
  const broken1 = attempt(result('pkg.mod.T.test_broken', 'fail', 'h/1', 0, tb(1)), 1);
  const broken2 = attempt(result('pkg.mod.T.test_broken', 'fail', 'h/0', 1, [...tb(2), { name: 'stdout', mimeType: 'text/plain', content: text('printed on try 2\n') }]), 2);
  const broken: RunResult = { ...attempt(result('pkg.mod.T.test_broken', 'fail', 'h/1', 2, tb(3)), 3), failedAttempts: [broken1, broken2] };
  const s = (done: number, failed: number) => ({ ...stats(done, failed), total: 2 });
  return [
    { type: 'runStarted', at: T0, run: 9, profile: 'default', total: 2, estimatedWork: undefined, unknown: 2, segments: 1 },
    { type: 'workerJoined', at: T0, worker: 'h', slots: 2, version: 2 },
    { type: 'testRetried', at: T0 + 1, result: flakyFirst, retriesLeft: 1, stats: s(0, 0) },
    { type: 'testRetried', at: T0 + 2, result: broken1, retriesLeft: 1, stats: s(0, 0) },
    { type: 'testFinished', at: T0 + 3, result: flaky, stats: s(1, 0) },
    { type: 'testRetried', at: T0 + 4, result: broken2, retriesLeft: 0, stats: s(1, 0) },
    { type: 'testFinished', at: T0 + 5, result: broken, stats: s(2, 1) },
    {
      type: 'runFinished',
      at: T0 + 6,
      summary: {
        run: 9, profile: 'default', stats: s(2, 1), counts: { success: 1, fail: 1 }, notRun: [], cutShort: [], failures: [broken], flaky: [flaky], retriedAttempts: 3,
        slowest: [], wallMs: 3000, lowerBoundMs: undefined, unknown: 2, baseline: undefined, workers: 2, processes: { fresh: 3, restarts: 0 }, exitCode: 1, infrastructureProblem: undefined,
      },
    },
  ];
}

test('--retries in the progress: each failed attempt as it is tried again, a pass on retry as flaky, and where every attempt ran', async () => {
  let out = '';
  await play(new ProgressReporter({ out: { write: (s: string) => (out += s), isTTY: false } }), retriedRun());
  assert.match(out, /\nFAIL pkg\.mod\.T\.test_flaky \(h\/0, 0\.250 s, attempt 1\): trying it again on a fresh process, attempt 2 of at most 3\n/);
  assert.match(out, /\nFAIL pkg\.mod\.T\.test_broken \(h\/0, 0\.250 s, attempt 2\): trying it again on a fresh process, attempt 3 of at most 3\n/);
  assert.match(out, /\nFLAKY pkg\.mod\.T\.test_flaky passed only when tried again \(attempts: 1 FAIL on h\/0, 2 SUCCESS on h\/1\)\n/);
  assert.match(out, /\nFAIL pkg\.mod\.T\.test_broken \(h\/1, 0\.250 s, attempt 3\)\n/);
  assert.match(out, /AssertionError: try 3\n {2}attempts: 1 FAIL on h\/1, 2 FAIL on h\/0, 3 FAIL on h\/1\n/);
  assert.match(out, /\n1 test passed only when tried again \(flaky; --flaky-fails: they fail the run\):\n {2}pkg\.mod\.T\.test_flaky {2}attempts: 1 FAIL on h\/0, 2 SUCCESS on h\/1\n/);
  assert.match(out, /Ran 2 tests in 3\.00 s on 2 worker slots: 1 passed, 1 failed; 3 failed attempts tried again, 1 then passed\n/);
  out = '';
  await play(new ProgressReporter({ out: { write: (s: string) => (out += s) } }), retriedRun().map((e) => (e.type === 'runFinished' ? { ...e, summary: { ...e.summary, failures: [], exitCode: 0 } } : e)));
  assert.match(out, /passed only when tried again \(flaky; they count as passes\)/);
});

test('--retries in JUnit, as Maven Surefire writes reruns: flakyFailure for a pass on retry, failure then rerunFailure for a test that always failed', async () => {
  const file = join(tempDir('baton-junit-'), 'junit.xml');
  await play(new JUnitReporter(file), retriedRun());
  const doc = parsedByPython(file, [
    'cases = {c.get("name"): [[ch.tag, ch.get("message"), [(g.tag, g.text) for g in ch]] for ch in c] for c in root.iter("testcase")}',
    'print(json.dumps({"attrs": root.attrib, "cases": cases}))',
  ]);
  assert.equal(doc.attrs.failures, '1', 'a pass on retry is no failure');
  assert.deepEqual(doc.cases.test_flaky, [['flakyFailure', 'AssertionError: try 1', [['stackTrace', 'Traceback\nAssertionError: try 1\n']]]]);
  assert.deepEqual(doc.cases.test_broken, [
    ['failure', 'AssertionError: try 1', []],
    ['rerunFailure', 'AssertionError: try 2', [['stackTrace', 'Traceback\nAssertionError: try 2\n'], ['system-out', 'printed on try 2\n']]],
    ['rerunFailure', 'AssertionError: try 3', [['stackTrace', 'Traceback\nAssertionError: try 3\n']]],
  ]);
});

test('--retries in JSON and subunit: one result per test, with its attempt and failed attempts in JSON, the final ones only in subunit', async () => {
  const file = join(tempDir('baton-json-'), 'run.json');
  await play(new JsonReporter(file), retriedRun());
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual([doc.flaky, doc.retriedAttempts], [['pkg.mod.T.test_flaky'], 3]);
  type Entry = { id: string; status: string; worker: string; attempt?: number; failedAttempts?: Entry[] };
  const brief = (r: Entry): unknown[] => [r.id, r.status, r.worker, r.attempt, r.failedAttempts?.map(brief)];
  assert.deepEqual(doc.results.map(brief), [
    ['pkg.mod.T.test_flaky', 'success', 'h/1', 2, [['pkg.mod.T.test_flaky', 'fail', 'h/0', 1, undefined]]],
    ['pkg.mod.T.test_broken', 'fail', 'h/1', 3, [['pkg.mod.T.test_broken', 'fail', 'h/1', 1, undefined], ['pkg.mod.T.test_broken', 'fail', 'h/0', 2, undefined]]],
  ]);
  assert.equal(doc.results[1].failedAttempts[1].attachments[0].text, 'Traceback\nAssertionError: try 2\n');

  const chunks: Uint8Array[] = [];
  await play(new SubunitReporter({ write: (c: Uint8Array) => chunks.push(c) }), retriedRun());
  assert.deepEqual(aggregate(decodeAll(Buffer.concat(chunks)).packets).results.map((r) => [r.id, r.status]), [
    ['pkg.mod.T.test_flaky', 'success'],
    ['pkg.mod.T.test_broken', 'fail'],
  ]);
});
