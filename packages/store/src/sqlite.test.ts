import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { hashTestId } from './estimate-index.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import { MemoryRepository } from './memory.js';
import { ESTIMATES_SQL, SqliteRepository } from './sqlite.js';
import { EWMA_ALPHA } from './timing.js';
import type { ResultInput } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-sqlite-'));
after(() => rmSync(dir, { recursive: true }));
let n = 0;
const fresh = (): string => join(dir, `${n++}.db`);
const at = (seconds: number) => ({ seconds: 1_700_000_000 + seconds, nanos: 0 });

/** A database at schema `version`, as an older baton left it. */
function atVersion(file: string, version: number): Database.Database {
  const db = new Database(file);
  db.function('baton_hash', (name: unknown) => hashTestId(String(name)));
  for (const sql of MIGRATIONS.slice(0, version)) db.exec(sql);
  db.pragma(`user_version = ${version}`);
  return db;
}

describe('SqliteRepository', () => {
  it('creates the schema at the current version, in WAL mode with foreign keys', () => {
    const file = fresh();
    SqliteRepository.open(file).close();
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.deepEqual(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all(), ['attempts', 'bisect_evidence', 'bisections', 'estimate_index', 'fold_state', 'process_starts', 'profile_state', 'results', 'runs', 'test_results', 'tests', 'timings']);
    db.close();
    const repo = SqliteRepository.open(file);
    assert.equal(repo.schemaVersion, SCHEMA_VERSION);
    repo.close();
  });

  it('migrates a database of an older schema, keeping what it holds', () => {
    const file = fresh();
    const db = atVersion(file, 1);
    db.prepare("INSERT INTO runs (profile, start_us) VALUES ('p', 0)").run();
    db.prepare("INSERT INTO tests (name) VALUES ('t.a')").run();
    db.prepare("INSERT INTO timings (profile, test, estimate, count, failures, last_status) VALUES ('p', 1, 1.5, 1, 0, 3)").run();
    db.close();
    const repo = SqliteRepository.open(file);
    assert.equal(repo.schemaVersion, SCHEMA_VERSION);
    assert.equal(repo.latestRun('p')?.id, 1);
    assert.equal(repo.latestRun('p')?.lowerBound, undefined, 'a run recorded before bounds were kept has none');
    assert.deepEqual(repo.processStarts(1), []);
    assert.deepEqual([...repo.estimates(['t.a'], 'p').known], [['t.a', 1.5]]);
    repo.close();
    const migrated = new Database(file, { readonly: true });
    assert.equal(migrated.prepare('SELECT hash FROM timings').pluck().get(), hashTestId('t.a'));
    migrated.close();
  });

  it('upgrades a version 3 repository, keeping its failing set, without reading its old estimate index, and indexes again after the next run', () => {
    const file = fresh();
    const db = atVersion(file, 3);
    db.prepare("INSERT INTO tests (name) VALUES ('t.a')").run();
    db.prepare("INSERT INTO tests (name) VALUES ('t.failed')").run();
    db.prepare("INSERT INTO timings (profile, test, estimate, count, failures, last_status, hash) VALUES ('p', 1, 1.5, 1, 0, 3, ?), ('p', 2, NULL, 0, 1, 6, ?)").run(hashTestId('t.a'), hashTestId('t.failed'));
    // Version 3's layout: 16 slots of keys then 16 of values; this one says 99 s.
    const old = new Float64Array(32);
    const key = hashTestId('t.a');
    old[key & 15] = key;
    old[16 + (key & 15)] = 99;
    db.prepare("INSERT INTO profile_state VALUES ('p', 1, 1, ?)").run(Buffer.from(old.buffer));
    db.close();

    const repo = SqliteRepository.open(file);
    assert.equal(repo.schemaVersion, SCHEMA_VERSION);
    assert.deepEqual(repo.estimates(['t.a', 't.b'], 'p'), { known: new Map([['t.a', 1.5]]), unknown: ['t.b'] });
    assert.deepEqual(repo.failing('p'), [{ testId: 't.failed', result: undefined }]);
    const run = repo.beginRun({ profile: 'p', start: at(0) });
    repo.recordResults(run, [{ testId: 't.b', status: 'success', start: at(0), stop: at(2) }]);
    repo.finishRun(run, { stop: at(2) });
    repo.close();
    const upgraded = new Database(file, { readonly: true });
    assert.equal(upgraded.prepare('SELECT count(*) FROM estimate_index JOIN profile_state USING (profile, generation)').pluck().get(), 1);
    upgraded.close();
    const reopened = SqliteRepository.open(file);
    assert.deepEqual(reopened.estimates(['t.a', 't.b'], 'p'), { known: new Map([['t.a', 1.5], ['t.b', 2]]), unknown: [] });
    reopened.close();
  });

  it('upgrades a version 5 repository: histories and timings read as before, nothing folded twice', () => {
    const file = fresh();
    const db = atVersion(file, 5);
    db.exec(`
      INSERT INTO runs (profile, start_us) VALUES ('p', 0), ('p', 10000000);
      INSERT INTO tests (name) VALUES ('t.a'), ('t.b');
      INSERT INTO results (run, test, status, start_us, stop_us, seq) VALUES (1, 1, 3, 0, 1000000, 0), (1, 2, 6, 0, 1000000, 1), (2, 1, 3, 10000000, 12000000, 0);
      INSERT INTO timings (profile, test, estimate, last_duration, count, failures, last_status, last_run, updated_us)
        VALUES ('p', 1, 1.3, 2, 2, 0, 3, 2, 12000000), ('p', 2, 1, 1, 1, 1, 6, 1, 1000000);`);
    db.close();
    const repo = SqliteRepository.open(file);
    assert.deepEqual(repo.history('t.a').map((h) => [h.run, h.duration]), [[1, 1], [2, 2]]);
    assert.deepEqual(repo.failing('p').map((f) => [f.testId, f.result?.run]), [['t.b', 1]]);
    assert.deepEqual(repo.estimates(['t.a', 't.b'], 'p'), { known: new Map([['t.a', 1.3], ['t.b', 1]]), unknown: [] });
    assert.equal(repo.exportTimings().profiles.p?.['t.a']?.count, 2);
    const run = repo.beginRun({ profile: 'q', start: at(20) });
    repo.recordResults(run, [{ testId: 't.a', status: 'success', start: at(20), stop: at(23) }]);
    repo.finishRun(run, { stop: at(23) });
    assert.deepEqual(repo.estimates(['t.a'], 'q'), { known: new Map([['t.a', 3]]), unknown: [] });
    repo.close();
  });

  it('folds the results of a writer killed mid-run into timings and histories for the next reader, once', () => {
    const file = fresh();
    const killed = SqliteRepository.open(file);
    const a = killed.beginRun({ profile: 'p', start: at(0) });
    killed.recordResults(a, [{ testId: 't.a', status: 'success', start: at(0), stop: at(1) }, { testId: 't.b', status: 'fail', start: at(0), stop: at(4) }]);
    killed.recordResults(a, [{ testId: 't.a', status: 'success', start: at(1), stop: at(3) }]);
    killed.close();

    const next = SqliteRepository.open(file);
    for (let read = 0; read < 2; read++) {
      assert.deepEqual(next.estimates(['t.a', 't.b'], 'p'), { known: new Map([['t.a', 1.3], ['t.b', 4]]), unknown: [] });
      assert.deepEqual(next.failing('p').map((f) => [f.testId, f.result?.run]), [['t.b', a]]);
      assert.deepEqual(next.history('t.a').map((h) => h.duration), [1, 2]);
      assert.equal(next.exportTimings().profiles.p?.['t.a']?.count, 2);
    }
    const b = next.beginRun({ profile: 'p', start: at(10) });
    next.recordResults(b, [{ testId: 't.a', status: 'success', start: at(10), stop: at(14) }]);
    next.finishRun(b, { stop: at(14) });
    const smoothed = 1 + EWMA_ALPHA * (2 - 1);
    assert.deepEqual([...next.estimates(['t.a'], 'p').known], [['t.a', smoothed + EWMA_ALPHA * (4 - smoothed)]]);
    assert.deepEqual(next.history('t.a').map((h) => h.run), [a, a, b]);
    next.close();
  });

  it('keeps timings to the bit of the in-memory twin, whatever the batches, orders and repeats', () => {
    const memory = new MemoryRepository();
    const sqlite = SqliteRepository.open(fresh());
    const statuses = ['success', 'fail', 'skip', 'success', 'xfail', 'inprogress'] as const;
    let seed = 12345;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (const profile of ['p', 'q', 'p']) {
      const runs = [memory, sqlite].map((repo) => repo.beginRun({ profile, start: at(0) }));
      for (let batch = 0; batch < 12; batch++) {
        const results = Array.from({ length: 1 + next(40) }, (): ResultInput => {
          const start = next(1000) * 1000 + next(999);
          const timed = next(5) > 0;
          return { testId: `t.${next(25)}`, status: statuses[next(statuses.length)]!, start: timed ? at(start / 1e3) : undefined, stop: timed ? at(start / 1e3 + next(5000) / 1e3) : undefined };
        });
        memory.recordResults(runs[0]!, results);
        sqlite.recordResults(runs[1]!, results);
      }
      assert.deepEqual(sqlite.exportTimings(), memory.exportTimings());
      memory.finishRun(runs[0]!, { stop: at(5) });
      sqlite.finishRun(runs[1]!, { stop: at(5) });
    }
    assert.deepEqual(sqlite.exportTimings(), memory.exportTimings());
    assert.deepEqual(sqlite.failing('p'), memory.failing('p'));
    assert.deepEqual(sqlite.history('t.3'), memory.history('t.3'));
    sqlite.close();
  });

  it('continues the seq of each worker when another connection records into an open run', () => {
    const file = fresh();
    const first = SqliteRepository.open(file);
    const run = first.beginRun({ profile: 'default', start: at(0) });
    first.recordResults(run, [{ testId: 'a', status: 'success', worker: 'w' }, { testId: 'b', status: 'success' }]);
    first.close();
    const second = SqliteRepository.open(file);
    second.recordResults(run, [{ testId: 'c', status: 'success', worker: 'w' }, { testId: 'd', status: 'success' }]);
    assert.deepEqual(second.results(run).map((r) => [r.testId, r.seq]), [['a', 0], ['b', 0], ['c', 1], ['d', 1]]);
    second.close();
  });

  it('keeps one id per test across connections, so a history spans runs that different processes wrote', () => {
    const file = fresh();
    const first = SqliteRepository.open(file);
    const a = first.beginRun({ profile: 'p', start: at(0) });
    first.recordResults(a, [{ testId: 't.a', status: 'success', start: at(0), stop: at(1) }, { testId: 't.b', status: 'success' }]);
    first.close();
    const second = SqliteRepository.open(file);
    const b = second.beginRun({ profile: 'p', start: at(10) });
    second.recordResults(b, [{ testId: 't.b', status: 'fail' }, { testId: 't.c', status: 'success' }, { testId: 't.a', status: 'success', start: at(10), stop: at(12) }]);
    assert.equal(second.stats().tests, 3);
    assert.deepEqual(second.history('t.a').map((h) => [h.run, h.duration]), [[a, 1], [b, 2]]);
    assert.deepEqual(second.failing('p').map((f) => f.testId), ['t.b']);
    assert.deepEqual([...second.estimates(['t.a'], 'p').known], [['t.a', 1.3]]);
    second.close();
  });

  it('looks estimates up id by id through the indexes, never scanning a table', () => {
    const file = fresh();
    SqliteRepository.open(file).close();
    const db = new Database(file, { readonly: true });
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${ESTIMATES_SQL}`).all('[]', 'p') as { detail: string }[]).map((r) => r.detail);
    db.close();
    assert.deepEqual(plan, [
      'SCAN j VIRTUAL TABLE INDEX 1:',
      'SEARCH t USING COVERING INDEX sqlite_autoindex_tests_1 (name=?) LEFT-JOIN',
      'SEARCH tm USING PRIMARY KEY (profile=? AND test=?) LEFT-JOIN',
    ]);
  });

  it('answers estimates from the index once a run finishes, and from SQL while one is recording', () => {
    const file = fresh();
    const repo = SqliteRepository.open(file);
    const indexValid = () => {
      const db = new Database(file, { readonly: true });
      const valid = db.prepare('SELECT count(*) FROM estimate_index JOIN profile_state USING (profile, generation)').pluck().get();
      db.close();
      return valid === 1;
    };
    const ids = ['a', 'b', 'c'];
    const run = repo.beginRun({ profile: 'p', start: at(0) });
    repo.recordResults(run, [{ testId: 'a', status: 'success', start: at(0), stop: at(2) }, { testId: 'b', status: 'success' }]);
    assert.equal(indexValid(), false);
    const bySql = repo.estimates(ids, 'p');
    repo.finishRun(run, { stop: at(3) });
    assert.equal(indexValid(), true);
    assert.deepEqual(repo.estimates(ids, 'p'), bySql);
    assert.deepEqual(bySql, { known: new Map([['a', 2]]), unknown: ['b', 'c'] });

    const next = repo.beginRun({ profile: 'p', start: at(10) });
    repo.recordResults(next, [{ testId: 'a', status: 'success', start: at(10), stop: at(14) }]);
    assert.equal(indexValid(), false);
    assert.deepEqual([...repo.estimates(['a'], 'p').known], [['a', 2.6]]);
    repo.finishRun(next, { stop: at(15) });
    assert.deepEqual([...repo.estimates(['a'], 'p').known], [['a', 2.6]]);
    repo.importTimings({ format: 'baton-timings', version: 1, profiles: { p: { c: { estimate: 7, last: 7, count: 1, failures: 0, lastStatus: 'success', lastRun: undefined, updated: 1 } } } });
    assert.equal(indexValid(), true);
    assert.deepEqual(repo.estimates(ids, 'p'), { known: new Map([['a', 2.6], ['c', 7]]), unknown: ['b'] });
    repo.close();
  });

  it('indexes every estimate of a profile larger than one page of rows', () => {
    const repo = SqliteRepository.open(fresh());
    const timing = (estimate: number) => ({ estimate, last: estimate, count: 1, failures: 0, lastStatus: 'success' as const, lastRun: undefined, updated: 1 });
    const tests = Object.fromEntries(Array.from({ length: 25_000 }, (_, i) => [`t.${i}`, timing(i / 8)]));
    repo.importTimings({ format: 'baton-timings', version: 1, profiles: { big: tests } });
    const { known, unknown } = repo.estimates([...Object.keys(tests), 't.none'], 'big');
    assert.deepEqual(unknown, ['t.none']);
    assert.deepEqual(known, new Map(Object.entries(tests).map(([id, t]) => [id, t.estimate])));
    repo.close();
  });

  it('refuses a database from a newer baton', () => {
    const file = fresh();
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => SqliteRepository.open(file), { code: 'BATON_STORE_TOO_NEW', message: new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer than this baton understands \\(${SCHEMA_VERSION}\\); upgrade baton`) });
  });

  it('reports a file that is not a database as damaged', () => {
    const file = fresh();
    writeFileSync(file, 'not a database, just text that is long enough to have a header.'.repeat(20));
    assert.throws(() => SqliteRepository.open(file), { code: 'BATON_STORE_CORRUPT', message: new RegExp(`the repository ${file} is damaged \\(SQLite: file is not a database\\)`) });
  });
});
