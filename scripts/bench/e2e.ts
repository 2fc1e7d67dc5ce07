// `npm run bench -- e2e [--parts 1,2,3] [--tests 2000] [--work 60] [--jobs 8] [--noop 20000]
//   [--noop-jobs 2] [--demo-jobs 4] [--demo-rounds 3] [--repeat 1] [--cpu-prof DIR] [--keep]`
//
// End-to-end benchmarks of `baton run`, each a real CLI process over real Python test
// servers, measured from outside (process start to exit) and, through `--json`, inside
// (first test start, last test stop):
//   1. a generated sleep suite (heavy-tailed durations, fixed seed) on `-j 8` with stale
//      history: wall / lower bound, where lower bound = max(Σ true durations / 8, longest);
//   2. no-op tests on `-j 2`, cold (empty repository) then warm (its history): tests per
//      second end to end, every result stored; `--cpu-prof DIR` profiles each run;
//   3. examples/python-demo under Debian's `stestr run --concurrency N` and `baton run -j N`,
//      alternated; the first run of each builds history, the next `--demo-rounds` are
//      measured: the ratio of the medians.
// Every Python process is /usr/bin/python3 (what Debian's stestr runs), so that an
// interpreter shim on PATH is not part of either tool's time.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '@baton/scheduler';
import { median, rate, ratio, table } from './_table.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'packages', 'cli', 'bin', 'baton.js');
const DEMO = join(ROOT, 'examples', 'python-demo');
const PYTHON = '/usr/bin/python3';
const STESTR = '/usr/bin/stestr';
/** The lower bound's definition, printed under the tables. */
const LOWER_BOUND = 'lower bound = max(Σ true durations / workers, longest test)';

interface Options {
  parts: Set<number>;
  tests: number;
  work: number;
  jobs: number;
  noop: number;
  noopJobs: number;
  demoJobs: number;
  demoRounds: number;
  repeat: number;
  cpuProf: string | undefined;
  keep: boolean;
}

function parseArgs(args: string[]): Options {
  const o: Options = { parts: new Set([1, 2, 3]), tests: 2000, work: 60, jobs: 8, noop: 20_000, noopJobs: 2, demoJobs: 4, demoRounds: 3, repeat: 1, cpuProf: undefined, keep: false };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const num = () => {
      const n = Number(value());
      if (!(n > 0)) throw new Error(`${flag} takes a positive number`);
      return n;
    };
    switch (flag) {
      case '--parts': o.parts = new Set(value().split(',').map(Number)); break;
      case '--tests': o.tests = num(); break;
      case '--work': o.work = num(); break;
      case '--jobs': o.jobs = num(); break;
      case '--noop': o.noop = num(); break;
      case '--noop-jobs': o.noopJobs = num(); break;
      case '--demo-jobs': o.demoJobs = num(); break;
      case '--demo-rounds': o.demoRounds = num(); break;
      case '--repeat': o.repeat = num(); break;
      case '--cpu-prof': o.cpuProf = value(); break;
      case '--keep': o.keep = true; break;
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------
// Processes

/**
 * What every measured process runs with: Python's default bytecode caching, whatever this
 * shell says (some sandboxes set PYTHONDONTWRITEBYTECODE, and then every test server and
 * every stestr worker compiles the suite from source at each start, ~0.1 s here, which is
 * neither tool's doing).
 */
const BENCH_ENV: NodeJS.ProcessEnv = (() => {
  const env: NodeJS.ProcessEnv = { ...process.env, BATON_PYTHON: PYTHON };
  delete env['PYTHONDONTWRITEBYTECODE'];
  return env;
})();

interface Timed {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Epoch ms just before spawn and at exit (comparable with the JSON report's ISO times). */
  readonly startedAt: number;
  readonly exitedAt: number;
  /** Wall seconds on the monotonic clock. */
  readonly wall: number;
}

function timed(command: string, args: string[], cwd: string): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const t0 = performance.now();
    const child = spawn(command, args, { cwd, env: BENCH_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, startedAt, exitedAt: Date.now(), wall: (performance.now() - t0) / 1000 }));
  });
}

const baton = (args: string[], cwd: string, nodeArgs: string[] = []) => timed(process.execPath, [...nodeArgs, BIN, ...args], cwd);

function check(what: string, r: Timed, expected: number[]): void {
  if (r.code !== null && expected.includes(r.code)) return;
  throw new Error(`${what} exited ${r.code} (expected ${expected.join(' or ')})\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`);
}

/** What a `--json` report tells about where the wall time went. */
interface Phases {
  readonly results: number;
  readonly workers: number;
  readonly startup: number;
  readonly testing: number;
  readonly shutdown: number;
  /** Seconds between the first and the last worker finishing its last test. */
  readonly spread: number;
  /** Seconds between the first and the last worker starting its first test. */
  readonly joinSpread: number;
  /** Results whose recorded duration is negative (stop before start). */
  readonly negative: number;
}

function phases(file: string, run: Timed): Phases {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { results: { worker: string; start: string | null; stop: string | null; duration: number | null }[] };
  let first = Infinity;
  let last = -Infinity;
  let negative = 0;
  const lastByWorker = new Map<string, number>();
  const firstByWorker = new Map<string, number>();
  for (const r of doc.results) {
    if (r.duration !== null && r.duration < 0) negative++;
    if (r.start !== null) {
      const start = Date.parse(r.start);
      first = Math.min(first, start);
      firstByWorker.set(r.worker, Math.min(firstByWorker.get(r.worker) ?? Infinity, start));
    }
    if (r.stop !== null) {
      const stop = Date.parse(r.stop);
      last = Math.max(last, stop);
      lastByWorker.set(r.worker, Math.max(lastByWorker.get(r.worker) ?? -Infinity, stop));
    }
  }
  const ends = [...lastByWorker.values()];
  const starts = [...firstByWorker.values()];
  return {
    results: doc.results.length,
    workers: lastByWorker.size,
    startup: (first - run.startedAt) / 1000,
    testing: (last - first) / 1000,
    shutdown: (run.exitedAt - last) / 1000,
    spread: (Math.max(...ends) - Math.min(...ends)) / 1000,
    joinSpread: (Math.max(...starts) - Math.min(...starts)) / 1000,
    negative,
  };
}

// ---------------------------------------------------------------------------------------
// Generated suites

/**
 * Heavy-tailed durations (log-normal, σ = 1.5) scaled to `work` seconds in total, the
 * longest capped at a quarter of a worker's share so that the bound is the work, not one
 * test; whole milliseconds, at least 1 ms.
 */
function durations(count: number, work: number, workers: number, random: () => number): number[] {
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const raw = Array.from({ length: count }, () => Math.exp(1.5 * normal()));
  const cap = work / workers / 4;
  let d = raw;
  for (let i = 0; i < 20; i++) {
    const sum = d.reduce((s, x) => s + x, 0);
    d = d.map((x) => Math.min(cap, (x * work) / sum));
  }
  return d.map((x) => Math.max(0.001, Math.round(x * 1000) / 1000));
}

interface Suite {
  readonly dir: string;
  readonly ids: string[];
}

/** A unittest package `suite/` of `bodies.length` tests, 200 to a module, with a `.stestr.conf`. */
function writeSuite(dir: string, bodies: string[]): Suite {
  mkdirSync(join(dir, 'suite'), { recursive: true });
  writeFileSync(join(dir, '.stestr.conf'), '[DEFAULT]\ntest_path=./suite\ntop_dir=./\n');
  writeFileSync(join(dir, 'suite', '__init__.py'), '');
  const ids: string[] = [];
  const perModule = 200;
  for (let m = 0; m * perModule < bodies.length; m++) {
    const name = `test_m${String(m).padStart(3, '0')}`;
    const lines = ['import time', 'import unittest', '', '', 'class T(unittest.TestCase):'];
    for (let i = m * perModule; i < Math.min(bodies.length, (m + 1) * perModule); i++) {
      const test = `test_${String(i).padStart(5, '0')}`;
      lines.push(`    def ${test}(self):`, `        ${bodies[i]}`);
      ids.push(`suite.${name}.T.${test}`);
    }
    writeFileSync(join(dir, 'suite', `${name}.py`), `${lines.join('\n')}\n`);
  }
  return { dir, ids };
}

const secs = (s: number) => `${s.toFixed(2)} s`;

// ---------------------------------------------------------------------------------------
// 1. Stale history

async function staleHistory(o: Options, tmp: string): Promise<void> {
  // Seeded, so that every run of the bench generates the same suite.
  const seeded = mulberry32(0xba70);
  const random = () => seeded.next();
  const truth = durations(o.tests, o.work, o.jobs, random);
  const suite = writeSuite(join(tmp, 'sleep'), truth.map((d) => `time.sleep(${d})`));
  // The stale history: 5% of tests recorded 20× slower than they now are, 5% 20× faster.
  const order = truth.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const fivePercent = Math.round(o.tests * 0.05);
  const recorded = [...truth];
  for (const i of order.slice(0, fivePercent)) recorded[i] = truth[i]! * 20;
  for (const i of order.slice(fivePercent, 2 * fivePercent)) recorded[i] = truth[i]! / 20;
  const updated = Date.now() * 1000;
  const timings = {
    format: 'baton-timings',
    version: 1,
    profiles: {
      default: Object.fromEntries(suite.ids.map((id, i) => [id, { estimate: recorded[i], last: recorded[i], count: 5, failures: 0, lastStatus: 'success', updated }])),
    },
  };
  writeFileSync(join(tmp, 'stale-timings.json'), JSON.stringify(timings));

  const sum = truth.reduce((s, x) => s + x, 0);
  const longest = Math.max(...truth);
  const bound = Math.max(sum / o.jobs, longest);
  const rows: (string | number)[][] = [['run', 'wall', 'bound', 'wall/bound', 'testing', 'testing/bound', 'startup', 'shutdown', 'start spread', 'finish spread']];
  const negatives: number[] = [];
  const walls: number[] = [];
  for (let r = 1; r <= o.repeat; r++) {
    rmSync(join(suite.dir, '.baton'), { recursive: true, force: true });
    check('baton init', await baton(['init'], suite.dir), [0]);
    check('baton timings import', await baton(['timings', 'import', join(tmp, 'stale-timings.json')], suite.dir), [0]);
    const json = join(tmp, `stale-${r}.json`);
    const run = await baton(['run', '-j', String(o.jobs), '--json', json], suite.dir);
    check('baton run (stale history)', run, [0]);
    const p = phases(json, run);
    if (p.results !== o.tests) throw new Error(`baton run recorded ${p.results} results, not ${o.tests}`);
    walls.push(run.wall);
    negatives.push(p.negative);
    rows.push([String(r), secs(run.wall), secs(bound), ratio(run.wall / bound), secs(p.testing), ratio(p.testing / bound), secs(p.startup), secs(p.shutdown), secs(p.joinSpread), secs(p.spread)]);
  }
  if (o.repeat > 1) rows.push(['median', secs(median(walls)), secs(bound), ratio(median(walls) / bound), '', '', '', '', '', '']);
  console.log(`\n(1) ${o.tests} sleep tests, ${secs(sum)} of work (log-normal σ 1.5, longest ${secs(longest)}, seed 0xba70), baton run -j ${o.jobs}, stale history (5% recorded 20× slower, 5% 20× faster)`);
  console.log(table(rows));
  console.log(`reference: ${LOWER_BOUND} = ${secs(bound)} (true durations as generated); aim wall/bound ≤ 1.10×.`);
  console.log('  testing = last test stop − first test start; startup = first test start − process start; shutdown = process exit − last test stop;');
  console.log('  start/finish spread = last − first worker to start its first / finish its last test (all from --json).');
  if (negatives.some((n) => n > 0)) console.log(`  warning: ${negatives.join(', ')} result(s) recorded with a negative duration (stop before start)`);
}

// ---------------------------------------------------------------------------------------
// 2. Throughput

async function throughput(o: Options, tmp: string): Promise<void> {
  const suite = writeSuite(join(tmp, 'noop'), Array.from({ length: o.noop }, () => 'pass'));
  const rows: (string | number)[][] = [['run', 'wall', 'tests/s', 'testing', 'tests/s testing', 'startup', 'shutdown', 'stored']];
  const walls: Record<'cold' | 'warm', number[]> = { cold: [], warm: [] };
  for (let r = 1; r <= o.repeat; r++) {
    rmSync(join(suite.dir, '.baton'), { recursive: true, force: true });
    // Cold: an empty repository, every estimate learned during the run; warm: the next run, with that history.
    for (const kind of ['cold', 'warm'] as const) {
      const json = join(tmp, `noop-${kind}-${r}.json`);
      // A run is one node process (its local worker lives in it), so node's own profiler covers it.
      const profile = o.cpuProf === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', join(o.cpuProf, `${kind}-${r}`)];
      const run = await baton(['run', '-j', String(o.noopJobs), '--json', json], suite.dir, profile);
      check(`baton run (no-op, ${kind})`, run, [0]);
      const p = phases(json, run);
      const last = await baton(['last', '--json'], suite.dir);
      check('baton last --json', last, [0]);
      const counts = (JSON.parse(last.stdout) as { profiles: Record<string, { run: { counts: Record<string, number> } }> }).profiles['default']!.run.counts;
      const stored = Object.values(counts).reduce((s, n) => s + n, 0);
      if (stored !== o.noop || p.results !== o.noop) throw new Error(`the repository holds ${stored} results and the report ${p.results}, not ${o.noop}`);
      walls[kind].push(run.wall);
      rows.push([`${kind} ${r}`, secs(run.wall), rate(o.noop / run.wall), secs(p.testing), rate(o.noop / p.testing), secs(p.startup), secs(p.shutdown), rate(stored)]);
    }
  }
  if (o.repeat > 1) for (const kind of ['cold', 'warm'] as const) rows.push([`median ${kind}`, secs(median(walls[kind])), rate(o.noop / median(walls[kind])), '', '', '', '', '']);
  console.log(`\n(2) ${rate(o.noop)} no-op tests, baton run -j ${o.noopJobs}: cold (empty repository), then warm (the history of the cold run)`);
  console.log(table(rows));
  console.log(`reference: tests/s = ${rate(o.noop)} / wall of the whole \`baton run\` process (stored = results of the run in \`baton last --json\`); aim ≥ 5,000 tests/s.`);
  if (o.cpuProf !== undefined) console.log(`  CPU profiles (.cpuprofile, one per run) in ${o.cpuProf}/{cold,warm}-N`);
}

// ---------------------------------------------------------------------------------------
// 3. baton against stestr

async function againstStestr(o: Options, tmp: string): Promise<void> {
  const version = spawnSync(PYTHON, ['-c', 'import importlib.metadata as m; print(m.version("stestr"))'], { encoding: 'utf8' }).stdout.trim();
  const dir = join(tmp, 'demo');
  cpSync(DEMO, dir, { recursive: true });
  rmSync(join(dir, '.baton'), { recursive: true, force: true });
  rmSync(join(dir, '.stestr'), { recursive: true, force: true });
  const n = String(o.demoJobs);
  // Run 1 of each builds its history; then `--demo-rounds` measured pairs, alternated so
  // that noise from other load on the machine falls on both alike; medians compared.
  const walls = { stestr: [] as number[], baton: [] as number[] };
  for (let r = 0; r <= o.demoRounds; r++) {
    const s = await timed(STESTR, ['run', '--concurrency', n], dir);
    check(`stestr run #${r + 1}`, s, [0]);
    walls.stestr.push(s.wall);
    const b = await baton(['run', '-j', n], dir);
    check(`baton run #${r + 1}`, b, [0]);
    walls.baton.push(b.wall);
  }
  const measured = (tool: 'stestr' | 'baton') => walls[tool].slice(1);
  const rows: (string | number)[][] = [
    ['tool', 'run 1 (no history)', `runs 2–${o.demoRounds + 1} (history)`, 'median of runs 2…'],
    [`stestr run --concurrency ${n}`, secs(walls.stestr[0]!), measured('stestr').map((w) => w.toFixed(2)).join(' '), secs(median(measured('stestr')))],
    [`baton run -j ${n}`, secs(walls.baton[0]!), measured('baton').map((w) => w.toFixed(2)).join(' '), secs(median(measured('baton')))],
    ['baton / stestr', ratio(walls.baton[0]! / walls.stestr[0]!), measured('baton').map((w, i) => (w / measured('stestr')[i]!).toFixed(2)).join(' '), ratio(median(measured('baton')) / median(measured('stestr')))],
  ];
  console.log(`\n(3) examples/python-demo (329 unittest tests), N = ${n}, runs alternated stestr, baton, stestr, baton, …`);
  console.log(table(rows));
  console.log(`reference: stestr ${version} from Debian (${STESTR}, ${PYTHON}) vs baton with BATON_PYTHON=${PYTHON}; wall of each whole process; aim: median ratio of runs with history ≤ 0.90×.`);
}

/** Median wall milliseconds of 7 starts of `command`. */
function startMs(command: string, args: string[]): number {
  const times = Array.from({ length: 7 }, () => {
    const t0 = performance.now();
    spawnSync(command, args, { stdio: 'ignore', env: BENCH_ENV });
    return performance.now() - t0;
  });
  return Math.round(median(times));
}

export default async function e2e(args: string[]): Promise<void> {
  const o = parseArgs(args);
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first with \`npx tsc -b packages/cli\``);
  const tmp = mkdtempSync(join(tmpdir(), 'baton-bench-e2e-'));
  try {
    const load = loadavg().map((l) => l.toFixed(2)).join(' ');
    console.log(`e2e: node ${process.version}, ${PYTHON}, ${availableParallelism()} cores, load average ${load} at the start; temp dir ${tmp}`);
    // Start-up is CPU work that scales with how fast this shared machine runs at the time.
    console.log(`  machine speed now: \`node -e 0\` ${startMs(process.execPath, ['-e', '0'])} ms, \`python3 -c pass\` ${startMs(PYTHON, ['-c', 'pass'])} ms (median of 7 starts); Python writes and reads bytecode caches (PYTHONDONTWRITEBYTECODE unset)`);
    if (o.parts.has(1)) await staleHistory(o, tmp);
    if (o.parts.has(2)) await throughput(o, tmp);
    if (o.parts.has(3)) await againstStestr(o, tmp);
  } finally {
    if (o.keep) console.log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}
