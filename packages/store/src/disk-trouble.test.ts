// A full disk, a read-only repository and a damaged file, on real SQLite files.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from './schema.js';
import { SqliteRepository } from './sqlite.js';
import { scratchDatabases } from './test-support/scratch.js';
import { makeReadOnly, overwritePages } from './test-support/disk-trouble.js';
import type { ResultInput } from './types.js';

const { fresh } = scratchDatabases('baton-disk-');
const at = (seconds: number) => ({ seconds: 1_700_000_000 + seconds, nanos: 0 });
const result = (i: number, status: ResultInput['status'] = 'success'): ResultInput => ({
  testId: `pkg.module_${i % 7}.TestCase.test_${i}`, status, start: at(i), stop: at(i + 1), worker: 'w0',
  attachments: [{ name: 'stdout', mimeType: 'text/plain', content: new TextEncoder().encode(`output of ${i} `.repeat(20)) }],
});

/** A repository with one finished run of `count` results (every 10th failing), closed. */
function withRun(file: string, count = 200): void {
  const repo = SqliteRepository.open(file);
  const run = repo.beginRun({ profile: 'default', start: at(0) });
  repo.recordResults(run, Array.from({ length: count }, (_, i) => result(i, i % 10 === 3 ? 'fail' : 'success')));
  repo.finishRun(run, { stop: at(count), exitStatus: 1 });
  repo.close();
}

/** Everything a reading command asks, for comparing a repository before and after. */
function readAll(repo: SqliteRepository) {
  const latest = repo.latestRun('default')!;
  return {
    latest,
    results: repo.results(latest.id).length,
    failing: repo.failing('default').map((f) => f.testId),
    slowest: repo.slowest(latest.id, 3),
    history: repo.history(result(3).testId),
    stats: repo.stats(),
    estimates: repo.estimates([result(1).testId], 'default').known,
    timings: Object.keys(repo.exportTimings().profiles['default'] ?? {}).length,
  };
}

/** `makeReadOnly`, or skips the test where this machine cannot make anything read-only. */
function readOnlyOrSkip(t: TestContext, path: string): boolean {
  const undo = makeReadOnly(path);
  if (undo === undefined) {
    t.skip('cannot make a path read-only here (root without chattr)');
    return false;
  }
  t.after(undo);
  return true;
}

describe('a full disk', () => {
  it('fails the write with BATON_STORE_DISK_FULL, keeps what was committed, and still reads', () => {
    const file = fresh();
    withRun(file, 50);
    const repo = SqliteRepository.open(file);
    const run = repo.beginRun({ profile: 'default', start: at(0) });
    const committed = Array.from({ length: 300 }, (_, i) => result(100 + i));
    repo.recordResults(run, committed);
    // max_page_count, a setting of the repository's own connection, stands in for a full
    // file system (mounting one needs root; test/cli-disk-trouble.test.ts does where it can).
    const db = (repo as unknown as { db: Database.Database }).db;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    assert.throws(() => repo.recordResults(run, Array.from({ length: 500 }, (_, i) => result(1000 + i))), {
      code: 'BATON_STORE_DISK_FULL',
      message: `the disk holding the repository ${file} is full (database or disk is full): results recorded before this stay readable, nothing more could be written; free some space and run again`,
    });
    assert.deepEqual(repo.results(run).map((r) => r.testId), committed.map((r) => r.testId));
    // Folding those in needs pages too: reads go on without them, and say so.
    assert.equal(repo.failing('default').length, 5);
    assert.equal(repo.unfolded, 300);
    repo.close();
  });
});

describe('a read-only repository', () => {
  for (const what of ['directory', 'file'] as const) {
    it(`in a read-only ${what}: reads answer as before, writes are refused naming the ${what}`, (t) => {
      const file = fresh();
      withRun(file);
      const before = SqliteRepository.open(file);
      const expected = readAll(before);
      before.close();
      const path = what === 'directory' ? join(file, '..') : file;
      if (!readOnlyOrSkip(t, path)) return;
      const bytes = readFileSync(file);

      const reason = new RegExp(`^the repository ${file} cannot be written \\(${path} is (marked immutable|not writable by this user)\\); commands that only read it`);
      assert.throws(() => SqliteRepository.open(file), { code: 'BATON_STORE_READ_ONLY', message: reason });
      const repo = SqliteRepository.open(file, { access: 'read' });
      assert.equal(repo.readOnly, true);
      assert.deepEqual(readAll(repo), expected);
      assert.equal(repo.unfolded, 0);
      assert.throws(() => repo.beginRun({ profile: 'default', start: at(0) }), { code: 'BATON_STORE_READ_ONLY' });
      repo.close();
      assert.deepEqual(readFileSync(file), bytes, 'nothing written');
    });
  }

  it('reads what a killed writer committed, saying that timings leave it out', (t) => {
    const file = fresh();
    withRun(file);
    const writer = SqliteRepository.open(file);
    const run = writer.beginRun({ profile: 'default', start: at(0) });
    writer.recordResults(run, [result(1000, 'fail'), result(1001)]);
    writer.close();
    if (!readOnlyOrSkip(t, join(file, '..'))) return;
    const repo = SqliteRepository.open(file, { access: 'read' });
    assert.deepEqual(repo.results(run).map((r) => r.status), ['fail', 'success']);
    assert.equal(repo.failing('default').length, 20);
    assert.equal(repo.unfolded, 2);
    repo.close();
  });

  it('says so when its schema is too old to read without upgrading it', (t) => {
    const file = fresh();
    withRun(file);
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
    db.close();
    if (!readOnlyOrSkip(t, file)) return;
    assert.throws(() => SqliteRepository.open(file, { access: 'read' }), {
      code: 'BATON_STORE_READ_ONLY',
      message: new RegExp(`its schema version ${SCHEMA_VERSION - 1} is older than this baton's \\(${SCHEMA_VERSION}\\) and must be upgraded before it can be read`),
    });
  });
});

describe('a damaged repository', () => {
  const damaged = (file: string) => ({ code: 'BATON_STORE_CORRUPT', message: new RegExp(`^the repository ${file} is damaged \\(SQLite: .+\\); baton will not use it\\. Move it aside`) });

  it('is refused at open, for reading and writing, when pages in the middle were overwritten', () => {
    const file = fresh();
    withRun(file, 2000);
    const pages = readFileSync(file).length / 4096;
    overwritePages(file, Math.floor(pages / 2), 2);
    const bytes = readFileSync(file);
    assert.throws(() => SqliteRepository.open(file), damaged(file));
    assert.throws(() => SqliteRepository.open(file, { access: 'read' }), damaged(file));
    assert.deepEqual(readFileSync(file), bytes, 'nothing written');
  });

  it('is refused at open when truncated', () => {
    const file = fresh();
    withRun(file, 2000);
    truncateSync(file, readFileSync(file).length / 2);
    assert.throws(() => SqliteRepository.open(file, { access: 'read' }), damaged(file));
  });

  it('is checked again once a read runs into damage, however it came', () => {
    const file = fresh();
    withRun(file, 2000);
    const stamp = `${file}.checked`;
    // A clean close stamped it: the next open skips the check.
    assert.ok(existsSync(stamp));
    const repo = SqliteRepository.open(file);
    const pages = readFileSync(file).length / 4096;
    // Under the open repository, where no check can see it coming: its reads find it.
    for (let page = 2; page < pages; page += 4) overwritePages(file, page, 1);
    assert.throws(() => repo.results(1), damaged(file));
    assert.equal(existsSync(stamp), false, 'the stamp is gone');
    repo.close();
    assert.equal(existsSync(stamp), false, 'and a close does not stamp a damaged file');
    assert.throws(() => SqliteRepository.open(file, { access: 'read' }), damaged(file));
  });
});
