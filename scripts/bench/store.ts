// `npm run bench -- store [--results N] [--stestr-results N] [--estimates N]`
//
// Loads one generated subunit v2 stream (stestr-shaped: 8 workers, worker-N tags, ~1%
// failures with tracebacks) with `baton load` and with Debian's `stestr load`, each in a
// fresh repository and as a whole process (start-up included), then times how long the
// repository takes to answer estimates for many tests. stestr keeps timings in a dumb
// dbm it rewrites per run, so a million results takes it far too long; it loads a prefix
// of the same stream instead, and baton loads that prefix too for a like-for-like line.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteRepository } from '@baton/store';
import { syntheticStream, syntheticTestId } from '../../packages/store/src/test-support/streams.js';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../packages/cli/dist/bin.js');

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

/** Median time in ms of `estimates` for `count` ids spread over the repository, and the known count. */
function timeEstimates(dir: string, total: number, count: number): { coldMs: number; medianMs: number; known: number } {
  const repo = SqliteRepository.open(join(dir, '.baton', 'baton.db'));
  try {
    const step = Math.max(1, Math.floor(total / count));
    const ids = Array.from({ length: count }, (_, i) => syntheticTestId((i * step) % total));
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

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export default async function store(args: string[]): Promise<void> {
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
    const estimates = timeEstimates(batonFull.dir, results, estimateCount);
    const estimatesSmall = timeEstimates(batonPrefix.dir, stestrResults, Math.min(estimateCount, stestrResults));
    const dbBytes = statSync(join(batonFull.dir, '.baton', 'baton.db')).size;
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
    console.log(`${estimateLine(estimates, estimateCount, results)}; aim < 100 ms`);
    console.log(estimateLine(estimatesSmall, Math.min(estimateCount, stestrResults), stestrResults));
    console.log(`repository after the full load: ${fmt(dbBytes / 1e6, 1)} MB`);
    console.log(`reference: ${stestrVersion()} from Debian (python3-stestr), \`stestr load\` of the first ${fmt(stestrResults)} results of the same stream; ` +
      'both timed as whole processes into a fresh repository; aim: baton ≥ 5× stestr');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
