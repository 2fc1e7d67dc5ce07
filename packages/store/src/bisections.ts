// What `baton bisect` keeps between invocations: per (run, test) the prefix it bisects,
// the search's state, and per candidate how often the test ran after it and failed. The
// search itself (which candidates, when it is sure) is the CLI's; the store only keeps
// its progress, one transaction per execution, so that a bisection killed or stopped
// by --max-time resumes where it was.
import type Database from 'better-sqlite3';
import type { Timestamp } from '@baton/subunit';
import { StoreError } from './errors.js';
import { fromMicros, toMicros } from './timing.js';

/** How a candidate fared: executions of the test after it, and how many failed. */
export interface BisectEvidence {
  readonly runs: number;
  readonly failures: number;
}

/** A bisection as it begins. */
export interface BisectionStart {
  readonly run: number;
  readonly testId: string;
  /** The worker (slot) whose process ran the test in that run. */
  readonly worker: string | undefined;
  /** The tests that process ran before it, in order: what candidates are made of. */
  readonly prefix: readonly string[];
  /** The search's state (JSON-serialisable). */
  readonly state: unknown;
  readonly start: Timestamp;
}

/** A bisection as stored. */
export interface StoredBisection {
  readonly id: number;
  readonly run: number;
  readonly testId: string;
  readonly worker: string | undefined;
  readonly prefix: readonly string[];
  readonly state: unknown;
  /** What it concluded; undefined until it did. */
  readonly outcome: unknown;
  /** Per candidate key. */
  readonly evidence: ReadonlyMap<string, BisectEvidence>;
  /** Executions of candidates over every invocation, and the wall time they took. */
  readonly executions: number;
  readonly seconds: number;
  readonly started: Timestamp;
  readonly updated: Timestamp;
}

/** One execution of a candidate, and the search's state after it. */
export interface BisectProgress {
  readonly candidate: string;
  readonly failed: boolean;
  readonly state: unknown;
  /** Wall time since the last progress (or the start of this invocation). */
  readonly seconds: number;
  readonly at: Timestamp;
}

type BisectionRow = [
  id: number, run: number, name: string, worker: string | null, prefix: string, state: string, outcome: string | null,
  executions: number, seconds: number, started: number, updated: number,
];

/** The statements SqliteRepository keeps bisections with. */
export class BisectionStatements {
  private readonly find: Database.Statement;
  private readonly evidence: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly progress: Database.Statement;
  private readonly count: Database.Statement;
  private readonly finish: Database.Statement;
  private readonly forget: Database.Statement;

  constructor(db: Database.Database) {
    this.find = db.prepare(`
      SELECT b.id, b.run, t.name, b.worker, b.prefix, b.state, b.outcome, b.executions, b.seconds, b.started_us, b.updated_us
      FROM bisections b JOIN tests t ON t.id = b.test WHERE b.run = ? AND t.name = ?`).raw();
    this.evidence = db.prepare('SELECT candidate, runs, failures FROM bisect_evidence WHERE bisection = ?').raw();
    this.insert = db.prepare(`
      INSERT INTO bisections (run, test, worker, prefix, state, started_us, updated_us)
      SELECT ?, id, ?, ?, ?, ?, ? FROM tests WHERE name = ?`);
    this.progress = db.prepare(`
      UPDATE bisections SET state = ?, executions = executions + 1, seconds = seconds + ?, updated_us = ? WHERE id = ?`);
    this.count = db.prepare(`
      INSERT INTO bisect_evidence (bisection, candidate, runs, failures) VALUES (?, ?, 1, ?)
      ON CONFLICT (bisection, candidate) DO UPDATE SET runs = runs + 1, failures = failures + excluded.failures`);
    this.finish = db.prepare('UPDATE bisections SET outcome = ?, updated_us = ? WHERE id = ?');
    this.forget = db.prepare('DELETE FROM bisections WHERE id = ?');
  }

  get(run: number, testId: string): StoredBisection | undefined {
    const row = this.find.get(run, testId) as BisectionRow | undefined;
    if (row === undefined) return undefined;
    const [id, , name, worker, prefix, state, outcome, executions, seconds, started, updated] = row;
    const evidence = new Map<string, BisectEvidence>();
    for (const [candidate, runs, failures] of this.evidence.all(id) as [string, number, number][]) evidence.set(candidate, { runs, failures });
    return {
      id,
      run,
      testId: name,
      worker: worker ?? undefined,
      prefix: JSON.parse(prefix) as string[],
      state: JSON.parse(state) as unknown,
      outcome: outcome === null ? undefined : (JSON.parse(outcome) as unknown),
      evidence,
      executions,
      seconds,
      started: fromMicros(started),
      updated: fromMicros(updated),
    };
  }

  /** The id of the new bisection; the test must be known to the repository (it has a result). */
  begin(start: BisectionStart): number {
    const at = toMicros(start.start);
    const info = this.insert.run(start.run, start.worker ?? null, JSON.stringify(start.prefix), JSON.stringify(start.state), at, at, start.testId);
    if (info.changes === 0) throw new StoreError('BATON_STORE_NO_SUCH_RUN', `the repository holds no result of ${start.testId}`);
    return Number(info.lastInsertRowid);
  }

  record(id: number, progress: BisectProgress): void {
    this.count.run(id, progress.candidate, progress.failed ? 1 : 0);
    this.progress.run(JSON.stringify(progress.state), progress.seconds, toMicros(progress.at), id);
  }

  conclude(id: number, outcome: unknown, at: Timestamp): void {
    this.finish.run(JSON.stringify(outcome), toMicros(at), id);
  }

  remove(id: number): void {
    this.forget.run(id);
  }
}
