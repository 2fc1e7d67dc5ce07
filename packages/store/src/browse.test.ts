import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteRepository } from './sqlite.js';
import type { ResultInput, ResultStatus } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-browse-'));
after(() => rmSync(dir, { recursive: true }));
let n = 0;
const fresh = (): SqliteRepository => SqliteRepository.open(join(dir, `${n++}.db`));
const at = (seconds: number) => ({ seconds: 1_700_000_000 + seconds, nanos: 0 });
const result = (testId: string, status: ResultStatus, start: number, worker = 'h/0'): ResultInput =>
  ({ testId, status, start: at(start), stop: at(start + 1), worker });

/** One run of `profile` holding `results`, started `start` seconds in, of the selection whose digest is `selection`. */
function record(repo: SqliteRepository, profile: string, results: ResultInput[], start = 0, selection?: string): number {
  const run = repo.beginRun({ profile, start: at(start), ...(selection === undefined ? {} : { selectionDigest: selection }) });
  repo.recordResults(run, results);
  repo.finishRun(run, { stop: at(10) });
  return run;
}

describe('browsing a repository', () => {
  it('pages runs newest first, per profile, with the id of the last as the next cursor', () => {
    const repo = fresh();
    const ids = [1, 2, 3, 4, 5].map((i) => record(repo, i % 2 ? 'odd' : 'even', [result(`t.${i}`, 'success', 0)]));
    assert.deepEqual(repo.runPage({ limit: 2 }).map((r) => r.id), [ids[4], ids[3]]);
    assert.deepEqual(repo.runPage({ limit: 2, before: ids[3] }).map((r) => r.id), [ids[2], ids[1]]);
    assert.deepEqual(repo.runPage({ limit: 10, profile: 'odd' }).map((r) => r.id), [ids[4], ids[2], ids[0]]);
    assert.deepEqual(repo.runPage({ limit: 10, profile: 'none' }), []);
    assert.deepEqual(repo.runPage({ limit: 1 })[0]?.counts, { success: 1 });
    repo.close();
  });

  it('pages a run\'s results in recorded order, filtered by status or test, with the total that matches', () => {
    const repo = fresh();
    const traceback = { name: 'traceback', mimeType: 'text/plain', content: new TextEncoder().encode('boom') };
    const run = record(repo, 'p', [
      result('t.a', 'success', 0), result('t.b', 'fail', 1), result('t.c', 'skip', 2),
      { ...result('t.d', 'fail', 3, 'h/1'), attachments: [traceback] }, result('t.e', 'success', 4),
    ]);
    const all = repo.resultPage(run, { offset: 1, limit: 2 });
    assert.equal(all.total, 5);
    assert.deepEqual(all.results.map((r) => r.testId), ['t.b', 't.c']);
    const failed = repo.resultPage(run, { offset: 0, limit: 10, statuses: ['fail', 'uxsuccess'] });
    assert.equal(failed.total, 2);
    assert.deepEqual(failed.results.map((r) => [r.testId, r.worker, r.attachments.length]), [['t.b', 'h/0', 0], ['t.d', 'h/1', 1]]);
    const one = repo.resultPage(run, { offset: 0, limit: 10, testId: 't.d' });
    assert.deepEqual(one.results.map((r) => new TextDecoder().decode(r.attachments[0]?.content)), ['boom']);
    assert.deepEqual(repo.resultPage(run, { offset: 0, limit: 10, testId: 't.zzz' }), { total: 0, results: [] });
    repo.close();
  });

  it('hands a run\'s spans back with times in µs, worker and seq, and no attachments', () => {
    const repo = fresh();
    const run = record(repo, 'p', [result('t.a', 'success', 0, 'h/0'), result('t.b', 'fail', 0, 'h/1'), { testId: 't.c', status: 'inprogress' }]);
    assert.deepEqual(repo.spans(run), [
      { testId: 't.a', status: 'success', startUs: 1_700_000_000e6, stopUs: 1_700_000_001e6, worker: 'h/0', seq: 0 },
      { testId: 't.b', status: 'fail', startUs: 1_700_000_000e6, stopUs: 1_700_000_001e6, worker: 'h/1', seq: 0 },
      { testId: 't.c', status: 'inprogress', startUs: undefined, stopUs: undefined, worker: undefined, seq: 0 },
    ]);
    assert.deepEqual(repo.spans(run + 1), []);
    repo.close();
  });

  it('finds tests that both passed and failed in the latest runs, most flips first; skips and other profiles do not count', () => {
    const repo = fresh();
    // Oldest first: flappy flips three times, once-broken once, steady never; skippy fails and is skipped.
    const outcomes: Record<string, ResultStatus[]> = {
      'flappy': ['success', 'fail', 'success', 'fail'],
      'once': ['success', 'success', 'fail', 'fail'],
      'steady': ['success', 'success', 'success', 'success'],
      'skippy': ['fail', 'skip', 'fail', 'skip'],
      'xfailing': ['xfail', 'uxsuccess', 'xfail', 'xfail'],
    };
    const runs: number[] = [];
    for (let i = 0; i < 4; i++) {
      runs.push(record(repo, 'p', Object.entries(outcomes).map(([id, s]) => result(id, s[i]!, i)), i));
      record(repo, 'other', [result('steady', 'fail', i)]);
    }
    const started = 1_700_000_000e6;
    assert.deepEqual(repo.flaky('p', 10, 10), [
      { testId: 'flappy', results: 4, failures: 2, flips: 3, passedOnRetry: 0, lastFailedRun: runs[3], lastFailedUs: started + 3e6 },
      { testId: 'xfailing', results: 4, failures: 1, flips: 2, passedOnRetry: 0, lastFailedRun: runs[1], lastFailedUs: started + 1e6 },
      { testId: 'once', results: 4, failures: 2, flips: 1, passedOnRetry: 0, lastFailedRun: runs[3], lastFailedUs: started + 3e6 },
    ]);
    // Only the latest two runs: flappy flipped once there, once failed in both.
    assert.deepEqual(repo.flaky('p', 2, 10).map((f) => [f.testId, f.flips]), [['flappy', 1]]);
    assert.deepEqual(repo.flaky('p', 10, 1).map((f) => f.testId), ['flappy']);
    assert.deepEqual(repo.flaky('other', 10, 10), []);
    repo.close();
  });

  it('counts a test flaky only when it both passed and failed in runs of one selection', () => {
    const repo = fresh();
    // 'ordered' fails whenever the whole suite runs and passes when run alone: not flaky
    // but order-dependent. 'coin' flips within the whole-suite selection.
    record(repo, 'p', [result('ordered', 'fail', 0), result('coin', 'success', 0)], 0, 'all');
    record(repo, 'p', [result('ordered', 'success', 1)], 1, 'ordered-alone');
    record(repo, 'p', [result('ordered', 'fail', 2), result('coin', 'fail', 2)], 2, 'all');
    record(repo, 'p', [result('ordered', 'success', 3)], 3, 'ordered-alone');
    assert.deepEqual(repo.flaky('p', 10, -1).map((f) => [f.testId, f.results, f.failures]), [['coin', 2, 1]]);
    repo.close();
  });

  it('counts a test that passed only when tried again (--retries) flaky from one run, its failed attempts among its outcomes', () => {
    const repo = fresh();
    const retried = (testId: string, start: number): ResultInput => ({ ...result(testId, 'fail', start), retried: true });
    const first = record(repo, 'p', [retried('rerun', 0), { ...result('rerun', 'success', 1, 'h/1'), attempt: 2 }, result('steady', 'success', 0)], 0);
    // Failing after every attempt is no flakiness.
    record(repo, 'p', [retried('broken', 2), { ...result('broken', 'fail', 3, 'h/1'), attempt: 2 }, result('rerun', 'success', 2)], 2);
    assert.deepEqual(repo.flaky('p', 10, -1), [
      { testId: 'rerun', results: 3, failures: 1, flips: 1, passedOnRetry: 1, lastFailedRun: first, lastFailedUs: 1_700_000_000e6 },
    ]);
    repo.close();
  });
});
