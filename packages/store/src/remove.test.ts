import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteRepository } from './sqlite.js';
import type { ResultInput, ResultStatus } from './types.js';
import { thisProcess } from './writer.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-remove-'));
after(() => rmSync(dir, { recursive: true }));
let n = 0;
const fresh = (): SqliteRepository => SqliteRepository.open(join(dir, `${n++}.db`));
const at = (seconds: number) => ({ seconds: 1_700_000_000 + seconds, nanos: 0 });
const result = (testId: string, status: ResultStatus, start: number, seconds = 1): ResultInput =>
  ({ testId, status, start: at(start), stop: at(start + seconds), worker: 'h/0' });

function record(repo: SqliteRepository, profile: string, results: ResultInput[]): number {
  const run = repo.beginRun({ profile, start: at(0) });
  repo.recordResults(run, results);
  repo.finishRun(run, { stop: at(10) });
  return run;
}

describe('removing runs', () => {
  it('takes a run\'s results out of histories, the failing set and `last`, keeping the other runs whole', () => {
    const repo = fresh();
    const first = record(repo, 'p', [result('t.a', 'success', 0), result('t.b', 'fail', 0)]);
    const second = record(repo, 'p', [result('t.a', 'fail', 1), { ...result('t.b', 'fail', 1), retried: true }, { ...result('t.b', 'success', 1), attempt: 2 }, result('t.new', 'fail', 1)]);
    const other = record(repo, 'q', [result('t.a', 'fail', 2)]);
    const fork = { worker: 'h/0', cause: 'fresh', asked: at(1), ready: at(1), from: at(2) } as const;
    repo.recordProcessStarts(first, [fork]);
    repo.recordProcessStarts(second, [fork, fork]);
    assert.deepEqual(repo.failing('p').map((f) => f.testId), ['t.a', 't.new']);

    assert.equal(repo.attempts(second).length, 1);
    assert.equal(repo.removeRuns([second]), 3);
    assert.equal(repo.run(second), undefined);
    assert.deepEqual(repo.results(second), []);
    assert.deepEqual(repo.processStarts(second), [], 'its process starts went with it');
    assert.equal(repo.processStarts(first).length, 1);
    assert.deepEqual(repo.attempts(second), [], 'its failed attempts go with it');
    assert.equal(repo.latestRun('p')?.id, first);
    // t.a passed and t.b failed last in what remains; t.new has no result left in p.
    assert.deepEqual(repo.failing('p').map((f) => [f.testId, f.result?.run]), [['t.b', first]]);
    assert.deepEqual(repo.history('t.a').map((h) => [h.run, h.status]), [[first, 'success'], [other, 'fail']]);
    assert.deepEqual(repo.history('t.new'), []);
    assert.deepEqual(repo.estimates(['t.a', 't.new'], 'p').unknown, ['t.new']);
    assert.deepEqual(repo.failing('q').map((f) => f.testId), ['t.a']);
    assert.equal(repo.stats().results, 3);
    repo.close();
  });

  it('folds the results recorded after a removal of the latest run', () => {
    const repo = fresh();
    record(repo, 'p', [result('t.a', 'success', 0)]);
    const latest = record(repo, 'p', [result('t.a', 'success', 1), result('t.b', 'success', 1)]);
    repo.removeRuns([latest]);
    // The next results may take the rowids the removed ones had.
    const next = record(repo, 'p', [result('t.a', 'fail', 2), result('t.b', 'fail', 2)]);
    assert.deepEqual(repo.failing('p').map((f) => [f.testId, f.result?.run]), [['t.a', next], ['t.b', next]]);
    assert.deepEqual(repo.history('t.b').map((h) => h.run), [next]);
    repo.close();
  });

  it('refuses an unknown run before removing any', () => {
    const repo = fresh();
    const run = record(repo, 'p', [result('t.a', 'success', 0)]);
    assert.throws(() => repo.removeRuns([run, run + 5]), (e: any) => e.code === 'BATON_STORE_NO_SUCH_RUN' && e.message.includes(`${run + 5}`));
    assert.equal(repo.run(run)?.id, run);
    assert.equal(repo.history('t.a').length, 1);
    repo.close();
  });

  it('refuses a run still being recorded by a live process', () => {
    const repo = fresh();
    const run = repo.beginRun({ profile: 'p', start: at(0), writer: thisProcess() });
    repo.stage(run, result('t.a', 'success', 0));
    assert.throws(() => repo.removeRuns([run]), (e: any) => e.code === 'BATON_STORE_RUN_IN_PROGRESS');
    repo.recordResults(run, [result('t.a', 'success', 0)]);
    repo.finishRun(run, { stop: at(1) });
    assert.equal(repo.removeRuns([run]), 1);
    repo.close();
  });
});

describe('bisections', () => {
  it('keep their prefix, state and per-candidate evidence, and go with their run', () => {
    const repo = fresh();
    const run = record(repo, 'p', [result('t.a', 'success', 0), result('t.b', 'success', 0), result('t.victim', 'fail', 0)]);
    assert.equal(repo.bisection(run, 't.victim'), undefined);
    const id = repo.beginBisection({ run, testId: 't.victim', worker: 'h/0', prefix: ['t.a', 't.b'], state: { step: 1 }, start: at(5) });
    repo.recordBisection(id, { candidate: '0-1', failed: false, state: { step: 2 }, seconds: 0.5, at: at(6) });
    repo.recordBisection(id, { candidate: '0-1', failed: true, state: { step: 3 }, seconds: 0.25, at: at(7) });
    repo.recordBisection(id, { candidate: '', failed: false, state: { step: 4 }, seconds: 0.25, at: at(8) });
    const stored = repo.bisection(run, 't.victim')!;
    assert.equal(stored.id, id);
    assert.deepEqual(stored.prefix, ['t.a', 't.b']);
    assert.deepEqual(stored.state, { step: 4 });
    assert.equal(stored.outcome, undefined);
    assert.deepEqual([...stored.evidence], [['', { runs: 1, failures: 0 }], ['0-1', { runs: 2, failures: 1 }]]);
    assert.equal(stored.executions, 3);
    assert.equal(stored.seconds, 1);
    assert.deepEqual([stored.started, stored.updated], [at(5), at(8)]);
    // One per run and test.
    assert.throws(() => repo.beginBisection({ run, testId: 't.victim', worker: undefined, prefix: [], state: {}, start: at(9) }));

    repo.concludeBisection(id, { culprits: ['t.a'] }, at(9));
    assert.deepEqual(repo.bisection(run, 't.victim')?.outcome, { culprits: ['t.a'] });
    repo.removeRuns([run]);
    assert.equal(repo.bisection(run, 't.victim'), undefined);
    repo.close();
  });

  it('can be forgotten, to start over', () => {
    const repo = fresh();
    const run = record(repo, 'p', [result('t.victim', 'fail', 0)]);
    const id = repo.beginBisection({ run, testId: 't.victim', worker: undefined, prefix: [], state: {}, start: at(1) });
    repo.recordBisection(id, { candidate: '', failed: true, state: {}, seconds: 0.1, at: at(2) });
    repo.forgetBisection(id);
    assert.equal(repo.bisection(run, 't.victim'), undefined);
    repo.beginBisection({ run, testId: 't.victim', worker: undefined, prefix: [], state: {}, start: at(3) });
    assert.deepEqual([...repo.bisection(run, 't.victim')!.evidence], []);
    repo.close();
  });
});
