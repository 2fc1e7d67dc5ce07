import { accessSync, constants, existsSync, readFileSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { Timestamp } from '@baton/subunit';
import { BisectionStatements, type BisectionStart, type BisectProgress, type StoredBisection } from './bisections.js';
import { prepareBrowse, type BrowseStatements, type FlakyTest, type ResultPageQuery, type RunPageQuery, type Span } from './browse.js';
import { packAttachments, unpackAttachments } from './details.js';
import { buildEstimateIndex, hashTestId, lookupEstimates } from './estimate-index.js';
import { StoreError, noSuchRun, readOnly, storeErrorOf } from './errors.js';
import { checkIntegrity, forgetChecked, stampChecked } from './integrity.js';
import { orphanJournals, RunJournal } from './journal.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import { Fold } from './fold.js';
import { MultiRowStatement } from './multi-row.js';
import { RunRemoval } from './remove.js';
import { refuseInProgress } from './writer.js';
import {
  FAILING_CODES_SQL,
  durationSeconds,
  fromMicros,
  mergeTiming,
  statusFromCode,
  statusToCode,
  toMicros,
} from './timing.js';
import { checkTimingsFile } from './timings-file.js';
import type {
  Estimates,
  FailingTest,
  HistoryEntry,
  ProcessStartCause,
  ProcessStartInput,
  ProfileSummary,
  RepositoryStats,
  ResultInput,
  ResultStatus,
  RunEnd,
  RunLike,
  RunRepository,
  RunStart,
  StoredProcessStart,
  StoredRun,
  SlowTest,
  StoredResult,
  Timing,
  TimingsFile,
} from './types.js';

/** Options of `SqliteRepository.open`. */
export interface SqliteOptions {
  /**
   * How long a write waits for another process's transaction before failing. Writers
   * commit in short batches, so waits are brief; this only bounds a stuck peer.
   * @default 30000
   */
  busyTimeoutMs?: number;
  /**
   * What the caller will do. `write` refuses a repository that cannot be written
   * (BATON_STORE_READ_ONLY, naming what is read-only) before anything runs; `read` opens
   * it read-only instead (`readOnly`), where nothing is migrated or folded.
   * @default 'write'
   */
  access?: 'read' | 'write';
}

type Row = Record<string, unknown>;
type ResultRow = [
  name: string, run: number, status: number, start: number | null, stop: number | null,
  worker: string | null, seq: number, tags: string | null, details: Buffer | null, attempt: number | null,
];
type TimingRow = [
  estimate: number | null, last: number | null, count: number, failures: number,
  status: number, run: number | null, updated: number | null,
];

const RESULT_COLUMNS = 't.name, r.run, r.status, r.start_us, r.stop_us, r.worker, r.seq, r.tags, r.details, r.attempt';
/**
 * Estimates for a list of ids, one row per id in the order given (NULL when unknown), so
 * that no test name has to travel back: one indexed lookup per id. The LEFT JOINs fix the
 * loop order; left to itself the planner, knowing nothing of json_each's size, scans
 * the profile's timings and re-reads the whole id list for each (minutes for 100k ids).
 */
export const ESTIMATES_SQL = `
  SELECT tm.estimate FROM json_each(?) j
  LEFT JOIN tests t ON t.name = j.value
  LEFT JOIN timings tm ON tm.profile = ? AND tm.test = t.id`;
const TIMING_COLUMNS = 'estimate, last_duration, count, failures, last_status, last_run, updated_us';
/** Rows read at a time to build an estimate index. */
const INDEX_PAGE_ROWS = 10_000;

interface OpenRun {
  readonly profile: string;
  /** Next seq per worker ('' for results that name none). */
  readonly seqs: Map<string, number>;
  /** Of a run reopened (`RunStart.into`): its results and attempts when it was, and the rowid of its last result. */
  readonly reopened?: { readonly results: number; readonly through: number };
}

/**
 * better-sqlite3, loaded by the first open: its native addon takes a hundredth of a second
 * to load, which every command would otherwise pay when it starts (`baton run` before it
 * can start its test servers), repository or not.
 */
let sqlite: typeof Database | undefined;
const openDatabase = (file: string | Buffer, options?: Database.Options): Database.Database =>
  new (sqlite ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database)(file, options);

/**
 * Opens `file` read-only. SQLite reads a WAL database only where its -wal and -shm files
 * exist or can be created, which a read-only directory refuses once a clean close removed
 * them; a clean close also left every transaction in the main file, so an image of it in
 * memory reads the same (10 MB, 10 ms for 100,000 results, measured).
 */
function openReadOnly(file: string): Database.Database {
  try {
    const db = openDatabase(file, { readonly: true, fileMustExist: true });
    db.pragma('user_version');
    return db;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'SQLITE_CANTOPEN' || existsSync(`${file}-wal`)) throw error;
  }
  const image = readFileSync(file);
  // Header bytes 18 and 19 say WAL (2), which the in-memory image cannot do: legacy (1).
  if (image.length > 19) image[18] = image[19] = 1;
  return openDatabase(image, { readonly: true });
}

/** Why `file` cannot be written (its directory holds the -wal and -shm files), or undefined. */
function whyUnwritable(file: string): string | undefined {
  for (const path of existsSync(file) ? [dirname(file), file] : [dirname(file)]) {
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      return unwritableReason(path, error);
    }
  }
  return undefined;
}

/** What an access or write failure on `path` means, in words; undefined if it is no such failure. */
export function unwritableReason(path: string, error: unknown): string | undefined {
  switch ((error as { code?: unknown }).code) {
    case 'EROFS': return `${path} is on a read-only file system`;
    case 'EACCES': return `${path} is not writable by this user`;
    case 'EPERM': return `${path} is marked immutable`;
    default: return undefined;
  }
}

/**
 * The repository in one SQLite file (better-sqlite3), in WAL mode so that readers never
 * wait for a writer and a killed writer loses only its uncommitted batch. Every write
 * method is one IMMEDIATE transaction: two processes writing at once queue on the
 * database lock (up to the busy timeout) instead of failing halfway.
 */
export class SqliteRepository implements RunRepository {
  /** The database file. */
  readonly file: string;
  /**
   * Opened read-only (`access: 'read'` on a repository that cannot be written): writes
   * fail with BATON_STORE_READ_ONLY and nothing is folded (see `unfolded`).
   */
  readonly readOnly: boolean;
  /** Found sound at open, and nothing since said otherwise: a clean close stamps it again. */
  private sound = true;
  private readonly db: Database.Database;
  private readonly testIds = new Map<string, number>();
  private readonly openRuns = new Map<number, OpenRun>();
  /** The journals of the runs this connection stages results for (journal.ts). */
  private readonly journals = new Map<number, RunJournal>();
  private readonly sql: ReturnType<typeof prepare>;
  private readonly insertResults: MultiRowStatement;
  private readonly fold: Fold;
  private readonly recordTx: Database.Transaction<(run: number, results: readonly ResultInput[], interned: string[]) => void>;
  private readonly importTx: Database.Transaction<(file: TimingsFile, interned: string[]) => number>;
  private readonly finishTx: Database.Transaction<(run: number, end: RunEnd) => void>;
  private readonly reopenTx: Database.Transaction<(run: number, start: RunStart) => number>;
  /** Prepared by the first browsing query: a run never asks one. */
  private browse: BrowseStatements | undefined;
  /** Prepared by the first bisection or removal: neither is what a run does. */
  private bisectionStatements: BisectionStatements | undefined;
  private removal: RunRemoval | undefined;

  private constructor(file: string, db: Database.Database) {
    this.file = file;
    this.db = db;
    this.readOnly = db.readonly;
    this.sql = prepare(db);
    this.insertResults = new MultiRowStatement(db, 'INSERT INTO results (run, test, status, start_us, stop_us, worker, seq, tags, details, attempt) VALUES', 10);
    this.fold = new Fold(db);
    this.recordTx = db.transaction((run, results, interned) => this.recordBatch(run, results, interned));
    this.importTx = db.transaction((timings, interned) => this.importBatch(timings, interned));
    this.finishTx = db.transaction((run, end) => this.finishBatch(run, end));
    this.reopenTx = db.transaction((run, start) => this.reopen(run, start));
  }

  /**
   * Opens (creating if needed) the database at `file`, checks it for damage
   * (BATON_STORE_CORRUPT; see integrity.ts) and brings its schema up to date.
   */
  static open(file: string, options: SqliteOptions = {}): SqliteRepository {
    const unwritable = whyUnwritable(file);
    if (unwritable !== undefined && options.access !== 'read') throw readOnly(file, unwritable);
    let db: Database.Database | undefined;
    try {
      db = unwritable === undefined ? openDatabase(file) : openReadOnly(file);
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 30_000}`);
      if (!db.readonly) {
        db.pragma('journal_mode = WAL');
        // NORMAL in WAL mode: a killed process loses nothing committed; only a power cut
        // can lose the last transactions, never corrupt the file.
        db.pragma('synchronous = NORMAL');
      }
      db.pragma('foreign_keys = ON');
      // Imports touch index pages all over the test-name index; a 64 MiB cache keeps
      // them, and checkpointing every ~40 MB of WAL instead of 4 MB copies each hot
      // page back to the file less often (measured: a large load takes half the time).
      db.pragma('cache_size = -65536');
      db.pragma('wal_autocheckpoint = 10000');
      db.pragma('journal_size_limit = 67108864');
      db.function('baton_hash', { deterministic: true }, (name: unknown) => hashTestId(String(name)));
      checkIntegrity(db, file, !db.readonly);
      migrate(db, file);
      const repository = new SqliteRepository(file, db);
      if (!db.readonly) repository.recoverJournals();
      return repository;
    } catch (error) {
      db?.close();
      const failure = storeErrorOf(error, file);
      if (failure instanceof StoreError) throw failure;
      throw new StoreError('BATON_STORE_UNUSABLE', `cannot use the repository ${file}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Runs one call into SQLite, turning what the user can act on (a full disk, a read-only
   * file, damage) into its StoreError. Damage found on the way un-stamps the file, so
   * that every later open says so too.
   */
  private guard<T>(call: () => T): T {
    try {
      return call();
    } catch (error) {
      const failure = storeErrorOf(error, this.file);
      if ((failure as { code?: unknown }).code === 'BATON_STORE_CORRUPT') {
        this.sound = false;
        forgetChecked(this.file);
      }
      throw failure;
    }
  }

  /** The schema version of the open database. */
  get schemaVersion(): number {
    return this.guard(() => this.db.pragma('user_version', { simple: true }) as number);
  }

  beginRun(run: RunStart): number {
    return this.guard(() => {
      if (run.into !== undefined) return this.reopenTx.immediate(run.into, run);
      const info = this.sql.insertRun.run(
        run.profile, toMicros(run.start), run.source ?? null, run.selectionDigest ?? null,
        run.planDigest ?? null, run.workers ?? null, run.known ?? null,
        run.writer?.host ?? null, run.writer?.pid ?? null,
      );
      const id = Number(info.lastInsertRowid);
      this.openRuns.set(id, { profile: run.profile, seqs: new Map() });
      return id;
    });
  }

  /**
   * Appends the result to the run's journal. When that fails (BATON_STORE_DISK_FULL), the
   * journal is removed: what it held must be recorded from memory, and the run's later
   * results are neither staged nor recorded.
   */
  stage(run: number, result: ResultInput): void {
    if (this.readOnly) throw readOnly(this.file, 'it was opened read-only');
    let journal = this.journals.get(run);
    if (journal === undefined) {
      journal = new RunJournal(this.file, run, this.openRuns.get(run)?.reopened?.results);
      this.journals.set(run, journal);
    }
    try {
      journal.append(result);
    } catch (error) {
      // Out of room (or otherwise unwritable): the journal goes, freeing its room for the
      // batch the caller still holds, which it should record before it gives up.
      this.journals.delete(run);
      journal.discard();
      throw error;
    }
  }

  /**
   * Stores what the journals of killed writers hold beyond what they had committed: results
   * are committed in the order they were staged, so the database holds the run's results up
   * to some line of the journal, and the lines after it are what was lost. The run stays incomplete. A journal that cannot
   * be stored now (a full disk) stays for the next open.
   */
  private recoverJournals(): void {
    for (const orphan of orphanJournals(this.file)) {
      const run = this.sql.run.get(orphan.run) as Row | undefined;
      try {
        if (run !== undefined && run['stop_us'] === null) {
          const stored = this.sql.countResults.get({ run: orphan.run }) as number;
          this.recordResults(orphan.run, orphan.results.slice(Math.max(0, stored - orphan.base)));
        }
        unlinkSync(orphan.path);
      } catch {
        // Left in place: the next open tries again, and what is committed stays readable.
      }
    }
  }

  recordResults(run: number, results: readonly ResultInput[]): void {
    return this.guard(() => {
      if (results.length === 0) return;
      try {
        this.commit(run, results);
      } catch (error) {
        const journal = this.journals.get(run);
        if (journal === undefined || (storeErrorOf(error, this.file) as { code?: unknown }).code !== 'BATON_STORE_DISK_FULL') throw error;
        // The journal holds this batch, which the caller holds too: on a full disk its
        // room goes to the database, and the batch is tried once more without it.
        this.journals.delete(run);
        journal.discard();
        this.commit(run, results);
        return;
      }
      this.journals.get(run)?.committed(results.length);
    });
  }

  private commit(run: number, results: readonly ResultInput[]): void {
    const interned: string[] = [];
    try {
      this.recordTx.immediate(run, results, interned);
    } catch (error) {
      // Ids interned inside the rolled-back transaction no longer exist.
      for (const name of interned) this.testIds.delete(name);
      this.openRuns.delete(run);
      throw error;
    }
  }

  private recordBatch(run: number, results: readonly ResultInput[], interned: string[]): void {
    const open = this.openRun(run);
    this.sql.touchProfile.run(open.profile);
    this.learnIds(results, interned);
    const rows: unknown[] = [];
    for (const r of results) {
      const worker = r.worker ?? '';
      const seq = open.seqs.get(worker) ?? 0;
      open.seqs.set(worker, seq + 1);
      const row = [
        run, this.intern(r.testId, interned), statusToCode(r.status),
        r.start === undefined ? null : toMicros(r.start), r.stop === undefined ? null : toMicros(r.stop),
        r.worker ?? null, seq,
        r.tags !== undefined && r.tags.length > 0 ? JSON.stringify(r.tags) : null,
        packAttachments(r.attachments),
      ];
      if (r.retried) this.sql.insertAttempt.run(...row, r.attempt ?? 1);
      else rows.push(...row, r.attempt !== undefined && r.attempt > 1 ? r.attempt : null);
    }
    // Timings and histories catch up when folded (fold.ts).
    this.insertResults.run(rows);
  }

  /** `beginRun` into an earlier run (RunStart.into), inside its write transaction. */
  private reopen(id: number, start: RunStart): number {
    const row = this.sql.run.get(id) as Row | undefined;
    if (row === undefined || row['profile'] !== start.profile) throw noSuchRun(id, start.profile);
    refuseInProgress(this.summary(row));
    // The results it holds take their place in histories now, so that those replaced at
    // the end leave them as removed runs' results do.
    this.fold.now();
    this.sql.reopenRun.run(start.selectionDigest ?? null, start.planDigest ?? null, start.writer?.host ?? null, start.writer?.pid ?? null, id);
    const [results, through] = this.sql.resultSpan.get({ run: id }) as [number, number];
    this.openRuns.set(id, { ...this.loadOpenRun(id), reopened: { results, through } });
    return id;
  }

  finishRun(run: number, end: RunEnd): void {
    return this.guard(() => {
      this.finishTx.immediate(run, end);
      this.openRuns.delete(run);
      this.journals.get(run)?.discard();
      this.journals.delete(run);
    });
  }

  private finishBatch(run: number, end: RunEnd): void {
    const info = this.sql.finishRun.run(toMicros(end.stop), end.exitStatus ?? null, end.partial ? 1 : 0, end.workers ?? null, end.lowerBound ?? null, run);
    if (info.changes === 0) throw noSuchRun(run);
    const reopened = this.openRuns.get(run)?.reopened;
    if (reopened !== undefined) {
      this.sql.replacedHistories.run({ run, through: reopened.through });
      this.sql.replacedResults.run({ run, through: reopened.through });
    }
    const profile = this.sql.runProfile.get(run) as string;
    this.fold.now();
    // Rebuild only when results (of this run or another writer's) changed the profile
    // since the index was built.
    if (this.sql.staleIndex.get(profile) !== undefined) this.indexEstimates(profile);
  }

  recordProcessStarts(run: number, starts: readonly ProcessStartInput[]): void {
    return this.guard(() => {
      if (starts.length === 0) return;
      this.db.transaction(() => {
        if (this.sql.run.get(run) === undefined) throw noSuchRun(run);
        for (const s of starts) this.sql.insertProcessStart.run(run, s.worker, s.cause, toMicros(s.asked), toMicros(s.ready), toMicros(s.from));
      }).immediate();
    });
  }

  processStarts(run: number): StoredProcessStart[] {
    return this.guard(() => (this.sql.processStarts.all(run) as [number, string, ProcessStartCause, number, number, number][]).map(
      ([id, worker, cause, asked, ready, from]) => ({ run: id, worker, cause, asked: fromMicros(asked), ready: fromMicros(ready), from: fromMicros(from) }),
    ));
  }

  run(id: number): StoredRun | undefined {
    return this.guard(() => {
      const row = this.sql.run.get(id) as Row | undefined;
      return row && this.summary(row);
    });
  }

  latestRun(profile: string): StoredRun | undefined {
    return this.guard(() => {
      const row = this.sql.latestRun.get(profile) as Row | undefined;
      return row && this.summary(row);
    });
  }

  latestRunWithoutHistory(profile: string, like: RunLike): StoredRun | undefined {
    return this.guard(() => {
      const row = this.sql.latestRunWithoutHistory.get(profile, like.before, like.selectionDigest ?? null, like.workers ?? null) as Row | undefined;
      return row && this.summary(row);
    });
  }

  hasSource(source: string): boolean {
    return this.guard(() => this.sql.hasSource.get(source) !== undefined);
  }

  results(run: number): StoredResult[] {
    return this.guard(() => (this.sql.results.all(run) as ResultRow[]).map(toStoredResult));
  }

  attempts(run: number): StoredResult[] {
    return this.guard(() => (this.sql.attempts.all(run) as ResultRow[]).map(toStoredResult));
  }

  estimates(ids: readonly string[], profile: string): Estimates {
    return this.guard(() => {
      const index = this.sql.validIndex.get(profile) as Buffer | undefined;
      if (index !== undefined) return lookupEstimates(index, ids);
      // The index is stale while a write is under way (or after its writer died): ask
      // SQLite id by id, which is exact but ~10× slower.
      this.fold.beforeReading();
      const found = this.sql.estimates.all(JSON.stringify(ids), profile) as (number | null)[];
      const known = new Map<string, number>();
      const unknown: string[] = [];
      ids.forEach((id, i) => {
        const estimate = found[i];
        if (estimate === null || estimate === undefined) unknown.push(id);
        else known.set(id, estimate);
      });
      return { known, unknown };
    });
  }

  failing(profile: string): FailingTest[] {
    return this.guard(() => {
      this.fold.beforeReading();
      const rows = this.sql.failing.all(profile) as [string, number, number | null][];
      return rows.map(([testId, test, lastRun]) => {
        const row = lastRun === null ? undefined : (this.sql.resultOf.get(lastRun, test) as ResultRow | undefined);
        return { testId, result: row && toStoredResult(row) };
      });
    });
  }

  history(testId: string, profile?: string): HistoryEntry[] {
    return this.guard(() => {
      this.fold.beforeReading();
      const rows = (profile === undefined
        ? this.sql.history.all(testId)
        : this.sql.historyOfProfile.all(testId, profile)) as [number, string, number, number | null, number | null, string | null, number][];
      return rows.map(([run, runProfile, status, start, stop, worker, failedAttempts]) => ({
        run,
        profile: runProfile,
        status: statusFromCode(status),
        duration: durationSeconds(start ?? undefined, stop ?? undefined),
        start: start === null ? undefined : fromMicros(start),
        worker: worker ?? undefined,
        failedAttempts,
      }));
    });
  }

  slowest(run: number, limit?: number): SlowTest[] {
    return this.guard(() => {
      const rows = this.sql.slowest.all(run, limit ?? -1) as [string, number, number][];
      return rows.map(([testId, micros, status]) => ({ testId, duration: Math.max(0, micros) / 1e6, status: statusFromCode(status) }));
    });
  }

  profiles(): ProfileSummary[] {
    return this.guard(() => {
      this.fold.beforeReading();
      return (this.sql.profiles.all() as [string, number, number, number, number | null][]).map(
        ([name, runs, tests, failing, latestRun]) => ({ name, runs, tests, failing, latestRun: latestRun ?? undefined }),
      );
    });
  }

  stats(): RepositoryStats {
    const [runs, incompleteRuns, results, tests] = this.sql.stats.get() as [number, number, number, number];
    return { runs, incompleteRuns, results, tests, profiles: this.profiles() };
  }

  exportTimings(profiles?: readonly string[]): TimingsFile {
    return this.guard(() => {
      this.fold.beforeReading();
      const out: Record<string, Record<string, Timing>> = {};
      for (const row of this.sql.allTimings.all() as [string, string, ...TimingRow][]) {
        const [profile, name, ...timing] = row;
        if (profiles !== undefined && !profiles.includes(profile)) continue;
        (out[profile] ??= {})[name] = { ...toTiming(timing), lastRun: undefined };
      }
      return { format: 'baton-timings', version: 1, profiles: out };
    });
  }

  importTimings(file: TimingsFile): number {
    return this.guard(() => {
      checkTimingsFile(file);
      const interned: string[] = [];
      try {
        return this.importTx.immediate(file, interned);
      } catch (error) {
        for (const name of interned) this.testIds.delete(name);
        throw error;
      }
    });
  }

  private importBatch(file: TimingsFile, interned: string[]): number {
    this.fold.now();
    let touched = 0;
    for (const [profile, tests] of Object.entries(file.profiles)) {
      this.sql.touchProfile.run(profile);
      for (const [name, theirs] of Object.entries(tests)) {
        const test = this.intern(name, interned);
        const row = this.sql.timing.get(profile, test) as TimingRow | undefined;
        const t = mergeTiming(row && toTiming(row), theirs);
        this.sql.putTiming.run(profile, test, t.estimate ?? null, t.last ?? null, t.count, t.failures,
          statusToCode(t.lastStatus), t.lastRun ?? null, t.updated ?? null, hashTestId(name));
        touched++;
      }
      this.indexEstimates(profile);
    }
    return touched;
  }

  /**
   * Rebuilds a profile's estimate index at its current generation. Called when a write
   * is done (a run finished, timings imported): a full pass over the profile's timings,
   * paid once by the writer so that every later `estimates` is a blob read.
   */
  private indexEstimates(profile: string): void {
    const count = this.sql.countEstimates.get(profile) as number;
    const keys = new Float64Array(count);
    const estimates = new Float64Array(count);
    // A page of rows at a time: iterate() costs about three times as much a row as all(),
    // and all() at once would hold every row of a big profile as an array.
    let n = 0;
    for (let after = -1, page: [number, number, number][]; n < count; n += page.length) {
      page = this.sql.profileEstimates.all(profile, after, INDEX_PAGE_ROWS) as [number, number, number][];
      if (page.length === 0) break;
      page.forEach(([test, hash, estimate], i) => {
        keys[n + i] = hash;
        estimates[n + i] = estimate;
        after = test;
      });
    }
    this.sql.putIndex.run(buildEstimateIndex(keys.subarray(0, n), estimates.subarray(0, n)), profile);
  }

  /** A page of runs, newest first (browse.ts). */
  runPage(query: RunPageQuery): StoredRun[] {
    return this.guard(() => (this.browsing().runPage.all({ profile: query.profile ?? null, before: query.before ?? null, limit: query.limit }) as Row[]).map((row) => this.summary(row)));
  }

  /** A page of a run's results, and how many results match the query in all. */
  resultPage(run: number, query: ResultPageQuery): { total: number; results: StoredResult[] } {
    return this.guard(() => {
      const where = { run, codes: query.statuses === undefined ? null : JSON.stringify(query.statuses.map(statusToCode)), testId: query.testId ?? null };
      const rows = this.browsing().resultPage.all({ ...where, limit: query.limit, offset: query.offset }) as ResultRow[];
      return { total: this.browsing().resultCount.get(where) as number, results: rows.map(toStoredResult) };
    });
  }

  /** Every result of a run as a timeline draws it, in the order they were recorded. */
  spans(run: number): Span[] {
    return this.guard(() => (this.browsing().spans.all(run) as [string, number, number | null, number | null, string | null, number][]).map(
      ([testId, status, start, stop, worker, seq]) => ({ testId, status: statusFromCode(status), startUs: start ?? undefined, stopUs: stop ?? undefined, worker: worker ?? undefined, seq }),
    ));
  }

  /**
   * Tests that both passed and failed in runs of one selection among the latest `runs`
   * runs of `profile`, most flips first; `limit` -1 for all of them.
   */
  flaky(profile: string, runs: number, limit: number): FlakyTest[] {
    return this.guard(() => (this.browsing().flaky.all({ profile, runs, limit }) as [string, number, number, number, number, number, number][]).map(
      ([testId, results, failures, flips, passedOnRetry, lastFailedRun, lastFailedUs]) => ({ testId, results, failures, flips, passedOnRetry, lastFailedRun, lastFailedUs }),
    ));
  }

  private browsing(): BrowseStatements {
    return (this.browse ??= prepareBrowse(this.db));
  }

  /**
   * Removes runs with their results, their place in the tests' histories and their
   * bisections, in one transaction (remove.ts says what becomes of timings). Refuses a
   * run that a live process still records, and ids the repository does not hold, before
   * removing anything. Returns how many results went.
   */
  removeRuns(runs: readonly number[]): number {
    return this.guard(() => {
      if (this.readOnly) throw readOnly(this.file, 'it was opened read-only');
      const removal = (this.removal ??= new RunRemoval(this.db));
      return this.db.transaction(() => {
        const profiles = new Set<string>();
        for (const run of runs) {
          const row = this.sql.run.get(run) as Row | undefined;
          if (row === undefined) throw noSuchRun(run);
          refuseInProgress(this.summary(row), 'remove it once that run is over');
          profiles.add(row['profile'] as string);
        }
        this.fold.now();
        let removed = 0;
        for (const run of new Set(runs)) {
          removed += removal.remove(run);
          this.openRuns.delete(run);
        }
        removal.done();
        for (const profile of profiles) {
          this.sql.touchProfile.run(profile);
          this.indexEstimates(profile);
        }
        return removed;
      }).immediate();
    });
  }

  /** The bisection of `testId` in `run`, with its evidence so far; undefined if none began. */
  bisection(run: number, testId: string): StoredBisection | undefined {
    return this.guard(() => this.bisections().get(run, testId));
  }

  /** Begins the bisection of a test of a run (one per run and test); returns its id. */
  beginBisection(start: BisectionStart): number {
    return this.guard(() => this.bisections().begin(start));
  }

  /** Adds one execution's evidence and the search's state after it, in one transaction. */
  recordBisection(id: number, progress: BisectProgress): void {
    this.guard(() => this.db.transaction(() => this.bisections().record(id, progress)).immediate());
  }

  /** Stores what a bisection concluded. */
  concludeBisection(id: number, outcome: unknown, at: Timestamp): void {
    this.guard(() => this.bisections().conclude(id, outcome, at));
  }

  /** Forgets a bisection and its evidence (to start it over). */
  forgetBisection(id: number): void {
    this.guard(() => this.bisections().remove(id));
  }

  private bisections(): BisectionStatements {
    return (this.bisectionStatements ??= new BisectionStatements(this.db));
  }

  /**
   * Results that timings, the failing set and histories do not show yet: recorded by a
   * run that did not finish, and not folded in since because this repository could not be
   * written (read-only, or its disk full). 0 when reads saw everything.
   */
  get unfolded(): number {
    return this.fold.blocked ? this.guard(() => this.fold.waiting) : 0;
  }

  close(): void {
    // A run left unfinished keeps its journal: the next open stores what it missed.
    for (const journal of this.journals.values()) journal.close();
    this.journals.clear();
    this.db.close();
    // Its own writes keep a sound file sound: the next open need not check it again.
    if (this.sound && !this.readOnly) stampChecked(this.file);
  }

  private openRun(run: number): OpenRun {
    let open = this.openRuns.get(run);
    if (open === undefined) {
      // A run begun by another connection (or before a restart): pick its seqs up.
      open = this.loadOpenRun(run);
      this.openRuns.set(run, open);
    }
    return open;
  }

  private loadOpenRun(run: number): OpenRun {
    const profile = this.sql.runProfile.get(run) as string | undefined;
    if (profile === undefined) throw noSuchRun(run);
    const seqs = new Map<string, number>();
    for (const [worker, next] of this.sql.nextSeqs.all({ run }) as [string, number][]) seqs.set(worker, next);
    return { profile, seqs };
  }

  /**
   * Learns the ids of a batch's tests with one query for those the repository holds and
   * one insert for the rest, instead of an insert attempt and a lookup per test: a run of
   * known tests interns nothing. `intern` then finds them in the cache.
   */
  private learnIds(results: readonly ResultInput[], interned: string[]): void {
    const unknown = new Set<string>();
    for (const r of results) if (!this.testIds.has(r.testId)) unknown.add(r.testId);
    if (unknown.size === 0) return;
    const names = [...unknown];
    // Positions rather than names come back: no string crosses back into JS.
    for (const [at, id] of this.sql.testIds.all(JSON.stringify(names)) as [number, number][]) {
      this.testIds.set(names[at]!, id);
      unknown.delete(names[at]!);
    }
    if (unknown.size === 0) return;
    for (const [name, id] of this.sql.insertTests.all(JSON.stringify([...unknown])) as [string, number][]) {
      this.testIds.set(name, id);
      interned.push(name);
    }
  }

  private intern(name: string, interned: string[]): number {
    let id = this.testIds.get(name);
    if (id === undefined) {
      const info = this.sql.insertTest.run(name, hashTestId(name));
      id = info.changes > 0 ? Number(info.lastInsertRowid) : (this.sql.testId.get(name) as number);
      this.testIds.set(name, id);
      interned.push(name);
    }
    return id;
  }

  private summary(row: Row): StoredRun {
    const counts: Partial<Record<ResultStatus, number>> = {};
    for (const [code, n] of this.sql.counts.all(row.id) as [number, number][]) counts[statusFromCode(code)] = n;
    return {
      id: row.id as number,
      profile: row.profile as string,
      start: fromMicros(row.start_us as number),
      stop: row.stop_us === null ? undefined : fromMicros(row.stop_us as number),
      source: (row.source as string | null) ?? undefined,
      selectionDigest: (row.selection_digest as string | null) ?? undefined,
      planDigest: (row.plan_digest as string | null) ?? undefined,
      workers: (row.workers as number | null) ?? undefined,
      known: (row.known as number | null) ?? undefined,
      exitStatus: (row.exit_status as number | null) ?? undefined,
      writer: row.writer_host === null ? undefined : { host: row.writer_host as string, pid: row.writer_pid as number },
      complete: row.complete === 1,
      partial: row.partial === 1,
      lowerBound: (row.lower_bound as number | null) ?? undefined,
      counts,
    };
  }
}

function migrate(db: Database.Database, file: string): void {
  const version = (): number => db.pragma('user_version', { simple: true }) as number;
  if (version() > SCHEMA_VERSION) {
    throw new StoreError('BATON_STORE_TOO_NEW', `the repository ${file} has schema version ${version()}, newer than this baton understands (${SCHEMA_VERSION}); upgrade baton`);
  }
  // Only a database behind takes the write lock; the usual open is read-only.
  if (version() === SCHEMA_VERSION) return;
  if (db.readonly) {
    throw readOnly(file, `its schema version ${version()} is older than this baton's (${SCHEMA_VERSION}) and must be upgraded before it can be read, which writes it: run any baton command once on a writable copy`);
  }
  MIGRATIONS.forEach((sql, i) => {
    db.transaction(() => {
      // Re-read inside the lock: another process may have migrated meanwhile.
      if (version() !== i) return;
      db.exec(sql);
      db.pragma(`user_version = ${i + 1}`);
    }).immediate();
  });
}

/** A test's results, with the failed attempts (`--retries`) before each, as `history` reads them. */
const HISTORY = `
  SELECT r.run, ru.profile, r.status, r.start_us, r.stop_us, r.worker, (SELECT count(*) FROM attempts a WHERE a.run = r.run AND a.test = r.test) FROM test_results tr
  JOIN results r ON r.rowid = tr.result JOIN runs ru ON ru.id = r.run
  WHERE tr.test = (SELECT id FROM tests WHERE name = ?)`;

function prepare(db: Database.Database) {
  const raw = (sql: string) => db.prepare(sql).raw();
  const pluck = (sql: string) => db.prepare(sql).pluck();
  return {
    insertRun: db.prepare('INSERT INTO runs (profile, start_us, source, selection_digest, plan_digest, workers, known, writer_host, writer_pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    // A reopened run stays partial if it was: what its damaged input lost is still lost.
    finishRun: db.prepare('UPDATE runs SET stop_us = ?, exit_status = ?, partial = max(partial, ?), workers = coalesce(?, workers), lower_bound = ?, complete = 1 WHERE id = ?'),
    insertProcessStart: db.prepare('INSERT INTO process_starts (run, worker, cause, asked_us, ready_us, from_us) VALUES (?, ?, ?, ?, ?, ?)'),
    processStarts: raw('SELECT run, worker, cause, asked_us, ready_us, from_us FROM process_starts WHERE run = ? ORDER BY rowid'),
    reopenRun: db.prepare('UPDATE runs SET stop_us = NULL, exit_status = NULL, complete = 0, known = NULL, selection_digest = ?, plan_digest = ?, writer_host = ?, writer_pid = ? WHERE id = ?'),
    // What a reopened run held (its journal's lines count attempts too), and its last result's rowid.
    resultSpan: raw('SELECT (SELECT count(*) FROM results WHERE run = @run) + (SELECT count(*) FROM attempts WHERE run = @run), (SELECT coalesce(max(rowid), 0) FROM results WHERE run = @run)'),
    // A reopened run's results up to rowid @through whose test it recorded again after.
    replacedHistories: db.prepare(`
      DELETE FROM test_results WHERE (test, result) IN (
        SELECT test, rowid FROM results WHERE run = @run AND rowid <= @through AND test IN (SELECT test FROM results WHERE run = @run AND rowid > @through))`),
    replacedResults: db.prepare('DELETE FROM results WHERE run = @run AND rowid <= @through AND test IN (SELECT test FROM results WHERE run = @run AND rowid > @through)'),
    run: db.prepare('SELECT * FROM runs WHERE id = ?'),
    latestRun: db.prepare('SELECT * FROM runs WHERE profile = ? ORDER BY id DESC LIMIT 1'),
    latestRunWithoutHistory: db.prepare(
      'SELECT * FROM runs WHERE profile = ? AND id < ? AND known = 0 AND complete = 1 AND selection_digest IS ? AND workers IS ? ORDER BY id DESC LIMIT 1',
    ),
    runProfile: pluck('SELECT profile FROM runs WHERE id = ?'),
    hasSource: pluck('SELECT 1 FROM runs WHERE source = ?'),
    counts: raw('SELECT status, count(*) FROM results WHERE run = ? GROUP BY status'),
    // What a run's journal lines became: its results and its attempts.
    countResults: pluck('SELECT (SELECT count(*) FROM results WHERE run = @run) + (SELECT count(*) FROM attempts WHERE run = @run)'),
    nextSeqs: raw(`
      SELECT coalesce(worker, ''), max(seq) + 1 FROM (SELECT worker, seq FROM results WHERE run = @run UNION ALL SELECT worker, seq FROM attempts WHERE run = @run)
      GROUP BY coalesce(worker, '')`),
    insertAttempt: db.prepare('INSERT INTO attempts (run, test, status, start_us, stop_us, worker, seq, tags, details, attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    attempts: raw(`
      SELECT t.name, a.run, a.status, a.start_us, a.stop_us, a.worker, a.seq, a.tags, a.details, a.attempt
      FROM attempts a JOIN tests t ON t.id = a.test WHERE a.run = ? ORDER BY a.rowid`),
    insertTest: db.prepare('INSERT OR IGNORE INTO tests (name, hash) VALUES (?, ?)'),
    testId: pluck('SELECT id FROM tests WHERE name = ?'),
    testIds: raw('SELECT wanted.key, tests.id FROM json_each(?) AS wanted JOIN tests ON tests.name = wanted.value'),
    insertTests: raw('INSERT OR IGNORE INTO tests (name, hash) SELECT value, baton_hash(value) FROM json_each(?) RETURNING name, id'),
    timing: raw(`SELECT ${TIMING_COLUMNS} FROM timings WHERE profile = ? AND test = ?`),
    touchProfile: db.prepare('INSERT INTO profile_state (profile, generation) VALUES (?, 1) ON CONFLICT (profile) DO UPDATE SET generation = generation + 1'),
    profileEstimates: raw('SELECT test, hash, estimate FROM timings WHERE profile = ? AND test > ? AND estimate IS NOT NULL ORDER BY test LIMIT ?'),
    countEstimates: pluck('SELECT count(*) FROM timings WHERE profile = ? AND estimate IS NOT NULL'),
    putIndex: db.prepare('INSERT OR REPLACE INTO estimate_index (profile, generation, entries) SELECT profile, generation, ? FROM profile_state WHERE profile = ?'),
    validIndex: pluck('SELECT e.entries FROM estimate_index e JOIN profile_state p ON p.profile = e.profile AND p.generation = e.generation WHERE e.profile = ?'),
    // Without reading the blob: a profile with timings whose index is missing or behind.
    staleIndex: pluck(`
      SELECT 1 FROM profile_state p LEFT JOIN estimate_index e ON e.profile = p.profile AND e.generation = p.generation
      WHERE p.profile = ? AND e.profile IS NULL`),
    putTiming: db.prepare(`INSERT OR REPLACE INTO timings (profile, test, ${TIMING_COLUMNS}, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    allTimings: raw(`SELECT tm.profile, t.name, ${TIMING_COLUMNS} FROM timings tm JOIN tests t ON t.id = tm.test ORDER BY tm.profile, t.name`),
    results: raw(`SELECT ${RESULT_COLUMNS} FROM results r JOIN tests t ON t.id = r.test WHERE r.run = ? ORDER BY r.rowid`),
    resultOf: raw(`
      SELECT ${RESULT_COLUMNS} FROM test_results tr JOIN results r ON r.rowid = tr.result JOIN tests t ON t.id = r.test
      WHERE r.run = ? AND tr.test = ? ORDER BY tr.result DESC LIMIT 1`),
    estimates: pluck(ESTIMATES_SQL),
    failing: raw(`
      SELECT t.name, tm.test, tm.last_run FROM timings tm JOIN tests t ON t.id = tm.test
      WHERE tm.profile = ? AND tm.last_status IN ${FAILING_CODES_SQL} ORDER BY t.name`),
    history: raw(`${HISTORY} ORDER BY r.run, r.rowid`),
    historyOfProfile: raw(`${HISTORY} AND ru.profile = ? ORDER BY r.run, r.rowid`),
    slowest: raw(`
      SELECT t.name, r.stop_us - r.start_us AS d, r.status FROM results r JOIN tests t ON t.id = r.test
      WHERE r.run = ? AND r.start_us IS NOT NULL AND r.stop_us IS NOT NULL ORDER BY d DESC, t.name LIMIT ?`),
    profiles: raw(`
      SELECT name, sum(runs), sum(tests), sum(failing), max(latest) FROM (
        SELECT profile AS name, count(*) AS runs, 0 AS tests, 0 AS failing, max(id) AS latest FROM runs GROUP BY profile
        UNION ALL
        SELECT profile, 0, count(*), sum(last_status IN ${FAILING_CODES_SQL}), NULL FROM timings GROUP BY profile
      ) GROUP BY name ORDER BY name`),
    stats: raw(`SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM runs WHERE complete = 0),
      (SELECT count(*) FROM results), (SELECT count(*) FROM tests)`),
  };
}

function toStoredResult([name, run, status, start, stop, worker, seq, tags, details, attempt]: ResultRow): StoredResult {
  return {
    run,
    testId: name,
    status: statusFromCode(status),
    start: start === null ? undefined : fromMicros(start),
    stop: stop === null ? undefined : fromMicros(stop),
    worker: worker ?? undefined,
    seq,
    tags: tags === null ? [] : (JSON.parse(tags) as string[]),
    attachments: unpackAttachments(details),
    ...(attempt !== null && { attempt }),
  };
}

function toTiming([estimate, last, count, failures, status, run, updated]: TimingRow): Timing {
  return {
    estimate: estimate ?? undefined,
    last: last ?? undefined,
    count,
    failures,
    lastStatus: statusFromCode(status),
    lastRun: run ?? undefined,
    updated: updated ?? undefined,
  };
}
