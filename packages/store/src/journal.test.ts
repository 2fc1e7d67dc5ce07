// The run journal: a writer killed between two batches loses none of the results it staged.
// The writer is a real child process, killed with SIGKILL.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { journalPath } from './journal.js';
import { SqliteRepository } from './sqlite.js';
import { scratchDatabases } from './test-support/scratch.js';
import type { ResultInput } from './types.js';

const { fresh } = scratchDatabases('baton-journal-');
const at = (seconds: number) => ({ seconds: 1_700_000_000 + seconds, nanos: 5_000 });
const result = (i: number): ResultInput => ({
  testId: `pkg.mod.T.test_${i}`,
  status: i % 5 === 0 ? 'fail' : 'success',
  start: at(i),
  stop: at(i + 1),
  worker: `w${i % 2}`,
  ...(i % 3 === 0 && { tags: ['worker-0'] }),
  ...(i % 5 === 0 && { attachments: [{ name: 'traceback', mimeType: 'text/plain; charset=utf8', content: new TextEncoder().encode(`Traceback ${i}\n`.repeat(40)) }] }),
  // Failed attempts tried again (--retries), and results of second attempts.
  ...(i % 7 === 3 && { status: 'fail', attempt: 1, retried: true }),
  ...(i % 7 === 4 && { attempt: 2 }),
});
/** The ids of the first `n` results, and of the attempts among them. */
const idsOf = (n: number): { results: string[]; attempts: string[] } => {
  const all = Array.from({ length: n }, (_, i) => result(i));
  return { results: all.filter((r) => !r.retried).map((r) => r.testId), attempts: all.filter((r) => r.retried).map((r) => r.testId) };
};

/**
 * A child process that begins a run, stages and records its results in the given steps
 * (`stage n`: the next n results are staged; `record n`: the next n staged ones are
 * recorded in one batch), and is then killed with SIGKILL: a coordinator killed inside its
 * writer's window.
 */
function killedWriter(file: string, ...steps: Step[]): void {
  killedWriterInto(file, undefined, ...steps);
}

type Step = [step: 'stage' | 'record', count: number];

/** `killedWriter` recording into an earlier run (`RunStart.into`), as `baton run --combine` does. */
function killedWriterInto(file: string, into: number | undefined, ...steps: Step[]): void {
  const sqlite = fileURLToPath(new URL('./sqlite.ts', import.meta.url));
  const script = `
    const { SqliteRepository } = await import(${JSON.stringify(sqlite)});
    const at = (seconds) => ({ seconds: 1_700_000_000 + seconds, nanos: 5_000 });
    const result = ${result.toString()};
    const repo = SqliteRepository.open(${JSON.stringify(file)});
    const run = repo.beginRun({ profile: 'default', start: at(0), ...${JSON.stringify(into === undefined ? {} : { into })} });
    let staged = 0, recorded = 0;
    for (const [step, count] of ${JSON.stringify(steps)}) {
      const next = Array.from({ length: count }, (_, i) => result((step === 'stage' ? staged : recorded) + i));
      if (step === 'stage') for (const r of next) repo.stage(run, r);
      else repo.recordResults(run, next);
      if (step === 'stage') staged += count; else recorded += count;
    }
    process.kill(process.pid, 'SIGKILL');`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.signal, 'SIGKILL', child.stderr);
}

const comparable = (r: ResultInput) => ({
  testId: r.testId, status: r.status, start: r.start, stop: r.stop, worker: r.worker,
  tags: r.tags ?? [], attachments: r.attachments ?? [], attempt: r.attempt,
});

describe('run journal', () => {
  it('stores, at the next open, every result a killed writer staged but had not recorded', () => {
    const file = fresh();
    killedWriter(file, ['stage', 50], ['record', 20]);
    const repo = SqliteRepository.open(file);
    const run = repo.latestRun('default')!;
    assert.equal(run.complete, false);
    const results = repo.results(run.id);
    const all = Array.from({ length: 50 }, (_, i) => result(i));
    assert.deepEqual(results.map(comparable), all.filter((r) => !r.retried).map(comparable));
    assert.deepEqual(repo.attempts(run.id).map(comparable), all.filter((r) => r.retried).map(comparable));
    // Per-worker order, results and attempts alike, continues across the recovered tail.
    const w1 = [...results, ...repo.attempts(run.id)].filter((r) => r.worker === 'w1').map((r) => r.seq);
    assert.deepEqual(w1.sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i));
    assert.equal(existsSync(journalPath(file, run.id)), false);
    // The recovered results teach the next run their durations.
    assert.equal(repo.estimates([result(49).testId], 'default').known.size, 1);
    repo.close();
  });

  it('stores nothing twice when the killed writer had recorded everything it staged', () => {
    const file = fresh();
    killedWriter(file, ['stage', 30], ['record', 30]);
    const repo = SqliteRepository.open(file);
    assert.equal(repo.results(repo.latestRun('default')!.id).length, idsOf(30).results.length);
    repo.close();
  });

  it('empties the journal once all it holds is committed, and recovers the right tail after many batches', () => {
    const file = fresh();
    killedWriter(file, ['stage', 30], ['record', 30], ['stage', 15], ['record', 15], ['stage', 20], ['record', 10]);
    const journal = readFileSync(journalPath(file, 1), 'utf8').trim().split('\n');
    assert.equal(journal.length, 1 + 20, 'the header and the 20 results staged since the last time all were committed');
    const repo = SqliteRepository.open(file);
    assert.deepEqual({ results: repo.results(1).map((r) => r.testId), attempts: repo.attempts(1).map((r) => r.testId) }, idsOf(65));
    repo.close();
  });

  it('recovers the tail of a run recorded into an earlier one, after the results that run held', () => {
    const file = fresh();
    const first = SqliteRepository.open(file);
    const run = first.beginRun({ profile: 'default', start: at(0) });
    first.recordResults(run, Array.from({ length: 12 }, (_, i) => ({ ...result(i + 100), worker: 'w9' })));
    first.finishRun(run, { stop: at(1), exitStatus: 0 });
    first.close();
    killedWriterInto(file, run, ['stage', 30], ['record', 10]);
    const repo = SqliteRepository.open(file);
    assert.equal(repo.run(run)!.complete, false, 'cut short, so nothing it held was replaced');
    const held = Array.from({ length: 12 }, (_, i) => result(i + 100)).filter((r) => !r.retried).map((r) => r.testId);
    assert.deepEqual(repo.results(run).map((r) => r.testId), [...held, ...idsOf(30).results]);
    repo.close();
  });

  it('ends a journal at a line torn by a power cut', () => {
    const file = fresh();
    killedWriter(file, ['stage', 10]);
    appendFileSync(journalPath(file, 1), '{"t":"pkg.mod.T.test_torn","s":"succ');
    const repo = SqliteRepository.open(file);
    assert.deepEqual({ results: repo.results(1).map((r) => r.testId), attempts: repo.attempts(1).map((r) => r.testId) }, idsOf(10));
    repo.close();
  });

  it('leaves the journal of a live writer alone, and removes it when the run finishes', () => {
    const file = fresh();
    const writer = SqliteRepository.open(file);
    const run = writer.beginRun({ profile: 'default', start: at(0) });
    for (let i = 0; i < 5; i++) writer.stage(run, result(i));
    writer.recordResults(run, [result(0), result(1)]);
    const reader = SqliteRepository.open(file);
    assert.equal(reader.results(run).length, 2);
    reader.close();
    assert.equal(existsSync(journalPath(file, run)), true);
    writer.recordResults(run, [result(2), result(3), result(4)]);
    writer.finishRun(run, { stop: at(9), exitStatus: 1 });
    assert.equal(existsSync(journalPath(file, run)), false);
    writer.close();
  });

});

