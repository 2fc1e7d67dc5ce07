// What a browser of the repository asks (the dashboard, and anything reading it over its
// REST API): pages of runs, pages of a run's results, the run's timeline without its
// attachments, and the tests that flip between passing and failing. SqliteRepository
// answers them with the statements below.
import type Database from 'better-sqlite3';
import { PASSING_STATUSES } from '@baton/subunit';
import { FAILING_CODES_SQL, statusToCode } from './timing.js';
import type { ResultStatus } from './types.js';

/** A page of runs, newest first. */
export interface RunPageQuery {
  /** Only runs of this profile; all profiles when omitted. */
  readonly profile?: string | undefined;
  /** Only runs with an id below this one: the cursor of the next page. */
  readonly before?: number | undefined;
  readonly limit: number;
}

/** A page of a run's results, in the order they were recorded. */
export interface ResultPageQuery {
  readonly offset: number;
  readonly limit: number;
  /** Only results with one of these statuses. */
  readonly statuses?: readonly ResultStatus[] | undefined;
  /** Only the results of this test. */
  readonly testId?: string | undefined;
}

/**
 * One result as a timeline draws it: no tags or attachments, times as plain numbers, so
 * that a run of 100,000 results reads in a tenth of a second.
 */
export interface Span {
  readonly testId: string;
  readonly status: ResultStatus;
  /** µs since the epoch. */
  readonly startUs: number | undefined;
  readonly stopUs: number | undefined;
  readonly worker: string | undefined;
  readonly seq: number;
}

/**
 * A test whose recent results both passed and failed in runs of the same selection (the
 * same tests selected: the same `selectionDigest`; runs that carry none, such as loaded
 * stestr runs, count as one selection).
 */
export interface FlakyTest {
  readonly testId: string;
  /**
   * Its passing and failing results in the runs looked at (skips do not count), and its
   * failed attempts that were tried again (`--retries`).
   */
  readonly results: number;
  readonly failures: number;
  /** How often a result differed from the one before it (pass → fail or fail → pass). */
  readonly flips: number;
  /** Runs in which it passed only when tried again (`baton run --retries`). */
  readonly passedOnRetry: number;
  /** The latest of those runs in which it failed. */
  readonly lastFailedRun: number;
  /** When that run started, µs since the epoch. */
  readonly lastFailedUs: number;
}

/** @baton/subunit's PASSING_STATUSES as SQL reads them, for flakiness. */
const PASSING_CODES_SQL = `(${PASSING_STATUSES.map(statusToCode).join(', ')})`;

/** The statements SqliteRepository answers the browsing queries with. */
export interface BrowseStatements {
  readonly runPage: Database.Statement;
  readonly resultPage: Database.Statement;
  readonly resultCount: Database.Statement;
  readonly spans: Database.Statement;
  readonly flaky: Database.Statement;
}

export function prepareBrowse(db: Database.Database): BrowseStatements {
  return {
    runPage: db.prepare(`
      SELECT * FROM runs WHERE (@profile IS NULL OR profile = @profile) AND (@before IS NULL OR id < @before)
      ORDER BY id DESC LIMIT @limit`),
    // Statuses travel as a JSON array of codes; NULL means any.
    resultPage: db.prepare(`
      SELECT t.name, r.run, r.status, r.start_us, r.stop_us, r.worker, r.seq, r.tags, r.details, r.attempt
      FROM results r JOIN tests t ON t.id = r.test
      WHERE r.run = @run AND (@codes IS NULL OR r.status IN (SELECT value FROM json_each(@codes))) AND (@testId IS NULL OR t.name = @testId)
      ORDER BY r.rowid LIMIT @limit OFFSET @offset`).raw(),
    resultCount: db.prepare(`
      SELECT count(*) FROM results r JOIN tests t ON t.id = r.test
      WHERE r.run = @run AND (@codes IS NULL OR r.status IN (SELECT value FROM json_each(@codes))) AND (@testId IS NULL OR t.name = @testId)`).pluck(),
    spans: db.prepare(`
      SELECT t.name, r.status, r.start_us, r.stop_us, r.worker, r.seq FROM results r JOIN tests t ON t.id = r.test
      WHERE r.run = ? ORDER BY r.rowid`).raw(),
    // Candidates first (both outcomes seen under one selection), so that only their
    // results are ordered to count flips: a window over every result of twenty big runs
    // would sort millions. The failed attempts of a test tried again (--retries) are
    // outcomes too, before its result in its run: a pass on retry is both outcomes.
    flaky: db.prepare(`
      WITH recent AS (
        SELECT id, start_us, coalesce(selection_digest, '') AS selection FROM runs
        WHERE profile = @profile ORDER BY id DESC LIMIT @runs),
      outcomes AS (
        SELECT r.test, r.run, coalesce(r.attempt, 1) AS attempt, recent.start_us, recent.selection, r.status IN ${FAILING_CODES_SQL} AS failed
        FROM recent JOIN results r ON r.run = recent.id
        WHERE r.status IN ${FAILING_CODES_SQL} OR r.status IN ${PASSING_CODES_SQL}
        UNION ALL
        SELECT a.test, a.run, a.attempt, recent.start_us, recent.selection, 1
        FROM recent JOIN attempts a ON a.run = recent.id),
      candidates AS (SELECT DISTINCT test FROM outcomes GROUP BY test, selection HAVING min(failed) = 0 AND max(failed) = 1),
      ordered AS (
        SELECT o.test, o.run, o.attempt, o.start_us, o.failed, coalesce(o.failed != lag(o.failed) OVER (PARTITION BY o.test ORDER BY o.run, o.attempt), 0) AS flip
        FROM outcomes o JOIN candidates c ON c.test = o.test)
      SELECT t.name, count(*), sum(failed), sum(flip), sum(NOT failed AND attempt > 1), max(CASE WHEN failed THEN run END), max(CASE WHEN failed THEN start_us END)
      FROM ordered JOIN tests t ON t.id = ordered.test
      GROUP BY ordered.test ORDER BY 4 DESC, 3 DESC, t.name LIMIT @limit`).raw(),
  };
}
