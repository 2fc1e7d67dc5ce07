// The one contract both repositories must meet. Every test runs against the SQLite
// repository (on a temporary file) and the in-memory twin.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Timestamp } from '@baton/subunit';
import { MemoryRepository } from './memory.js';
import { SqliteRepository } from './sqlite.js';
import type { ResultInput, RunRepository, TimingsFile } from './types.js';

const implementations: [string, () => { repo: RunRepository; dispose(): void }][] = [
  ['SqliteRepository', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-store-'));
    const repo = SqliteRepository.open(join(dir, 'baton.db'));
    return { repo, dispose: () => (repo.close(), rmSync(dir, { recursive: true })) };
  }],
  ['MemoryRepository', () => ({ repo: new MemoryRepository(), dispose() {} })],
];

const T0 = 1_700_000_000;
const at = (seconds: number, nanos = 0): Timestamp => ({ seconds: T0 + seconds, nanos });
/** A result that took `duration` seconds, starting at `start` seconds. */
const result = (testId: string, status: ResultInput['status'], start: number, duration: number, extra: Partial<ResultInput> = {}): ResultInput =>
  ({ testId, status, start: at(start), stop: at(start + duration), ...extra });

for (const [name, make] of implementations) {
  describe(`RunRepository contract: ${name}`, () => {
    const withRepo = (fn: (repo: RunRepository) => void) => () => {
      const { repo, dispose } = make();
      try {
        fn(repo);
      } finally {
        dispose();
      }
    };

    it('keeps a run incomplete until finishRun, then records how it ended', withRepo((repo) => {
      const run = repo.beginRun({ profile: 'py311', start: at(0), source: 'a.subunit', workers: 2, planDigest: 'p1', selectionDigest: 's1', writer: { host: 'ci-7', pid: 4242 } });
      repo.recordResults(run, [result('t.a', 'success', 0, 1), result('t.b', 'fail', 0, 1), result('t.c', 'fail', 1, 1)]);
      assert.equal(repo.run(run)?.complete, false);
      repo.finishRun(run, { stop: at(5), exitStatus: 1, partial: true });
      assert.deepEqual(repo.run(run), {
        id: run, profile: 'py311', start: at(0), stop: at(5), source: 'a.subunit',
        selectionDigest: 's1', planDigest: 'p1', workers: 2, known: undefined, exitStatus: 1, writer: { host: 'ci-7', pid: 4242 },
        complete: true, partial: true, lowerBound: undefined, counts: { success: 1, fail: 2 },
      });
      assert.equal(repo.hasSource('a.subunit'), true);
      assert.equal(repo.hasSource('b.subunit'), false);
      assert.equal(repo.run(run + 1), undefined);
      assert.equal(repo.run(repo.beginRun({ profile: 'py311', start: at(6) }))?.writer, undefined);
    }));

    it('keeps the lower bound a run ended with, and the test server processes its slots continued on, in order', withRepo((repo) => {
      const run = repo.beginRun({ profile: 'p', start: at(0) });
      repo.recordProcessStarts(run, [{ worker: 'h/1', cause: 'fresh', asked: at(1, 500_000_000), ready: at(1, 506_123_000), from: at(2) }]);
      repo.recordProcessStarts(run, [
        { worker: 'h/0', cause: 'restart', asked: at(3), ready: at(3, 40_000_000), from: at(3, 41_000_000) },
        { worker: 'h/1', cause: 'fresh', asked: at(4), ready: at(4, 5_000_000), from: at(5) },
      ]);
      repo.finishRun(run, { stop: at(6), lowerBound: 4.25 });
      assert.equal(repo.run(run)?.lowerBound, 4.25);
      assert.deepEqual(repo.processStarts(run).map((p) => [p.run, p.worker, p.cause, p.asked, p.ready, p.from]), [
        [run, 'h/1', 'fresh', at(1, 500_000_000), at(1, 506_123_000), at(2)],
        [run, 'h/0', 'restart', at(3), at(3, 40_000_000), at(3, 41_000_000)],
        [run, 'h/1', 'fresh', at(4), at(4, 5_000_000), at(5)],
      ]);
      assert.deepEqual(repo.processStarts(run + 1), []);
      assert.throws(() => repo.recordProcessStarts(run + 1, [{ worker: 'h/0', cause: 'fresh', asked: at(0), ready: at(0), from: at(0) }]), { code: 'BATON_STORE_NO_SUCH_RUN' });
    }));

    it('finds the latest complete run without history of the same selection and workers, the one a run with history is measured against', withRepo((repo) => {
      const begin = (known: number, selectionDigest: string, start: number) => repo.beginRun({ profile: 'default', start: at(start), selectionDigest, known });
      const cold = begin(0, 's', 0);
      repo.finishRun(cold, { stop: at(9), workers: 4 });
      const otherSelection = begin(0, 'other', 10);
      repo.finishRun(otherSelection, { stop: at(19), workers: 4 });
      const otherWorkers = begin(0, 's', 20);
      repo.finishRun(otherWorkers, { stop: at(29), workers: 2 });
      const unfinished = begin(0, 's', 30);
      const warm = begin(5, 's', 40);
      repo.finishRun(warm, { stop: at(45), workers: 4 });
      assert.equal(repo.run(cold)?.known, 0);
      assert.equal(repo.run(cold)?.workers, 4, 'the workers the end reported');
      assert.equal(repo.run(unfinished)?.complete, false);
      assert.equal(repo.latestRunWithoutHistory('default', { before: warm, selectionDigest: 's', workers: 4 })?.id, cold);
      assert.equal(repo.latestRunWithoutHistory('default', { before: warm, selectionDigest: 's', workers: 2 })?.id, otherWorkers);
      assert.equal(repo.latestRunWithoutHistory('default', { before: cold, selectionDigest: 's', workers: 4 }), undefined, 'only earlier runs');
      assert.equal(repo.latestRunWithoutHistory('py311', { before: warm, selectionDigest: 's', workers: 4 }), undefined, 'only its profile');
      const later = begin(0, 's', 50);
      repo.finishRun(later, { stop: at(58), workers: 4 });
      assert.equal(repo.latestRunWithoutHistory('default', { before: later + 1, selectionDigest: 's', workers: 4 })?.id, later, 'the latest');
      assert.equal(repo.run(warm)?.known, 5);
    }));

    it('returns results in recorded order with a seq per worker, tags and attachments', withRepo((repo) => {
      const run = repo.beginRun({ profile: 'default', start: at(0) });
      const traceback = { name: 'traceback', mimeType: 'text/x-traceback; charset=utf8', content: new TextEncoder().encode('Traceback…\n'.repeat(100)) };
      repo.recordResults(run, [
        result('t.a', 'success', 0, 1, { worker: 'w0', tags: ['worker-0'] }),
        result('t.b', 'success', 0, 2, { worker: 'w1' }),
      ]);
      repo.recordResults(run, [
        result('t.c', 'fail', 1, 1, { worker: 'w0', attachments: [traceback, { name: 'stdout', mimeType: undefined, content: new Uint8Array([0, 0xb3, 255]) }] }),
        { testId: 't.d', status: 'inprogress' },
      ]);
      const stored = repo.results(run);
      assert.deepEqual(stored.map((r) => [r.testId, r.worker, r.seq]), [['t.a', 'w0', 0], ['t.b', 'w1', 0], ['t.c', 'w0', 1], ['t.d', undefined, 0]]);
      assert.deepEqual(stored[0]?.tags, ['worker-0']);
      assert.deepEqual(stored[2]?.attachments, [traceback, { name: 'stdout', mimeType: undefined, content: new Uint8Array([0, 0xb3, 255]) }]);
      assert.deepEqual(stored[3], { run, testId: 't.d', status: 'inprogress', start: undefined, stop: undefined, worker: undefined, seq: 0, tags: [], attachments: [] });
    }));

    it('keeps failed attempts that were tried again apart from results, in their workers\' sequences', withRepo((repo) => {
      const run = repo.beginRun({ profile: 'default', start: at(0) });
      const tb = { name: 'traceback', mimeType: 'text/plain', content: new TextEncoder().encode('AssertionError') };
      repo.recordResults(run, [
        result('t.flaky', 'fail', 0, 1, { worker: 'w0', retried: true, attachments: [tb] }),
        result('t.a', 'success', 1, 1, { worker: 'w0' }),
        result('t.flaky', 'success', 1, 1, { worker: 'w1', attempt: 2 }),
        result('t.broken', 'fail', 2, 1, { worker: 'w1', retried: true }),
      ]);
      repo.recordResults(run, [
        result('t.broken', 'fail', 3, 1, { worker: 'w0', attempt: 2, retried: true }),
        result('t.broken', 'fail', 4, 1, { worker: 'w1', attempt: 3 }),
      ]);
      // One result per test, the last attempt, with its number.
      assert.deepEqual(repo.results(run).map((r) => [r.testId, r.status, r.worker, r.seq, r.attempt]), [
        ['t.a', 'success', 'w0', 1, undefined],
        ['t.flaky', 'success', 'w1', 0, 2],
        ['t.broken', 'fail', 'w1', 2, 3],
      ]);
      const attempts = repo.attempts(run);
      assert.deepEqual(attempts.map((r) => [r.testId, r.status, r.worker, r.seq, r.attempt]), [
        ['t.flaky', 'fail', 'w0', 0, 1],
        ['t.broken', 'fail', 'w1', 1, 1],
        ['t.broken', 'fail', 'w0', 2, 2],
      ]);
      assert.deepEqual(attempts[0]?.attachments, [tb]);
      assert.deepEqual(repo.run(run)?.counts, { success: 2, fail: 1 }, 'attempts are not results');
      assert.deepEqual(repo.failing('default').map((f) => f.testId), ['t.broken'], 'the failing set follows results');
      assert.equal(repo.estimates(['t.flaky'], 'default').known.get('t.flaky'), 1, 'timings follow results');
      assert.equal(repo.stats().results, 3);
      assert.deepEqual(repo.attempts(run + 1), []);
      // A test's history says how many attempts failed before each of its results.
      assert.deepEqual(['t.flaky', 't.broken', 't.a'].map((id) => repo.history(id).map((h) => [h.status, h.failedAttempts])), [[['success', 1]], [['fail', 2]], [['success', 0]]]);
    }));

    it('keeps timestamps to the microsecond', withRepo((repo) => {
      const run = repo.beginRun({ profile: 'default', start: at(0, 123_456_789) });
      repo.recordResults(run, [{ testId: 't', status: 'success', start: at(1, 999_999_999), stop: at(2, 1_500) }]);
      assert.deepEqual(repo.run(run)?.start, at(0, 123_456_000));
      assert.deepEqual([repo.results(run)[0]?.start, repo.results(run)[0]?.stop], [at(1, 999_999_000), at(2, 1_000)]);
    }));

    it('smooths estimates per profile and splits known from unknown ids', withRepo((repo) => {
      const a = repo.beginRun({ profile: 'py311', start: at(0) });
      repo.recordResults(a, [result('t.a', 'success', 0, 1), result('t.b', 'fail', 0, 4), { testId: 't.untimed', status: 'success' }]);
      const b = repo.beginRun({ profile: 'py311', start: at(10) });
      repo.recordResults(b, [result('t.a', 'success', 10, 2)]);
      const c = repo.beginRun({ profile: 'py312', start: at(20) });
      repo.recordResults(c, [result('t.a', 'success', 20, 10)]);

      const e = repo.estimates(['t.a', 't.b', 't.untimed', 't.new'], 'py311');
      assert.deepEqual([...e.known.keys()].sort(), ['t.a', 't.b']);
      assert.ok(Math.abs(e.known.get('t.a')! - 1.3) < 1e-9, `EWMA of 1 then 2 is 1.3, got ${e.known.get('t.a')}`);
      assert.equal(e.known.get('t.b'), 4);
      assert.deepEqual(e.unknown, ['t.untimed', 't.new']);
      assert.deepEqual([...repo.estimates(['t.a'], 'py312').known], [['t.a', 10]]);
      assert.deepEqual(repo.estimates(['t.a'], 'nope'), { known: new Map(), unknown: ['t.a'] });
    }));

    it('keeps a failing set per profile from the latest result of each test', withRepo((repo) => {
      const a = repo.beginRun({ profile: 'py311', start: at(0) });
      const tb = { name: 'traceback', mimeType: 'text/plain', content: new TextEncoder().encode('boom') };
      repo.recordResults(a, [result('t.a', 'fail', 0, 1, { attachments: [tb] }), result('t.b', 'fail', 0, 1), result('t.c', 'uxsuccess', 0, 1), { testId: 't.d', status: 'inprogress' }, result('t.e', 'xfail', 0, 1)]);
      const b = repo.beginRun({ profile: 'py311', start: at(10) });
      repo.recordResults(b, [result('t.b', 'success', 10, 1)]);
      const c = repo.beginRun({ profile: 'py312', start: at(20) });
      repo.recordResults(c, [result('t.a', 'success', 20, 1), result('t.z', 'fail', 20, 1)]);

      const failing = repo.failing('py311');
      assert.deepEqual(failing.map((f) => f.testId), ['t.a', 't.c', 't.d']);
      assert.deepEqual(failing[0]?.result?.attachments, [tb]);
      assert.equal(failing[0]?.result?.run, a);
      assert.deepEqual(repo.failing('py312').map((f) => f.testId), ['t.z']);
      assert.deepEqual(repo.failing('none'), []);
    }));

    it('answers a test history across profiles, or in one', withRepo((repo) => {
      const a = repo.beginRun({ profile: 'py311', start: at(0) });
      repo.recordResults(a, [result('t.a', 'success', 0, 1.5, { worker: '0' }), result('t.b', 'success', 0, 1)]);
      const b = repo.beginRun({ profile: 'py312', start: at(10) });
      repo.recordResults(b, [result('t.a', 'fail', 10, 2)]);
      assert.deepEqual(repo.history('t.a'), [
        { run: a, profile: 'py311', status: 'success', duration: 1.5, start: at(0), worker: '0', failedAttempts: 0 },
        { run: b, profile: 'py312', status: 'fail', duration: 2, start: at(10), worker: undefined, failedAttempts: 0 },
      ]);
      assert.deepEqual(repo.history('t.a', 'py312').map((h) => h.run), [b]);
      assert.deepEqual(repo.history('t.none'), []);
    }));

    it('lists the slowest tests of a run', withRepo((repo) => {
      const run = repo.beginRun({ profile: 'default', start: at(0) });
      repo.recordResults(run, [result('t.a', 'success', 0, 1), result('t.b', 'fail', 0, 3), result('t.c', 'success', 0, 2), { testId: 't.d', status: 'success' }]);
      assert.deepEqual(repo.slowest(run, 2), [{ testId: 't.b', duration: 3, status: 'fail' }, { testId: 't.c', duration: 2, status: 'success' }]);
      assert.deepEqual(repo.slowest(run).map((s) => s.testId), ['t.b', 't.c', 't.a']);
    }));

    it('summarises profiles and the repository', withRepo((repo) => {
      const a = repo.beginRun({ profile: 'py312', start: at(0) });
      repo.recordResults(a, [result('t.a', 'fail', 0, 1), result('t.b', 'success', 0, 1)]);
      repo.finishRun(a, { stop: at(2) });
      const b = repo.beginRun({ profile: 'py311', start: at(10) });
      repo.recordResults(b, [result('t.a', 'success', 10, 1)]);
      assert.deepEqual(repo.profiles(), [
        { name: 'py311', runs: 1, tests: 1, failing: 0, latestRun: b },
        { name: 'py312', runs: 1, tests: 2, failing: 1, latestRun: a },
      ]);
      assert.deepEqual(repo.stats(), { runs: 2, incompleteRuns: 1, results: 3, tests: 2, profiles: repo.profiles() });
      assert.equal(repo.latestRun('py312')?.id, a);
      assert.equal(repo.latestRun('py313'), undefined);
    }));

    it('exports timings that another repository imports to the same estimates', withRepo((repo) => {
      const run = repo.beginRun({ profile: 'py311', start: at(0) });
      repo.recordResults(run, [result('t.a', 'success', 0, 1), result('t.a', 'success', 1, 2), result('t.b', 'fail', 0, 4)]);
      const file = repo.exportTimings();
      assert.deepEqual(file.profiles.py311?.['t.b'], {
        estimate: 4, last: 4, count: 1, failures: 1, lastStatus: 'fail', lastRun: undefined, updated: (T0 + 4) * 1e6,
      });
      const { repo: other, dispose } = make();
      try {
        assert.equal(other.importTimings(JSON.parse(JSON.stringify(file)) as TimingsFile), 2);
        assert.deepEqual(other.estimates(['t.a', 't.b'], 'py311'), repo.estimates(['t.a', 't.b'], 'py311'));
        assert.deepEqual(other.failing('py311'), [{ testId: 't.b', result: undefined }]);
        assert.deepEqual(other.exportTimings(), file);
      } finally {
        dispose();
      }
    }));

    it('merges imported timings: the newer record wins, counts take the larger side, re-import changes nothing', withRepo((repo) => {
      const run = repo.beginRun({ profile: 'p', start: at(0) });
      repo.recordResults(run, [result('t.old', 'success', 0, 1), result('t.new', 'success', 0, 1)]);
      const theirs = (estimate: number, updated: number) => ({ estimate, last: estimate, count: 7, failures: 0, lastStatus: 'success' as const, lastRun: undefined, updated });
      const file: TimingsFile = { format: 'baton-timings', version: 1, profiles: { p: {
        't.old': theirs(9, (T0 - 100) * 1e6), 't.new': theirs(5, (T0 + 100) * 1e6), 't.only': theirs(3, T0 * 1e6),
      } } };
      repo.importTimings(file);
      const once = repo.exportTimings();
      repo.importTimings(file);
      assert.deepEqual(repo.exportTimings(), once);
      assert.deepEqual(Object.fromEntries(repo.estimates(['t.old', 't.new', 't.only'], 'p').known), { 't.old': 1, 't.new': 5, 't.only': 3 });
      assert.equal(once.profiles.p?.['t.old']?.count, 7);
      assert.deepEqual(repo.exportTimings(['other']), { format: 'baton-timings', version: 1, profiles: {} });
    }));

    it('refuses a malformed timings file with its JSON path, changing nothing', withRepo((repo) => {
      const bad = { format: 'baton-timings', version: 1, profiles: { p: { 't.a': { count: -1, failures: 0, lastStatus: 'success' } } } };
      assert.throws(() => repo.importTimings(bad as unknown as TimingsFile), {
        code: 'BATON_STORE_BAD_TIMINGS',
        message: /\$\.profiles\["p"\]\["t\.a"\] \.count is not a non-negative integer/,
      });
      assert.deepEqual(repo.profiles(), []);
    }));

    it('records into an earlier run (--combine): its id and start stay, each test recorded again replaces its result there', withRepo((repo) => {
      const first = repo.beginRun({ profile: 'p', start: at(0), selectionDigest: 's1', known: 0, writer: { host: 'gone', pid: 1 } });
      repo.recordResults(first, [result('t.a', 'success', 0, 1, { worker: 'w0' }), result('t.b', 'fail', 1, 1, { worker: 'w0' }), result('t.c', 'success', 0, 2, { worker: 'w1' })]);
      repo.finishRun(first, { stop: at(3), exitStatus: 1, workers: 2, partial: true });
      const other = repo.beginRun({ profile: 'q', start: at(4) });
      repo.finishRun(other, { stop: at(5) });

      const writer = { host: 'here', pid: 2 };
      assert.equal(repo.beginRun({ profile: 'p', start: at(10), into: first, selectionDigest: 's2', writer }), first);
      assert.deepEqual([repo.run(first)?.complete, repo.run(first)?.stop, repo.run(first)?.known, repo.run(first)?.writer], [false, undefined, undefined, writer]);
      repo.recordResults(first, [result('t.b', 'success', 10, 1, { worker: 'w0' }), result('t.d', 'fail', 10, 1, { worker: 'w0' })]);
      repo.finishRun(first, { stop: at(12), exitStatus: 1 });

      const run = repo.run(first)!;
      assert.deepEqual([run.start, run.stop, run.selectionDigest, run.exitStatus, run.workers, run.complete], [at(0), at(12), 's2', 1, 2, true]);
      assert.equal(run.partial, true, 'what its damaged input lost is still lost');
      assert.deepEqual(run.counts, { success: 3, fail: 1 });
      assert.deepEqual(repo.results(first).map((r) => [r.testId, r.status, r.worker, r.seq]), [
        ['t.a', 'success', 'w0', 0], ['t.c', 'success', 'w1', 0], ['t.b', 'success', 'w0', 2], ['t.d', 'fail', 'w0', 3],
      ]);
      assert.deepEqual(repo.failing('p').map((f) => f.testId), ['t.d']);
      assert.deepEqual(repo.history('t.b').map((h) => [h.run, h.status]), [[first, 'success']], 'the replaced result leaves the test\'s history');
      assert.equal(repo.latestRun('p')?.id, first);

      assert.throws(() => repo.beginRun({ profile: 'p', start: at(20), into: other }), { code: 'BATON_STORE_NO_SUCH_RUN', message: `the repository holds no run ${other} of profile p` });
      const live = repo.beginRun({ profile: 'p', start: at(20), writer: { host: hostname(), pid: process.pid } });
      assert.throws(() => repo.beginRun({ profile: 'p', start: at(21), into: live }), { code: 'BATON_STORE_RUN_IN_PROGRESS' });
    }));

    it('refuses results for a run it does not hold', withRepo((repo) => {
      assert.throws(() => repo.recordResults(42, [result('t', 'success', 0, 1)]), { code: 'BATON_STORE_NO_SUCH_RUN', message: 'the repository holds no run 42' });
      assert.throws(() => repo.finishRun(42, { stop: at(0) }), { code: 'BATON_STORE_NO_SUCH_RUN' });
    }));
  });
}
