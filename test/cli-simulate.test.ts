// `baton simulate`: the scheduler and its baselines in virtual time, from a workload file.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeProject, runBaton } from './utils/baton-process.js';

/** 200 tests whose history is stale: every tenth test is now 20× slower than recorded. */
function staleWorkload(): object {
  const tests = Array.from({ length: 200 }, (_, i) => {
    const estimate = 0.05 + (i % 17) * 0.03;
    return { id: `pkg.mod${i % 5}.T.test_${i}`, estimate, duration: i % 10 === 0 ? estimate * 20 : estimate };
  });
  return { tests, workers: 8, latency: 0.002 };
}

test('simulate compares baton with the baselines against the lower bound (text and --json)', async () => {
  const dir = makeProject({});
  writeFileSync(join(dir, 'w.json'), JSON.stringify(staleWorkload()));
  const text = await runBaton(dir, ['simulate', '--workload', 'w.json']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^200 tests, 1 segment, 8 workers, /);
  assert.match(text.stdout, /^baton +[\d.]+ +[\d.]+/m);
  assert.match(text.stdout, /stestr = stestr 3\.2\.1 partition_tests/);
  const json = await runBaton(dir, ['simulate', '--workload', 'w.json', '--json']);
  const report = JSON.parse(json.stdout) as { lowerBound: number; results: { policy: string; makespan: number; lost: number }[] };
  const by = new Map(report.results.map((r) => [r.policy, r]));
  assert.deepEqual([...by.keys()].sort(), ['baton', 'round-robin', 'stestr', 'worksteal']);
  for (const r of report.results) {
    assert.ok(r.makespan >= report.lowerBound - 1e-9, `${r.policy} cannot beat the lower bound`);
    assert.equal(r.lost, 0);
  }
  // Stale history is where online dispatch pays: the static partition cannot react.
  assert.ok(by.get('baton')!.makespan < by.get('stestr')!.makespan, 'baton beats stestr on stale history');
  assert.ok(by.get('baton')!.makespan < by.get('round-robin')!.makespan, 'baton beats a static round-robin');
});

test('a bad workload is refused with every problem and its JSON path (exit 2)', async () => {
  const dir = makeProject({ 'bad.json': JSON.stringify({ tests: [{ id: 'a', duration: 'x' }, { id: 'a', duration: 1 }], workers: 0 }) });
  const r = await runBaton(dir, ['simulate', '--workload', 'bad.json']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /\$\.tests\[0\]\.duration/);
  assert.match(r.stderr, /BATON_WORKLOAD_DUPLICATE_TEST/);
  assert.match(r.stderr, /\$\.workers/);
});

test('simulate --help shows the workload format, and its example is a workload simulate runs', async () => {
  const dir = makeProject({});
  const help = await runBaton(dir, ['simulate', '--help']);
  assert.equal(help.status, 0, help.stderr);
  const example = /A workload file is JSON:\n([^]*?\})\n[a-z]/.exec(help.stdout)?.[1];
  assert.ok(example !== undefined, help.stdout);
  assert.match(help.stdout, /"Workload files" in the README of @baton\/scheduler/);
  writeFileSync(join(dir, 'example.json'), example);
  const r = await runBaton(dir, ['simulate', '--workload', 'example.json', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { results: unknown[] }).results.length, 4);
});
