import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { deliver, type Reporter, type RunEvent, type RunResult, type RunStats } from '@baton/coordinator';
import { aggregate, decodeAll } from '@baton/subunit';
import { IsoTimes, JsonReporter } from './json.js';
import { JUnitReporter } from './junit.js';
import { ProgressReporter } from './progress.js';
import { SubunitReporter } from './subunit.js';
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
        slowest: results.map((r) => ({ id: r.id, duration: r.duration!, status: r.status })),
        wallMs: 4200,
        workers: 2,
        processes: { fresh: 1, restarts: 0 },
        exitCode: 3,
        infrastructureProblem: '1 test never ran',
      },
    },
  ];
}

function play(reporter: Reporter): void {
  for (const e of events()) deliver(reporter, e);
}

test('plain progress (a CI log): joins, each failure as it happens, then details, slowest and the verdict', () => {
  let out = '';
  play(new ProgressReporter({ out: { write: (s: string) => (out += s), isTTY: false } }));
  assert.match(out, /^baton: run 7 \(default\): 4 tests, about 3\.00 s of work, 1 test with no history\n/);
  assert.match(out, /baton: worker h joined with 2 slots\n/);
  assert.match(out, /FAIL pkg\.mod\.TestA\.test_bad \(h\/1, 0\.250 s\)\n/);
  assert.match(out, /FAIL: pkg\.mod\.TestA\.test_bad {2}\[h\/1, 0\.250 s\]\n-+\n {2}traceback:\n {4}Traceback\n {4}AssertionError: 1 != 2/);
  assert.match(out, /1 test never ran:\n {2}pkg\.mod\.TestC\.test_never/);
  assert.match(out, /Slowest 3 tests:\n {2}0\.250 s {2}pkg\.mod\.TestA\.test_ok/);
  assert.match(out, /Ran 3 tests in 4\.20 s on 2 worker slots: 1 passed, 1 failed, 1 skipped, 1 not run\n1 more test server process: 1 to go back in discovery order after rebalancing, 0 after a crash or timeout\n/);
  assert.match(out, /FAILED \(run 7, exit status 3\)\n$/);
  assert.doesNotMatch(out, /\x1b\[/, 'no escape codes in a log');
});

test('terminal progress redraws a live block with a line per worker slot', () => {
  let out = '';
  let now = T0;
  const reporter = new ProgressReporter({ out: { write: (s: string) => (out += s), isTTY: true, columns: 80 }, now: () => (now += 1000) });
  play(reporter);
  assert.match(out, /0\/4 done, 0 failed, 0 skipped, 1 running, 0\.000 s, ETA 4\.00 s\n {2}h\/0 +\d+\.\d+ s {2}pkg\.mod\.TestA\.test_ok\n {2}h\/1 +idle\n/);
  assert.match(out, /\x1b\[3A\x1b\[J/, 'the block is erased before it is redrawn');
  assert.match(out, /PASSED|FAILED/);
});

test('JUnit: a document python can parse, with failures, skips, output and tests that never ran', () => {
  const dir = tempDir('baton-junit-');
  const file = join(dir, 'junit.xml');
  play(new JUnitReporter(file));
  const xml = readFileSync(file, 'utf8');
  const code = [
    'import sys, json, xml.etree.ElementTree as ET',
    'root = ET.parse(sys.argv[1]).getroot()',
    'cases = [(c.get("classname"), c.get("name"), [ch.tag for ch in c]) for c in root.iter("testcase")]',
    'print(json.dumps({"attrs": root.attrib, "cases": cases, "out": [e.text for e in root.iter("system-out")], "fail": [e.text for e in root.iter("failure")]}))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', code, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
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

test('JSON: the summary and every result with worker, sequence and attachments', () => {
  const dir = tempDir('baton-json-');
  const file = join(dir, 'run.json');
  play(new JsonReporter(file));
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(doc.format, 'baton-run');
  assert.equal(doc.exitCode, 3);
  assert.deepEqual(doc.notRun, ['pkg.mod.TestC.test_never']);
  assert.deepEqual(doc.results.map((r: { id: string; worker: string; seq: number }) => [r.id, r.worker, r.seq]), [
    ['pkg.mod.TestA.test_ok', 'h/0', 0],
    ['pkg.mod.TestA.test_bad', 'h/1', 0],
    ['pkg.mod.TestB.test_skip', 'h/0', 1],
  ]);
  assert.equal(doc.results[1].attachments[0].text, 'Traceback\nAssertionError: 1 != 2\n');
  assert.equal(readFileSync(file, 'utf8').split('\n').filter((line) => line.startsWith('    {"id":')).length, 3, 'a line per result');

  // A run that ended before any result (every worker refused) is still a document.
  const empty = join(dir, 'empty.json');
  const reporter = new JsonReporter(empty);
  for (const e of events()) if (e.type !== 'testFinished') deliver(reporter, e);
  assert.deepEqual(JSON.parse(readFileSync(empty, 'utf8')).results, []);
});

test('subunit: each result as inprogress, attachments and final status, with its worker tag', () => {
  const chunks: Uint8Array[] = [];
  const reporter = new SubunitReporter({ write: (c: Uint8Array) => chunks.push(c) });
  play(reporter);
  reporter.close();
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
