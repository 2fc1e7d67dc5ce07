// `npm run bench -- bisect [--rounds N] [--confidence C]`: how long `baton bisect` takes
// to name the test that pollutes test/fixtures/python-flaky's render_totals (which then
// fails one time in ten; 274 tests ran before it), and how many executions (a candidate
// and the test in a fresh process) it needs, beside a naive serial bisection as done by
// hand with --until-failure: halve the suspects, run each half the same number of times,
// N, enough to see a one-in-ten failure with the confidence asked (given the true rate,
// which the naive bisection is told), keep the half that failed. Both run each execution
// on a fresh fork of the same fork server, so the difference is the search. Each round
// records a failing run from a seed whose first flip fails, then runs every approach on it.
// Last, what one execution costs through the adapter (what bisect does) beside a
// `baton run -j 1 --load-list` per execution.
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { listingOf, pythonAdapter, type AdapterFactory } from '@baton/worker';
import { eachFlag } from './_args.js';
import { benchEnv, BIN, check, machineLines, PYTHON, timed } from './_process.js';
import { median, ratio, table } from './_table.js';

const FIXTURE = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'python-flaky');
const POLLUTED = 'tests.test_reports.TestReports.test_render_totals';
const POLLUTER = 'tests.test_config.TestConfig.test_legacy_mode';
/** How often render_totals fails after the polluter (tests/test_reports.py). */
const RATE = 0.1;
/** Executions timed for the cost of one. */
const COST_SAMPLES = 9;

interface Args {
  rounds: number;
  confidence: number;
}

function parseArgs(args: string[]): Args {
  const out: Args = { rounds: 3, confidence: 0.99 };
  eachFlag(args, (flag, value) => {
    if (flag === '--rounds') out.rounds = value.positive();
    else if (flag === '--confidence') out.confidence = value.positive();
    else throw new Error(`unknown flag ${flag}; bisect takes --rounds N, --confidence C`);
  });
  if (!(out.confidence < 1)) throw new Error('--confidence takes a number between 0 and 1');
  return out;
}

/** tests/flaky.py's flip, so that a round can pick a seed whose first flip of render_totals fails. */
function flip(seed: number, name: string, n: number): number {
  return createHash('sha256').update(`${seed}/${name}/${n}`).digest().readUInt32BE(0) / 2 ** 32;
}

function seeds(count: number): number[] {
  const out: number[] = [];
  for (let s = 1; out.length < count; s++) if (flip(s, 'totals', 0) < RATE) out.push(s);
  return out;
}

/** A copy of the fixture suite with its coins seeded by `seed`. */
function suite(root: string, seed: number): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = join(root, `seed-${seed}`);
  cpSync(FIXTURE, dir, { recursive: true });
  mkdirSync(join(dir, 'state'));
  return { dir, env: benchEnv({ FLAKY_SEED: String(seed), FLAKY_STATE_DIR: join(dir, 'state') }) };
}

interface Outcome {
  readonly wall: number;
  readonly executions: number;
  readonly found: boolean;
}

async function batonBisect(dir: string, env: NodeJS.ProcessEnv, jobs: number, confidence: number): Promise<Outcome> {
  const r = await timed(process.execPath, [BIN, 'bisect', POLLUTED, '-j', String(jobs), '--confidence', String(confidence), '--restart', '--json'], dir, env);
  check(`baton bisect -j ${jobs}`, r, [0]);
  const report = JSON.parse(r.stdout) as { culprits: string[] | null; executions: number };
  return { wall: r.wall, executions: report.executions, found: report.culprits?.length === 1 && report.culprits[0] === POLLUTER };
}

/** Runs `tests` and then the polluted test on a fresh fork; whether the test failed. */
async function execute(factory: AdapterFactory, tests: readonly string[]): Promise<boolean> {
  const adapter = await factory({ slot: 0, output: () => {}, log: () => {} });
  try {
    let failed = false;
    for await (const event of adapter.run([...tests, POLLUTED], {})) {
      if (event.type === 'result' && event.result.id === POLLUTED) failed = event.result.status !== 'success';
    }
    return failed;
  } finally {
    await adapter.close();
  }
}

/** The naive serial bisection: every half `repeats` times, then the test alone as often. */
async function naiveBisect(factory: AdapterFactory, prefix: readonly string[], repeats: number): Promise<Outcome> {
  const t0 = performance.now();
  let executions = 0;
  const failures = async (tests: readonly string[]): Promise<number> => {
    let n = 0;
    for (let i = 0; i < repeats; i++, executions++) if (await execute(factory, tests)) n++;
    return n;
  };
  let suspects = prefix;
  let lost = false;
  while (suspects.length > 1) {
    const half = suspects.length >> 1;
    const [a, b] = [suspects.slice(0, half), suspects.slice(half)];
    const [fa, fb] = [await failures(a), await failures(b)];
    if (fa === 0 && fb === 0) {
      lost = true;
      break;
    }
    suspects = fa >= fb ? a : b;
  }
  const alone = await failures([]);
  return { wall: (performance.now() - t0) / 1000, executions, found: !lost && alone === 0 && suspects[0] === POLLUTER };
}

/** Milliseconds of one execution of the whole prefix: through the adapter, and as a `baton run` of its own. */
async function executionCost(dir: string, env: NodeJS.ProcessEnv, factory: AdapterFactory, prefix: readonly string[]): Promise<{ fork: number; run: number }> {
  const forks: number[] = [];
  for (let i = 0; i < COST_SAMPLES; i++) {
    const t0 = performance.now();
    await execute(factory, prefix);
    forks.push(performance.now() - t0);
  }
  const list = join(dir, 'candidate.txt');
  writeFileSync(list, [...prefix, POLLUTED].join('\n'));
  const runs: number[] = [];
  for (let i = 0; i < COST_SAMPLES; i++) {
    const r = await timed(process.execPath, [BIN, 'run', '-j', '1', '--load-list', list], dir, env);
    check('baton run --load-list', r, [0, 1]);
    runs.push(r.wall * 1000);
  }
  return { fork: median(forks), run: median(runs) };
}

export default async function bisectBench(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const repeats = Math.ceil(Math.log(1 - args.confidence) / Math.log(1 - RATE));
  console.log(machineLines('bisect'));
  console.log(`  ${POLLUTED} fails ${RATE * 100}% of the time after ${POLLUTER}, the 143rd of the 274 tests before it; confidence ${args.confidence}; naive: ${repeats} executions per half (the fewest that see a ${RATE} failure with that confidence)\n`);
  const root = mkdtempSync(join(tmpdir(), 'baton-bench-bisect-'));
  const rows: (string | number)[][] = [['seed', 'baton -j 2 (s)', 'executions', 'baton -j 1 (s)', 'executions', 'naive serial (s)', 'executions', 'named the polluter (baton 2, 1, naive)']];
  const measured: { two: Outcome; one: Outcome; naive: Outcome }[] = [];
  let cost: { fork: number; run: number } | undefined;
  try {
    for (const seed of seeds(args.rounds)) {
      const { dir, env } = suite(root, seed);
      check('baton run -j 1', await timed(process.execPath, [BIN, 'run', '-j', '1'], dir, env), [1]);
      const two = await batonBisect(dir, env, 2, args.confidence);
      const one = await batonBisect(dir, env, 1, args.confidence);
      const factory = pythonAdapter({ testPath: './tests', topDir: './', cwd: dir, python: PYTHON, env });
      try {
        const first = await factory({ slot: 0, output: () => {}, log: () => {} });
        const { tests } = await listingOf(first).finally(() => first.close());
        const prefix = tests.slice(0, tests.indexOf(POLLUTED));
        const naive = await naiveBisect(factory, prefix, repeats);
        cost ??= await executionCost(dir, env, factory, prefix);
        measured.push({ two, one, naive });
        const yes = (o: Outcome) => (o.found ? 'yes' : 'no');
        rows.push([seed, two.wall.toFixed(2), two.executions, one.wall.toFixed(2), one.executions, naive.wall.toFixed(2), naive.executions, `${yes(two)}, ${yes(one)}, ${yes(naive)}`]);
      } finally {
        await factory.dispose?.();
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const med = (pick: (m: (typeof measured)[number]) => number) => median(measured.map(pick));
  rows.push(['median', med((m) => m.two.wall).toFixed(2), med((m) => m.two.executions), med((m) => m.one.wall).toFixed(2), med((m) => m.one.executions), med((m) => m.naive.wall).toFixed(2), med((m) => m.naive.executions), '']);
  console.log(table(rows));
  console.log(`\nnaive serial / baton -j 2: wall ${ratio(med((m) => m.naive.wall) / med((m) => m.two.wall))}, executions ${ratio(med((m) => m.naive.executions) / med((m) => m.two.executions))}; ` +
    `naive serial / baton -j 1: wall ${ratio(med((m) => m.naive.wall) / med((m) => m.one.wall))}, executions ${ratio(med((m) => m.naive.executions) / med((m) => m.one.executions))}`);
  if (cost !== undefined) {
    console.log(`one execution of the 274 tests and the polluted one (median of ${COST_SAMPLES}): a fresh fork through the adapter, as bisect runs it, ${cost.fork.toFixed(1)} ms; ` +
      `\`baton run -j 1 --load-list\` ${cost.run.toFixed(0)} ms (${ratio(cost.run / cost.fork)})`);
  }
}
