import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { FakeClock } from '@baton/protocol/test-kit';
import { SqliteRepository, type ResultInput } from '@baton/store';
import { ResultWriter, WRITE_BATCH, WRITE_INTERVAL_MS } from './writer.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-writer-'));
after(() => rmSync(dir, { recursive: true }));
let files = 0;

const at = { seconds: 1_700_000_000, nanos: 0 };
const result = (i: number): ResultInput => ({
  testId: `pkg.module.TestCase.test_with_a_long_name_${i}`,
  status: 'success',
  start: at,
  stop: at,
  worker: 'w',
  // Room enough that a few batches fill the capped file below.
  attachments: [{ name: 'stdout', mimeType: 'text/plain', content: new TextEncoder().encode(`output ${i} `.repeat(40)) }],
});

/**
 * A repository whose file may not grow: the next pages written fail as on a full disk
 * (SQLITE_FULL). SQLite's max_page_count stands in for a full file system, which needs
 * root to mount; it is a setting of the repository's own connection, hence the reach in.
 */
function fullRepository(): { repo: SqliteRepository; run: number } {
  const repo = SqliteRepository.open(join(dir, `${files++}.db`));
  const run = repo.beginRun({ profile: 'default', start: at });
  const db = (repo as unknown as { db: Database.Database }).db;
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number + 8}`);
  return { repo, run };
}

describe('ResultWriter on a full disk', () => {
  it('reports the failure once, from the timer too, keeps what was committed and leaves the run incomplete', () => {
    const { repo, run } = fullRepository();
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const writer = new ResultWriter(repo, clock, { onError: (e) => errors.push(e) });
    writer.open(run);
    let sent = 0;
    // Small batches, each written by the timer (as results trickle in), until one fails.
    while (errors.length === 0) {
      for (let i = 0; i < 5; i++) writer.add(result(sent++));
      clock.advance(WRITE_INTERVAL_MS);
      assert.ok(sent < 10_000, 'the capped file fills up');
    }
    // More results, a full batch among them, and the close: no second report, no throw.
    for (let i = 0; i < WRITE_BATCH + 3; i++) writer.add(result(sent++));
    clock.advance(WRITE_INTERVAL_MS);
    writer.close({ stop: at, exitStatus: 0 });
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as { code?: string }).code, 'BATON_STORE_DISK_FULL');
    assert.match((errors[0] as Error).message, /the disk holding the repository .* is full .*results recorded before this stay readable/);

    const stored = repo.results(run);
    assert.ok(stored.length >= 5 && stored.length < sent, `${stored.length} of ${sent} stored`);
    stored.forEach((r, i) => assert.equal(r.testId, result(i).testId), 'the results committed, in order');
    assert.equal(repo.run(run)?.complete, false);
    repo.close();
  });

  it('without onError, throws the failure from close rather than from its timer', () => {
    const { repo, run } = fullRepository();
    const clock = new FakeClock();
    const writer = new ResultWriter(repo, clock);
    writer.open(run);
    for (let i = 0; i < 2000; i++) {
      writer.add(result(i));
      if (i % 5 === 4) clock.advance(WRITE_INTERVAL_MS);
    }
    assert.throws(() => writer.close({ stop: at, exitStatus: 0 }), { code: 'BATON_STORE_DISK_FULL' });
    assert.equal(repo.run(run)?.complete, false);
    repo.close();
  });
});
