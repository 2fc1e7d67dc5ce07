import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from './schema.js';
import { ESTIMATES_SQL, SqliteRepository } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-sqlite-'));
after(() => rmSync(dir, { recursive: true }));
let n = 0;
const fresh = (): string => join(dir, `${n++}.db`);
const at = (seconds: number) => ({ seconds: 1_700_000_000 + seconds, nanos: 0 });

describe('SqliteRepository', () => {
  it('creates the schema at the current version, in WAL mode with foreign keys', () => {
    const file = fresh();
    SqliteRepository.open(file).close();
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.deepEqual(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all(), ['results', 'runs', 'tests', 'timings']);
    db.close();
    const repo = SqliteRepository.open(file);
    assert.equal(repo.schemaVersion, SCHEMA_VERSION);
    repo.close();
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

  it('looks estimates up id by id through the indexes, never scanning a table', () => {
    const file = fresh();
    SqliteRepository.open(file).close();
    const db = new Database(file, { readonly: true });
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${ESTIMATES_SQL}`).all('[]', 'p') as { detail: string }[]).map((r) => r.detail);
    db.close();
    assert.deepEqual(plan, [
      'SCAN j VIRTUAL TABLE INDEX 1:',
      'SEARCH t USING COVERING INDEX sqlite_autoindex_tests_1 (name=?)',
      'SEARCH tm USING PRIMARY KEY (profile=? AND test=?)',
    ]);
  });

  it('refuses a database from a newer baton', () => {
    const file = fresh();
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => SqliteRepository.open(file), { code: 'BATON_STORE_TOO_NEW', message: /schema version 2, newer than this baton understands \(1\); upgrade baton/ });
  });

  it('reports a file that is not a database as unusable', () => {
    const file = fresh();
    writeFileSync(file, 'not a database, just text that is long enough to have a header.'.repeat(20));
    assert.throws(() => SqliteRepository.open(file), { code: 'BATON_STORE_UNUSABLE', message: new RegExp(`cannot use the repository ${file}: file is not a database`) });
  });
});
