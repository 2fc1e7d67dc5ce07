// Each statement run is a crossing from JS into SQLite with its own setup, which per row
// cost about as much as the row's B-tree work (measured: one-row INSERTs into results and
// timings took ~1.7× the time of the same rows written 64 to a statement). So rows go in
// statements of up to MAX_ROWS value tuples, and a batch of any size is split into
// power-of-two chunks: a handful of statement runs, and at most log2(MAX_ROWS) + 1
// distinct statements prepared per table.
import type Database from 'better-sqlite3';

/** Rows per statement at most: beyond 64, bigger statements measured no faster. */
export const MAX_ROWS = 64;

/**
 * `INSERT … VALUES (…), (…), … [tail]` for rows given as one flat array, `columns` values
 * per row. Rows are written in order, so an upsert tail sees earlier rows of the same call
 * exactly as a row-at-a-time loop would.
 */
export class MultiRowStatement {
  private readonly db: Database.Database;
  private readonly head: string;
  private readonly columns: number;
  private readonly tail: string;
  private readonly bySize = new Map<number, Database.Statement>();

  /** `head` ends with `VALUES`; `tail` (an `ON CONFLICT …` clause) follows the tuples. */
  constructor(db: Database.Database, head: string, columns: number, tail = '') {
    this.db = db;
    this.head = head;
    this.columns = columns;
    this.tail = tail;
  }

  /** Writes `values.length / columns` rows. */
  run(values: readonly unknown[]): void {
    const rows = values.length / this.columns;
    if (!Number.isInteger(rows)) throw new RangeError(`${values.length} values do not make rows of ${this.columns}`);
    let done = 0;
    for (let size = MAX_ROWS; size >= 1; size >>= 1) {
      for (; rows - done >= size; done += size) {
        this.statement(size).run(values.slice(done * this.columns, (done + size) * this.columns));
      }
    }
  }

  private statement(rows: number): Database.Statement {
    let statement = this.bySize.get(rows);
    if (statement === undefined) {
      const tuple = `(${new Array<string>(this.columns).fill('?').join(', ')})`;
      statement = this.db.prepare(`${this.head} ${new Array<string>(rows).fill(tuple).join(', ')} ${this.tail}`);
      this.bySize.set(rows, statement);
    }
    return statement;
  }
}
