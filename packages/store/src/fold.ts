// Recording a result appends it, nothing more; what it teaches per test, its timing and its
// place in the test's history, is folded in later by `Fold`, for every result past
// fold_state.folded_through at once. A result touches its test's timing row and history
// entry, and a run rarely comes in the order of the run before (the scheduler sends the
// longest tests first), so kept up to date per batch those two B-trees cost about a page
// write per result: recording 20,000 such results in batches of 100 took ~5× as long
// (measured). Folded in one transaction, a page is written once however many results
// touch it.
//
// The repository folds when a run finishes, before a timings import, and before a read
// that needs timings or histories; so every read sees every committed result, and the
// results of a writer killed mid-run are folded by whoever comes next.
import type Database from 'better-sqlite3';
import { EWMA_ALPHA, FAILING_CODES_SQL } from './timing.js';

/**
 * nextTiming (timing.ts) as the upsert clause of an INSERT INTO timings of (profile, test,
 * estimate, last_duration, count, failures, last_status, last_run, updated_us, hash) with
 * one result's values: bare column names are the stored row.
 */
const TIMING_UPSERT = `
  ON CONFLICT (profile, test) DO UPDATE SET
    estimate = CASE WHEN excluded.last_duration IS NULL THEN estimate
                    WHEN estimate IS NULL THEN excluded.last_duration
                    ELSE estimate + ${EWMA_ALPHA} * (excluded.last_duration - estimate) END,
    last_duration = coalesce(excluded.last_duration, last_duration),
    count = count + excluded.count,
    failures = failures + excluded.failures,
    last_status = excluded.last_status,
    last_run = excluded.last_run,
    updated_us = coalesce(excluded.updated_us, updated_us)`;

/** Folds the results after fold_state.folded_through into timings and test_results. */
export class Fold {
  private readonly pendingAfter: Database.Statement;
  private readonly timings: Database.Statement;
  private readonly histories: Database.Statement;
  private readonly advance: Database.Statement;
  private readonly count: Database.Statement;
  private readonly inTransaction: Database.Transaction<() => void>;
  private readonly readOnly: boolean;
  /** A read found results waiting and could not fold them (see beforeReading). */
  blocked = false;

  constructor(db: Database.Database) {
    this.readOnly = db.readonly;
    // The last result folded and the last recorded, or nothing when they are the same.
    this.pendingAfter = db.prepare(`
      SELECT folded_through, (SELECT max(rowid) FROM results) FROM fold_state
      WHERE folded_through < (SELECT max(rowid) FROM results)`).raw();
    // In the order they were recorded, so that the smoothing sees a test's results as one
    // upsert per result would (sorting by test, for locality, measured no faster); the
    // durations are durationSeconds (timing.ts).
    this.timings = db.prepare(`
      INSERT INTO timings (profile, test, estimate, last_duration, count, failures, last_status, last_run, updated_us, hash)
      SELECT ru.profile, r.test, r.d, r.d, r.d IS NOT NULL, r.status IN ${FAILING_CODES_SQL}, r.status, r.run, r.stop_us, t.hash
      FROM (
        SELECT rowid AS at, test, run, status, stop_us,
               CASE WHEN start_us IS NULL OR stop_us IS NULL THEN NULL ELSE max(0, stop_us - start_us) / 1e6 END AS d
        FROM results WHERE rowid > ? AND rowid <= ?
      ) r
      JOIN runs ru ON ru.id = r.run
      JOIN tests t ON t.id = r.test
      WHERE true
      ORDER BY r.at
      ${TIMING_UPSERT}`);
    this.histories = db.prepare(`
      INSERT INTO test_results (test, result)
      SELECT test, rowid FROM results WHERE rowid > ? AND rowid <= ?`);
    this.advance = db.prepare('UPDATE fold_state SET folded_through = ?');
    // Results are never deleted, so their rowids have no gaps.
    this.count = db.prepare('SELECT coalesce((SELECT max(rowid) FROM results), 0) - folded_through FROM fold_state').pluck();
    this.inTransaction = db.transaction(() => this.now());
  }

  /** Whether results wait to be folded. */
  get pending(): boolean {
    return this.pendingAfter.get() !== undefined;
  }

  /** Folds what waits, inside the caller's write transaction. */
  now(): void {
    const range = this.pendingAfter.get() as [number, number] | undefined;
    if (range === undefined) return;
    this.timings.run(...range);
    this.histories.run(...range);
    this.advance.run(range[1]);
  }

  /** How many results wait to be folded. */
  get waiting(): number {
    return this.count.get() as number;
  }

  /**
   * Folds what waits in a write transaction of its own, if anything waits. A repository
   * that cannot be written (opened read-only, or its disk full) is read as it is, and
   * `blocked` says that its timings and histories are behind by `waiting` results.
   */
  beforeReading(): void {
    if (!this.pending) return;
    if (!this.readOnly) {
      try {
        // Re-checked under the lock by now(): another process may have folded meanwhile.
        this.inTransaction.immediate();
        return;
      } catch (error) {
        if (!/^SQLITE_(FULL|READONLY)/.test(String((error as { code?: unknown }).code))) throw error;
      }
    }
    this.blocked = true;
  }
}
