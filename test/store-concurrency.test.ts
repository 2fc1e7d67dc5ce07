// Two baton processes writing to one repository at the same time: both succeed, neither
// corrupts the file or the other's run, and timings count both.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteRepository } from '@baton/store';
import { syntheticStream, syntheticTestId } from '../packages/store/src/test-support/streams.js';
import { until } from '../packages/store/src/test-support/until.js';
import { baton, initProject, startBaton } from '../packages/cli/src/test-support/run-baton.js';

const N = 6000;

function withRepo<T>(dir: string, fn: (repo: SqliteRepository) => T): T {
  const repo = SqliteRepository.open(join(dir, '.baton', 'baton.db'));
  try {
    return fn(repo);
  } finally {
    repo.close();
  }
}


describe('two baton load processes on one repository', () => {
  it('interleave their batches without losing or corrupting anything', async () => {
    const dir = initProject('baton-concurrent-');
    const streams = [1, 2].map((seed) => [...syntheticStream({ results: N, seed })]);
    const children = [startBaton(dir, ['load', '-', '--profile', 'ci']), startBaton(dir, ['load', '-', '--profile', 'ci'])];
    const outputs = children.map((child) => {
      const out = { stdout: '', stderr: '' };
      child.stdout.setEncoding('utf8').on('data', (s: string) => (out.stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (out.stderr += s));
      return out;
    });
    const exits = children.map((child) => once(child, 'exit'));

    // First halves, then wait until both processes have committed them, so that the
    // second halves are written while both hold an open run: their writes must interleave.
    children.forEach((child, i) => child.stdin.write(Buffer.concat(streams[i]!.slice(0, N / 2))));
    const probe = new Database(join(dir, '.baton', 'baton.db'), { readonly: true });
    const perRun = probe.prepare('SELECT count(*) FROM results GROUP BY run').pluck();
    try {
      await until(() => (perRun.all() as number[]).filter((n) => n === N / 2).length === 2, 'both runs have committed their first half');
    } catch (error) {
      for (const child of children) child.kill();
      throw error;
    } finally {
      probe.close();
    }
    children.forEach((child, i) => child.stdin.end(Buffer.concat(streams[i]!.slice(N / 2))));
    const statuses = (await Promise.all(exits)).map(([code]) => code);

    assert.deepEqual(statuses, [1, 1], JSON.stringify(outputs));
    assert.deepEqual(outputs.map((o) => o.stderr), ['', '']);
    const db = new Database(join(dir, '.baton', 'baton.db'), { readonly: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    const interleaved = db.prepare('SELECT count(DISTINCT run) FROM (SELECT run FROM results ORDER BY rowid LIMIT ?)').pluck().get(N) as number;
    db.close();
    assert.equal(interleaved, 2, 'the first N rows hold results of both runs');

    withRepo(dir, (repo) => {
      for (const run of [1, 2]) {
        const summary = repo.run(run)!;
        assert.deepEqual([summary.complete, summary.partial], [true, false]);
        assert.deepEqual(repo.results(run).map((r) => r.testId), Array.from({ length: N }, (_, i) => syntheticTestId(i)));
      }
      assert.equal(repo.stats().tests, N);
      const exported = repo.exportTimings().profiles.ci!;
      assert.equal(Object.keys(exported).length, N);
      assert.ok(Object.values(exported).every((t) => t.count === 2));
    });
    assert.equal(baton(dir, ['stats', '--json']).status, 0);
  });
});
