// Disk trouble, tried as a user would: a full disk under .baton/, a read-only repository
// (a CI cache, another user's), a truncated or overwritten file. Real baton processes on
// real repositories; read-only for root too (chattr +i), a full disk where root may
// mount a tmpfs (packages/store and the coordinator's writer simulate one everywhere).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { syntheticBytes, syntheticTestId } from '../packages/store/src/test-support/streams.js';
import { makeReadOnly, mountFullDisk, overwritePages } from '../packages/store/src/test-support/disk-trouble.js';
import { baton } from '../packages/cli/src/test-support/run-baton.js';
import { makeProject, runBaton, STESTR_CONF, unittestModule } from './utils/baton-process.js';
import { mixedProject } from './utils/projects.js';

/** Every command that only reads the repository. */
const READING: readonly string[][] = [
  ['last'], ['failing', '--list'], ['slowest'], ['stats', '--json'], ['history', syntheticTestId(3)], ['timings', 'export', '-'],
];

/** A Python project whose repository holds one loaded run of 2,000 results (20 failing). */
function projectWithHistory(): { dir: string; db: string } {
  const dir = mixedProject();
  assert.equal(baton(dir, ['init']).status, 0);
  const load = baton(dir, ['load', '-'], syntheticBytes({ results: 2000, failEvery: 100 }));
  assert.equal(load.status, 1, load.stderr);
  return { dir, db: join(dir, '.baton', 'baton.db') };
}

const answers = (dir: string) => READING.map((args) => {
  const r = baton(dir, args);
  return { args, status: r.status, stdout: r.stdout, stderr: r.stderr };
});

describe('a read-only repository', () => {
  for (const what of ['directory', 'file'] as const) {
    test(`(its ${what}): reading commands answer as before; load and run refuse with exit 3, naming it, and write nothing`, async (t: TestContext) => {
      const { dir, db } = projectWithHistory();
      const before = answers(dir);
      const path = what === 'directory' ? join(dir, '.baton') : db;
      const undo = makeReadOnly(path);
      if (undo === undefined) return t.skip('cannot make a path read-only here (root without chattr)');
      t.after(undo);
      const bytes = readFileSync(db);

      assert.deepEqual(answers(dir), before);
      const refusal = new RegExp(`^baton: the repository ${db} cannot be written \\(${path} is (marked immutable|not writable by this user)\\); commands that only read it .* still work`, 'm');
      const load = baton(dir, ['load', '-'], syntheticBytes({ results: 10 }));
      assert.equal(load.status, 3);
      assert.match(load.stderr, refusal);
      const run = await runBaton(dir, ['run', '-j', '1']);
      assert.equal(run.status, 3, run.stderr);
      assert.match(run.stderr, refusal);
      assert.deepEqual(readFileSync(db), bytes, 'nothing written');
    });
  }
});

describe('a damaged repository', () => {
  const damages: [string, (db: string) => void][] = [
    ['truncated', (db) => truncateSync(db, readFileSync(db).length / 2)],
    ['with two pages overwritten in the middle', (db) => overwritePages(db, Math.floor(readFileSync(db).length / 4096 / 2), 2)],
  ];
  for (const [how, damage] of damages) {
    test(`${how}: every command says the same, exit 3, and run writes nothing`, async () => {
      const { dir, db } = projectWithHistory();
      damage(db);
      const bytes = readFileSync(db);
      const said = `baton: the repository ${db} is damaged`;
      const [first, ...rest] = [...answers(dir), { args: ['load'], ...baton(dir, ['load', '-'], syntheticBytes({ results: 10 })) }];
      assert.ok(first!.stderr.startsWith(said), first!.stderr);
      assert.match(first!.stderr, new RegExp(`Move it aside and start a new one: \`mv ${db} ${db}.damaged && baton init\``));
      for (const r of [first!, ...rest]) {
        assert.deepEqual([r.args, r.status, r.stdout, r.stderr], [r.args, 3, '', first!.stderr]);
      }
      const run = await runBaton(dir, ['run', '-j', '1']);
      assert.equal(run.status, 3, run.stderr);
      assert.ok(run.stderr.split('\n').includes(first!.stderr.trimEnd()), run.stderr);
      assert.deepEqual(readFileSync(db), bytes, 'nothing written');
    });
  }
});

describe('a full disk', () => {
  test('a run that fills it ends with exit 3 and a clear message; the results stored before stay readable', async (t: TestContext) => {
    const modules: Record<string, string> = { '.stestr.conf': STESTR_CONF, 'tests/__init__.py': '' };
    for (let m = 0; m < 20; m++) {
      const methods: Record<string, string> = {};
      for (let i = 0; i < 100; i++) methods[`test_${i}_with_a_name_long_enough_to_fill_a_small_disk_soon`] = 'print("captured output " * 10)';
      modules[`tests/test_m${m}.py`] = unittestModule(`TestM${m}`, methods);
    }
    const dir = makeProject(modules, 'baton-full-');
    mkdirSync(join(dir, '.baton'));
    // 640 KiB: room for the first batch of results (WRITE_BATCH, 500) of the 2,000, not the second.
    const unmount = mountFullDisk(join(dir, '.baton'), 640);
    if (unmount === undefined) return t.skip('cannot mount a tmpfs here (needs root)');
    t.after(unmount);
    assert.equal(baton(dir, ['init']).status, 0);

    const run = await runBaton(dir, ['run', '-j', '2']);
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stdout + run.stderr, new RegExp(`the disk holding the repository ${join(dir, '.baton', 'baton.db')} is full .*: results recorded before this stay readable`));
    assert.doesNotMatch(run.stderr, /SqliteError|\n {4}at /, 'no stack trace');
    // The run never ended: `last` says it was cut short, and does not call it a success.
    const last = baton(dir, ['last']);
    assert.equal(last.status, 3, last.stderr);
    assert.match(last.stdout, /^Run 1 \(default\) .*, cut short: process \d+, which recorded it, stopped before finishing; [\d,]+ tests so far: [\d,]+ passed$/m);
  });
});
