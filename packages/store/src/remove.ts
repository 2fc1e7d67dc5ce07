// `baton history remove`: runs go with their results, their place in each test's history
// and their bisections. What the failing set and `last` read follows the results that
// remain: a test whose latest result was in a removed run takes the status of its latest
// remaining one in the profile, and a test with none left is forgotten there. Durations
// already learned stay in the estimates, as stestr keeps its times when a run is removed.
import type Database from 'better-sqlite3';

/** The statements SqliteRepository removes runs with, inside one write transaction. */
export class RunRemoval {
  private readonly historyRows: Database.Statement;
  private readonly restatus: Database.Statement;
  private readonly forget: Database.Statement;
  private readonly results: Database.Statement;
  private readonly run: Database.Statement;
  private readonly folded: Database.Statement;

  constructor(db: Database.Database) {
    this.historyRows = db.prepare('DELETE FROM test_results WHERE (test, result) IN (SELECT test, rowid FROM results WHERE run = ?)');
    const latestRemaining = `
      SELECT r.status, r.run, r.stop_us FROM test_results tr JOIN results r ON r.rowid = tr.result JOIN runs ru ON ru.id = r.run
      WHERE tr.test = timings.test AND ru.profile = timings.profile ORDER BY tr.result DESC LIMIT 1`;
    this.restatus = db.prepare(`
      UPDATE timings SET (last_status, last_run, updated_us) = (${latestRemaining})
      WHERE last_run = ? AND EXISTS (${latestRemaining})`);
    this.forget = db.prepare('DELETE FROM timings WHERE last_run = ?');
    this.results = db.prepare('DELETE FROM results WHERE run = ?');
    this.run = db.prepare('DELETE FROM runs WHERE id = ?');
    // Everything was folded first, so everything left is; and the next result, whose rowid
    // may now be one a removed result had, must be folded in its turn.
    this.folded = db.prepare('UPDATE fold_state SET folded_through = coalesce((SELECT max(rowid) FROM results), 0)');
  }

  /** Removes one run (folded already); returns how many results went with it. */
  remove(run: number): number {
    this.historyRows.run(run);
    this.restatus.run(run);
    this.forget.run(run);
    const removed = this.results.run(run).changes;
    this.run.run(run);
    return removed;
  }

  /** After the last `remove` of a transaction. */
  done(): void {
    this.folded.run();
  }
}
