// `npm run bench -- store [--parts write,load] [--reference REV] [--write-tests N] [--batch N]
//   [--rounds N] [--results N] [--stestr-results N] [--estimates N]`
//
// write: the coordinator's write path, `recordResults` of a `baton run` of --write-tests
// results in batches of --batch, into an empty repository and into one that holds the same
// tests from an earlier run (opened afresh, as each `baton run` opens it), side by side
// with @baton/store at REV (extracted with `git archive`, the checkout untouched).
//
// load: loads one generated subunit v2 stream (stestr-shaped: 8 workers, worker-N tags, ~1%
// failures with tracebacks) with `baton load` and with Debian's `stestr load`, each in a
// fresh repository and as a whole process (start-up included), then times how long the
// repository takes to answer estimates for many tests (and how long the store at REV
// takes, given the same tests and timings). stestr keeps timings in a dumb dbm it
// rewrites per run, so a million results takes it far too long; it loads a prefix of the
// same stream instead, and baton loads that prefix too for a like-for-like line.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, symlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { mulberry32 } from '@baton/scheduler';
import { timestampFromMillis } from '@baton/subunit';
import { SqliteRepository, type ResultInput, type RunRepository } from '@baton/store';
import { syntheticStream, syntheticTestId } from '../../packages/store/src/test-support/streams.js';
import { median, table } from './_table.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BIN = join(ROOT, 'packages/cli/bin/baton.js');
/** The store before its write path and estimate index were cut down: what it compares against. */
const REFERENCE = '03562c5';
/** What `recordResults` may cost per result, for `baton run` to reach 5,000 tests/s. */
const WRITE_TARGET_MICROS = 15;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
}

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i === -1 ? undefined : Number(args[i + 1]);
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) throw new Error(`--${name} needs a positive integer`);
  return value ?? fallback;
}

/** Writes the first `results` synthetic results to `file`; returns its size in bytes. */
function writeStream(file: string, results: number): number {
  const fd = openSync(file, 'w');
  let pending: Uint8Array[] = [];
  let size = 0;
  for (const chunk of syntheticStream({ results })) {
    pending.push(chunk);
    size += chunk.length;
    if (pending.length === 4096) {
      writeSync(fd, Buffer.concat(pending));
      pending = [];
    }
  }
  writeSync(fd, Buffer.concat(pending));
  closeSync(fd);
  return size;
}

/** Runs a command to completion and returns its wall time in seconds. */
function timed(command: string, args: string[], cwd: string, okStatuses: readonly number[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.error || !okStatuses.includes(r.status ?? -1)) {
    throw new Error(`${command} ${args.join(' ')} failed (status ${r.status}): ${r.error?.message ?? r.stderr.toString().slice(-2000)}`);
  }
  return seconds;
}

function freshDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function batonLoad(file: string): { seconds: number; dir: string } {
  const dir = freshDir('bench-baton-');
  timed(process.execPath, [BIN, 'init'], dir, [0]);
  // Exit 1: the stream holds failures, as a real one does.
  return { seconds: timed(process.execPath, [BIN, 'load', file], dir, [1]), dir };
}

function stestrLoad(file: string): number {
  const dir = freshDir('bench-stestr-');
  try {
    timed('stestr', ['init'], dir, [0]);
    // stestr load exits 0 or 1 depending on its version's reading of the failures.
    return timed('stestr', ['load', file], dir, [0, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function stestrVersion(): string {
  const r = spawnSync('stestr', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'stestr (version unknown)';
}

interface Repositories {
  open(file: string): RunRepository;
}

/** The store to compare against, and the revision it was taken from. */
interface Reference {
  readonly repos: Repositories;
  readonly rev: string;
}

/**
 * SqliteRepository at `rev`, extracted with `git archive` (the checkout is not touched)
 * and loaded through tsx, resolving its dependencies from this checkout; a reason instead
 * if that is not possible.
 */
async function loadReference(rev: string, dir: string): Promise<Repositories | string> {
  const archive = spawnSync('git', ['archive', '--format=tar', rev, 'packages/store/src'], { cwd: ROOT, maxBuffer: 1 << 28 });
  if (archive.status !== 0) return `git archive ${rev} failed: ${archive.stderr.toString().trim()}`;
  const tar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (tar.status !== 0) return `tar failed: ${tar.stderr.toString().trim()}`;
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const mod = (await import(pathToFileURL(join(dir, 'packages', 'store', 'src', 'sqlite.ts')).href)) as { SqliteRepository: Repositories };
  return mod.SqliteRepository;
}

/**
 * Ids as the coordinator holds them, parsed from a listing: flat strings. A template
 * literal builds cons strings, which take about twice as long to hash and to key a Map.
 */
function listed(ids: string[]): string[] {
  return JSON.parse(JSON.stringify(ids)) as string[];
}

/** Median time in ms of `estimates` for `count` ids spread over the repository, and the known count. */
function timeEstimates(repos: Repositories, file: string, total: number, count: number): { coldMs: number; medianMs: number; known: number } {
  const repo = repos.open(file);
  try {
    const step = Math.max(1, Math.floor(total / count));
    const ids = listed(Array.from({ length: count }, (_, i) => syntheticTestId((i * step) % total)));
    const times: number[] = [];
    let known = 0;
    for (let i = 0; i < 7; i++) {
      const start = process.hrtime.bigint();
      known = repo.estimates(ids, 'default').known.size;
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const coldMs = times[0]!;
    const medianMs = times.slice(1).sort((a, b) => a - b)[3]!;
    return { coldMs, medianMs, known };
  } finally {
    repo.close();
  }
}

const TRACEBACK = { name: 'traceback', mimeType: 'text/x-traceback; charset="utf8"', content: new TextEncoder().encode('Traceback (most recent call last):\n  File "pkg/module.py", line 42, in test\nAssertionError: 1 != 2\n') };

/** How a run's results come relative to the run before: the same order, or shuffled. */
type Order = 'same' | 'shuffled';

/**
 * What the coordinator records in the `round`-th `baton run -j 2` of `tests` short tests.
 * A shuffled run sends its tests in another order than the run before, as the scheduler
 * does once it knows durations (longest first).
 */
function runResults(tests: number, round: number, order: Order): ResultInput[] {
  let clock = 1_700_000_000_000 + round * 3_600_000;
  const ids = listed(Array.from({ length: tests }, (_, i) => syntheticTestId(i)));
  if (order === 'shuffled') {
    const rng = mulberry32(round + 1);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
  }
  return ids.map((testId, i) => {
    const start = clock;
    clock += 0.2 + ((i * 7919 + round * 104_729) % 1000) / 1000;
    const status = i % 97 === 96 ? 'fail' : i % 50 === 7 ? 'skip' : 'success';
    return {
      testId,
      status,
      start: timestampFromMillis(start),
      stop: timestampFromMillis(clock),
      worker: String(i % 2),
      tags: [],
      attachments: status === 'fail' ? [TRACEBACK] : [],
    };
  });
}

/**
 * Records a run in batches, as the coordinator's writer does: each result staged in the run's
 * journal as it arrives (where the repository has one: the reference store has not), then
 * the batch. Returns the run and the µs spent staging.
 */
function record(repo: RunRepository, results: readonly ResultInput[], batch: number): { run: number; staging: number } {
  const run = repo.beginRun({ profile: 'default', start: results[0]?.start ?? timestampFromMillis(0) });
  const stage = (repo as Partial<RunRepository>).stage?.bind(repo);
  let staging = 0n;
  for (let i = 0; i < results.length; i += batch) {
    const slice = results.slice(i, i + batch);
    const start = process.hrtime.bigint();
    if (stage !== undefined) for (const r of slice) stage(run, r);
    staging += process.hrtime.bigint() - start;
    repo.recordResults(run, slice);
  }
  return { run, staging: Number(staging) / 1e3 };
}

const stopOf = (results: readonly ResultInput[]) => ({ stop: results.at(-1)?.stop ?? timestampFromMillis(0) });

/** What runs leave in results, timings and test names, to check that both versions store the same. */
function contents(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return JSON.stringify(['SELECT * FROM results ORDER BY rowid', 'SELECT * FROM timings ORDER BY profile, test', 'SELECT id, name FROM tests ORDER BY id']
      .map((sql) => db.prepare(sql).raw().all()));
  } finally {
    db.close();
  }
}

function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

interface WriteTimes {
  /** µs per result of recording the run, staging included, and of staging alone. */
  readonly record: number;
  readonly stage: number;
  /** ms of finishing it, of the next run's `estimates` for its tests, and of those after a run killed mid-way. */
  readonly finish: number;
  readonly estimates: number;
  readonly afterKill: number;
}

/**
 * In a new repository holding `earlierRuns` runs of the tests: records one more in
 * `order`, finishes it and asks its estimates, as consecutive `baton run`s do (each
 * opening the repository afresh); then records a run that is never finished, as a
 * killed coordinator leaves it, and asks the estimates again.
 */
function timeRun(repos: Repositories, file: string, tests: number, batch: number, earlierRuns: number, order: Order): WriteTimes {
  const session = <T>(fn: (repo: RunRepository) => T): T => {
    const repo = repos.open(file);
    try {
      return fn(repo);
    } finally {
      repo.close();
    }
  };
  for (let round = 0; round < earlierRuns; round++) {
    const results = runResults(tests, round, 'same');
    session((repo) => repo.finishRun(record(repo, results, batch).run, stopOf(results)));
  }
  const results = runResults(tests, earlierRuns, order);
  const ids = listed(results.map((r) => r.testId));
  const [perResult, staging, finish] = session((repo) => {
    let start = process.hrtime.bigint();
    const { run, staging } = record(repo, results, batch);
    const micros = (msSince(start) * 1000) / tests;
    start = process.hrtime.bigint();
    repo.finishRun(run, stopOf(results));
    return [micros, staging / tests, msSince(start)];
  });
  const timeEstimates = () => session((repo) => {
    const start = process.hrtime.bigint();
    repo.estimates(ids, 'default');
    return msSince(start);
  });
  const estimates = timeEstimates();
  session((repo) => record(repo, runResults(tests, earlierRuns + 1, order), batch));
  return { record: perResult, stage: staging, finish, estimates, afterKill: timeEstimates() };
}

function writePath(args: string[], reference: Reference | undefined): void {
  const tests = flag(args, 'write-tests', 20_000);
  const batch = flag(args, 'batch', 100);
  const rounds = flag(args, 'rounds', 5);
  const dir = freshDir('bench-store-write-');
  try {
    const rows: string[][] = [['repository', 'step', 'this store', reference ? `at ${reference.rev}` : '', 'faster', 'same rows']];
    const scenarios: [string, number, Order][] = [
      ['empty', 0, 'same'],
      ['holding an earlier run, same order', 1, 'same'],
      ['holding an earlier run, shuffled', 1, 'shuffled'],
    ];
    for (const [label, earlierRuns, order] of scenarios) {
      const mine: WriteTimes[] = [];
      const theirs: WriteTimes[] = [];
      let same: boolean | undefined;
      // Alternate, so that both see the same machine load; each round in new files.
      for (let round = 0; round < rounds; round++) {
        const file = join(dir, `baton-${label}-${round}.db`);
        mine.push(timeRun(SqliteRepository, file, tests, batch, earlierRuns, order));
        if (reference) {
          const theirFile = join(dir, `reference-${label}-${round}.db`);
          theirs.push(timeRun(reference.repos, theirFile, tests, batch, earlierRuns, order));
          if (round === 0) same = contents(file) === contents(theirFile);
        }
      }
      const steps: [string, keyof WriteTimes, string][] = [
        ['stage + recordResults, per result', 'record', 'µs'],
        ['of which stage (the journal)', 'stage', 'µs'],
        ['finishRun', 'finish', 'ms'],
        ['next run\'s estimates', 'estimates', 'ms'],
        ['estimates after a killed run', 'afterKill', 'ms'],
      ];
      steps.forEach(([step, key, unit], i) => {
        const now = median(mine.map((t) => t[key]));
        // The reference store stages nothing: its staging row has no comparison.
        const before = theirs.length > 0 && key !== 'stage' ? median(theirs.map((t) => t[key])) : undefined;
        rows.push([
          i > 0 ? '' : label,
          step,
          `${fmt(now, 1)} ${unit}`,
          before === undefined ? '' : `${fmt(before, 1)} ${unit}`,
          before === undefined ? '' : `${fmt(before / now, 1)}×`,
          i > 0 || same === undefined ? '' : same ? 'yes' : 'NO',
        ]);
      });
    }
    console.log(`write path: runs of ${fmt(tests)} results (1% failures with a traceback) recorded in batches of ${fmt(batch)}, ` +
      `each opening the repository afresh; median of ${rounds} rounds; target ≤ ${WRITE_TARGET_MICROS} µs per result`);
    console.log(table(rows));
    if (reference) {
      console.log(`reference: @baton/store at ${reference.rev} (per result one INSERT into results and one UPSERT into timings, the estimate ` +
        'index in profile_state), loaded from git into this process; "same rows" compares the results, timings and test names the first ' +
        'round left (after the killed run, which this store folded into timings when asked)');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A repository of the reference store holding the tests and timings of `from` (copied in
 * SQL: recording them through its write path would take minutes), with its estimate index.
 */
function referenceCopy(reference: Repositories, from: string, file: string): string {
  reference.open(file).close();
  const db = new Database(file);
  try {
    db.prepare('ATTACH ? AS source').run(from);
    const timings = 'profile, test, estimate, last_duration, count, failures, last_status, last_run, updated_us, hash';
    db.exec(`INSERT INTO tests (id, name) SELECT id, name FROM source.tests;
      INSERT INTO timings (${timings}) SELECT ${timings} FROM source.timings`);
  } finally {
    db.close();
  }
  const repo = reference.open(file);
  // Importing nothing still (re)builds the profile's estimate index.
  repo.importTimings({ format: 'baton-timings', version: 1, profiles: { default: {} } });
  repo.close();
  return file;
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export default async function store(args: string[]): Promise<void> {
  const parts = new Set((option(args, 'parts') ?? 'write,load').split(','));
  const rev = option(args, 'reference') ?? REFERENCE;
  const dir = freshDir('bench-store-reference-');
  try {
    const loaded = await loadReference(rev, dir);
    if (typeof loaded === 'string') console.log(`no reference store: ${loaded}\n`);
    const reference = typeof loaded === 'string' ? undefined : { repos: loaded, rev };
    if (parts.has('write')) writePath(args, reference);
    if (parts.has('write') && parts.has('load')) console.log('');
    if (parts.has('load')) load(args, reference);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function load(args: string[], reference: Reference | undefined): void {
  const results = flag(args, 'results', 1_000_000);
  const stestrResults = Math.min(results, flag(args, 'stestr-results', 100_000));
  const estimateCount = Math.min(results, flag(args, 'estimates', 100_000));
  const work = freshDir('bench-store-');
  try {
    const full = join(work, 'full.subunit');
    const prefix = join(work, 'prefix.subunit');
    const fullBytes = writeStream(full, results);
    writeStream(prefix, stestrResults);
    console.log(`stream: ${fmt(results)} results, ${fmt(fullBytes / 1e6, 1)} MB (prefix for stestr: ${fmt(stestrResults)} results, ${fmt(statSync(prefix).size / 1e6, 1)} MB)`);

    const batonFull = batonLoad(full);
    const batonPrefix = batonLoad(prefix);
    const stestrSeconds = stestrLoad(prefix);
    const fullDb = join(batonFull.dir, '.baton', 'baton.db');
    const estimates = timeEstimates(SqliteRepository, fullDb, results, estimateCount);
    const estimatesBefore = reference && timeEstimates(reference.repos, referenceCopy(reference.repos, fullDb, join(work, 'reference.db')), results, estimateCount);
    const estimatesSmall = timeEstimates(SqliteRepository, join(batonPrefix.dir, '.baton', 'baton.db'), stestrResults, Math.min(estimateCount, stestrResults));
    const dbBytes = statSync(fullDb).size;
    rmSync(batonFull.dir, { recursive: true, force: true });
    rmSync(batonPrefix.dir, { recursive: true, force: true });

    const rate = (n: number, s: number): number => n / s;
    const stestrRate = rate(stestrResults, stestrSeconds);
    const rows: [string, string, string, string, string][] = [
      ['baton load', fmt(results), fmt(batonFull.seconds, 2), fmt(rate(results, batonFull.seconds)), `${fmt(rate(results, batonFull.seconds) / stestrRate, 1)}×`],
      ['baton load (stestr\'s prefix)', fmt(stestrResults), fmt(batonPrefix.seconds, 2), fmt(rate(stestrResults, batonPrefix.seconds)), `${fmt(rate(stestrResults, batonPrefix.seconds) / stestrRate, 1)}×`],
      ['stestr load', fmt(stestrResults), fmt(stestrSeconds, 2), fmt(stestrRate), '1.0×'],
    ];
    const header = ['', 'results', 'seconds', 'results/s', 'vs stestr'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log('');
    console.log(line(header));
    for (const row of rows) console.log(line(row));
    console.log('');
    const estimateLine = (e: typeof estimates, asked: number, held: number): string =>
      `estimates for ${fmt(asked)} tests of a repository of ${fmt(held)}: ${fmt(e.medianMs, 1)} ms median of 6 (first call ${fmt(e.coldMs, 1)} ms), ${fmt(e.known)} known`;
    const versus = estimatesBefore === undefined ? '' :
      `; at ${reference?.rev}: ${fmt(estimatesBefore.medianMs, 1)} ms (first ${fmt(estimatesBefore.coldMs, 1)} ms), ${fmt(estimatesBefore.medianMs / estimates.medianMs, 1)}× the time`;
    console.log(`${estimateLine(estimates, estimateCount, results)}; aim < 100 ms${versus}`);
    console.log(estimateLine(estimatesSmall, Math.min(estimateCount, stestrResults), stestrResults));
    console.log(`repository after the full load: ${fmt(dbBytes / 1e6, 1)} MB`);
    console.log(`reference: ${stestrVersion()} from Debian (python3-stestr), \`stestr load\` of the first ${fmt(stestrResults)} results of the same stream; ` +
      'both timed as whole processes into a fresh repository; aim: baton ≥ 5× stestr');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
