// A writer killed with SIGKILL at any moment leaves a repository that opens, with its run
// incomplete and every result it had committed present, in order.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteRepository } from '@baton/store';
import { syntheticStream, syntheticTestId } from '../packages/store/src/test-support/streams.js';
import { until } from '../packages/store/src/test-support/until.js';
import { baton, initProject, startBaton } from '../packages/cli/src/test-support/run-baton.js';

const dbOf = (dir: string) => join(dir, '.baton', 'baton.db');

/** Results committed so far (a reader never waits for the writer in WAL mode). */
function committed(dir: string): number {
  const repo = SqliteRepository.open(dbOf(dir));
  try {
    return repo.stats().results;
  } finally {
    repo.close();
  }
}


/** Checks the repository after the kill and returns how many results survived. */
function verifyAfterKill(dir: string, sent: number): number {
  const db = new Database(dbOf(dir), { readonly: true });
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
  const repo = SqliteRepository.open(dbOf(dir));
  try {
    const run = repo.latestRun('default')!;
    assert.equal(run.complete, false);
    const results = repo.results(run.id);
    assert.ok(results.length <= sent);
    // Every surviving result is the one the stream sent at that position: a prefix.
    results.forEach((r, i) => assert.equal(r.testId, syntheticTestId(i)));
    assert.equal(repo.stats().incompleteRuns, 1);
    return results.length;
  } finally {
    repo.close();
  }
}

describe('a baton load killed with SIGKILL', () => {
  it('keeps every result it committed before the kill', async () => {
    const dir = initProject('baton-crash-');
    const child = startBaton(dir, ['load', '-']);
    // 5000 results, less than a batch: the 200 ms flush timer commits them while the
    // stream stays open, and the run stays incomplete.
    child.stdin.write(Buffer.concat([...syntheticStream({ results: 5000 })]));
    await until(() => committed(dir) === 5000, 'the 5000 results are committed');
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.equal(verifyAfterKill(dir, 5000), 5000);
    // The repository is fully usable afterwards.
    assert.equal(baton(dir, ['load', '-'], Buffer.concat([...syntheticStream({ results: 10, failEvery: 1000 })])).status, 0);
    assert.equal(baton(dir, ['last']).status, 0);
  });

  for (const delayMs of [0, 40, 120]) {
    it(`opens cleanly when killed ${delayMs} ms into a stream written as fast as it can`, async () => {
      const dir = initProject('baton-crash-');
      const child = startBaton(dir, ['load', '-']);
      // Writes after the kill fail with EPIPE; that is the point.
      child.stdin.on('error', () => {});
      const exited = once(child, 'exit');
      let sent = 0;
      const pump = async (): Promise<void> => {
        let chunk: Uint8Array[] = [];
        for (const result of syntheticStream({ results: 300_000 })) {
          chunk.push(result);
          if (chunk.length < 1000) continue;
          if (child.exitCode !== null || child.signalCode !== null) return;
          sent += chunk.length;
          const flowing = child.stdin.write(Buffer.concat(chunk));
          chunk = [];
          if (!flowing && !child.stdin.destroyed) await new Promise((resume) => child.stdin.once('drain', resume).once('close', resume));
        }
      };
      const pumping = pump();
      await until(() => committed(dir) > 0, 'a first batch is committed');
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      await exited;
      await pumping;
      assert.ok(verifyAfterKill(dir, sent) > 0);
    });
  }
});
