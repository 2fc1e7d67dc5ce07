// baton's subunit codec against the real peer: Debian's python-subunit tools must agree
// with what baton reads from stestr's streams, and must read what baton writes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { aggregate, decodeAll, encodePackets, type TestResult } from '@baton/subunit';
import { generateRun } from './utils/generated-run.js';
import { pythonTimeToMicros, runPython, runTool, subunitCsv } from './utils/python-tools.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'subunit');
const STREAMS = ['small-mixed.subunit', 'small-mixed-live.subunit', 'stestr-run.subunit', 'stestr-run-live.subunit'];

function read(name: string): { bytes: Buffer; results: TestResult[] } {
  const bytes = readFileSync(join(FIXTURES, name));
  const decoded = decodeAll(bytes);
  assert.deepEqual(decoded.errors, [], `${name} decodes cleanly`);
  return { bytes, results: aggregate(decoded.packets).results };
}

const micros = (t: { seconds: number; nanos: number } | undefined) => (t ? t.seconds * 1e6 + Math.floor(t.nanos / 1000) : NaN);

/** subunit2csv's status words: it folds uxsuccess into success and calls fail "failure". */
const CSV_STATUS: Record<string, string> = { success: 'success', uxsuccess: 'success', fail: 'failure', skip: 'skip', xfail: 'xfail' };

for (const name of STREAMS) {
  test(`${name}: the same test ids, in the same order, as subunit-ls`, () => {
    const { bytes, results } = read(name);
    const ls = runTool('subunit-ls', ['--no-passthrough'], bytes);
    assert.equal(ls.stderr, '');
    assert.equal(ls.status, results.some((r) => r.status === 'fail' || r.status === 'uxsuccess') ? 1 : 0, 'exit status: 1 when a test failed');
    const expected = ls.stdout.toString('utf8').split('\n').filter(Boolean);
    assert.ok(expected.length >= 20);
    assert.deepEqual(results.map((r) => r.id), expected);
  });

  test(`${name}: the same statuses, start and stop times as subunit2csv`, () => {
    const { bytes, results } = read(name);
    const rows = subunitCsv(bytes);
    assert.equal(results.length, rows.length);
    rows.forEach((row, i) => {
      const r = results[i]!;
      assert.equal(r.id, row.test);
      assert.equal(CSV_STATUS[r.status ?? ''], row.status, r.id);
      assert.equal(micros(r.start), pythonTimeToMicros(row.start), `${r.id} start`);
      assert.equal(micros(r.stop), pythonTimeToMicros(row.stop), `${r.id} stop`);
    });
  });
}

test('stestr-run-live.subunit: the 2263 tests, 3 failures and the stdout of no test, as the README of the fixtures says', () => {
  const bytes = readFileSync(join(FIXTURES, 'stestr-run-live.subunit'));
  const { results, listed, output } = aggregate(decodeAll(bytes).packets);
  assert.equal(results.length, 2263);
  assert.equal(results.filter((r) => r.status === 'fail').length, 3);
  assert.equal(new Set(listed).size, 2263, 'every test was announced with exists');
  const stdout = output.filter((o) => o.attachment.name === 'stdout');
  const ids = new Set(results.map((r) => r.id));
  const ls = runTool('subunit-ls', [], bytes).stdout.toString('utf8').split('\n');
  const passthrough = ls.filter((line) => !ids.has(line)).join('\n').trimEnd();
  assert.equal(passthrough.split('\n').length, 13, 'subunit-ls prints 13 lines of stray output');
  assert.equal(stdout.map((o) => new TextDecoder().decode(o.attachment.content)).join('').trimEnd(), passthrough);
});

test('small-mixed.subunit: the counts subunit-stats reports', () => {
  const { bytes, results } = read('small-mixed.subunit');
  const stats = runTool('subunit-stats', ['--no-passthrough'], bytes).stdout.toString('utf8');
  const count = (s: string) => Number(new RegExp(`${s}:\\s+(\\d+)`).exec(stats)![1]);
  const passed = results.filter((r) => r.status === 'success' || r.status === 'xfail' || r.status === 'uxsuccess').length;
  assert.deepEqual(
    [results.length, passed, results.filter((r) => r.status === 'fail').length, results.filter((r) => r.status === 'skip').length],
    [count('Total tests'), count('Passed tests'), count('Failed tests'), count('Skipped tests')],
  );
  assert.deepEqual([count('Total tests'), count('Passed tests'), count('Failed tests'), count('Skipped tests')], [20, 16, 2, 2]);
});

// What baton writes.
const RUN = generateRun(200);
const STREAM = encodePackets(RUN.packets);

test('subunit-ls lists every test baton wrote, with its duration', () => {
  const ls = runTool('subunit-ls', ['--times', '--no-passthrough'], STREAM);
  assert.equal(ls.stderr, '');
  const lines = ls.stdout.toString('utf8').split('\n').filter(Boolean);
  assert.deepEqual(
    lines,
    RUN.tests.map((t) => `${t.id} ${((t.stopMicros - t.startMicros) / 1e6).toFixed(3)}`),
  );
});

test('subunit-stats counts baton output exactly', () => {
  const out = runTool('subunit-stats', ['--no-passthrough'], STREAM).stdout.toString('utf8');
  const by = (s: string) => RUN.tests.filter((t) => t.status === s).length;
  assert.match(out, new RegExp(`Total tests:\\s+${RUN.tests.length}\\n`));
  assert.match(out, new RegExp(`Passed tests:\\s+${by('success') + by('xfail') + by('uxsuccess')}\\n`));
  assert.match(out, new RegExp(`Failed tests:\\s+${by('fail')}\\n`));
  assert.match(out, new RegExp(`Skipped tests:\\s+${by('skip')}\\n`));
  assert.match(out, /Seen tags: worker-0, worker-1/);
});

test('subunit2junitxml turns baton output into the expected JUnit, tracebacks and skip reasons included', () => {
  const junit = runTool('subunit2junitxml', ['--no-passthrough'], STREAM);
  assert.equal(junit.status, 1, 'exits 1 because some tests failed');
  const xml = junit.stdout.toString('utf8');
  const by = (s: string) => RUN.tests.filter((t) => t.status === s);
  const suite = /<testsuite errors="(\d+)" failures="(\d+)" name="" tests="(\d+)"/.exec(xml);
  assert.ok(suite, xml.slice(0, 300));
  // subunit2junitxml counts an unexpected success as a failure.
  assert.deepEqual(suite.slice(1).map(Number), [0, by('fail').length + by('uxsuccess').length, RUN.tests.length]);
  for (const t of RUN.tests) {
    const dot = t.id.lastIndexOf('.');
    const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    assert.ok(xml.includes(`<testcase classname="${attr(t.id.slice(0, dot))}" name="${attr(t.id.slice(dot + 1))}" time="${((t.stopMicros - t.startMicros) / 1e6).toFixed(3)}"`), t.id);
  }
  for (const t of by('fail')) assert.ok(xml.includes(t.traceback!.trim().split('\n').at(-1)!), `traceback of ${t.id}`);
  for (const t of by('skip')) assert.ok(xml.includes(`<skipped>${t.reason}</skipped>`), `reason of ${t.id}`);
});

test("python-subunit re-encodes baton's stream to the very same bytes", () => {
  // Read with ByteStreamToStreamResult, write back with StreamResultToBytes: every packet
  // baton wrote must survive byte for byte (one tag per packet, so set order cannot vary).
  const code = [
    'import sys, subunit.v2 as v2',
    'out = v2.StreamResultToBytes(sys.stdout.buffer)',
    'v2.ByteStreamToStreamResult(sys.stdin.buffer).run(out)',
  ].join('\n');
  const r = runPython(code, STREAM);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(Buffer.compare(r.stdout, Buffer.from(STREAM)), 0);
});

test('python-subunit reports the byte baton marks corrupt as a parser error too', () => {
  const bytes = Buffer.from(STREAM.subarray(0, 4000));
  const at = decodeAll(bytes).offsets[10]!;
  bytes[at + 5]! ^= 0x01;
  const ours = decodeAll(bytes).errors;
  assert.equal(ours[0]?.code, 'BATON_SUBUNIT_BAD_CRC');
  assert.equal(ours[0]?.offset, at);
  const ls = runTool('subunit-ls', ['--no-passthrough'], bytes);
  assert.match(ls.stdout.toString('utf8'), /subunit\.parser/);
});
