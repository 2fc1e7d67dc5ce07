import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MAX_ROWS, MultiRowStatement } from './multi-row.js';

const withDb = (fn: (db: Database.Database) => void) => () => {
  const db = new Database(':memory:');
  try {
    db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 1)');
    fn(db);
  } finally {
    db.close();
  }
};

describe('MultiRowStatement', () => {
  it('writes every row of a batch of any size, in order', withDb((db) => {
    const insert = new MultiRowStatement(db, 'INSERT INTO t (k, v) VALUES', 2);
    const sizes = [0, 1, MAX_ROWS - 1, MAX_ROWS, MAX_ROWS + 1, 3 * MAX_ROWS + 37];
    let next = 0;
    for (const size of sizes) {
      insert.run(Array.from({ length: size }, (_, i) => [next + i, `v${next + i}`]).flat());
      next += size;
    }
    const rows = db.prepare('SELECT k, v FROM t ORDER BY rowid').raw().all();
    assert.deepEqual(rows, Array.from({ length: next }, (_, i) => [i, `v${i}`]));
  }));

  it('lets an upsert see the earlier rows of the same call, as one statement per row would', withDb((db) => {
    const upsert = new MultiRowStatement(db, 'INSERT INTO t (k, v) VALUES', 2, 'ON CONFLICT (k) DO UPDATE SET v = v || excluded.v, n = n + 1');
    upsert.run([1, 'a', 2, 'b', 1, 'c', 1, 'd']);
    assert.deepEqual(db.prepare('SELECT k, v, n FROM t ORDER BY k').raw().all(), [[1, 'acd', 3], [2, 'b', 1]]);
  }));

  it('refuses values that do not make whole rows, writing nothing', withDb((db) => {
    const insert = new MultiRowStatement(db, 'INSERT INTO t (k, v) VALUES', 2);
    assert.throws(() => insert.run([1, 'a', 2]), { name: 'RangeError', message: '3 values do not make rows of 2' });
    assert.equal(db.prepare('SELECT count(*) FROM t').pluck().get(), 0);
  }));
});
