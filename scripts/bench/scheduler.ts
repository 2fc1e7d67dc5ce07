// The scheduler benchmark: `npm run bench -- scheduler [--parts makespan,decisions,run,setup]
//   [--scenarios a,b] [--workers 2,8] [--seed N] [--seeds 4] [--repeat 5] [--reference REV]`.
//   makespan:  every scenario generated from `--seeds` fixed seeds from `--seed` on (10,000 tests),
//              run in the simulator for baton and the re-implemented baselines, reported as the
//              mean over the seeds of makespan / lower bound, with baton's worst seed;
//   decisions: the decision cost of baton's scheduler with 100,000 tests and 1,000 workers;
//   run:       the CPU the scheduler costs per test in a run shaped like `baton run -j 2` of
//              20,000 no-op tests (cold: no history; warm: all of it), against the scheduler
//              at REV, side by side in this process;
//   setup:     constructing the scheduler for 20,000 and 100,000 tests, against REV too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FRESH_PROCESS_SECONDS, mulberry32, Scheduler, type Command, type SchedulerEvent, type SchedulerOptions, type SchedulingPolicy, type Segment } from '@baton/scheduler';
import {
  BASELINES_NOTE,
  createPolicy,
  generateScenario,
  NO_HISTORY_SCENARIOS,
  POLICIES,
  prepare,
  SCENARIOS,
  simulate,
  type ScenarioName,
  type Workload,
} from '@baton/scheduler/simulator';
import { median, table } from './_table.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SEED = 20260101;
/** How many seeds from SEED on the makespan table averages. */
const SEEDS = 4;
const WORKER_COUNTS = [2, 8, 64, 512];
const TARGET = 1.05;
const TARGET_ACCURATE = 1.02;
// baton sends tests in several messages where a static partition sends one; a
// difference below this is message latency, not scheduling.
const TIE = 0.001;
const PARTS = ['makespan', 'decisions', 'run', 'setup'];
/** The scheduler before its per-event cost was cut: what `run` and `setup` compare against. */
const REFERENCE = '03562c5';
/** What `baton run` costs the scheduler per test at most, for 5,000 tests/s on 2 cores. */
const RUN_TARGET_MICROS = 8;

function option(args: string[], name: string): string[] | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : (args[i + 1] ?? '').split(',').filter(Boolean);
}

/** Wraps a policy to measure the time spent deciding. */
function timed(inner: SchedulingPolicy): SchedulingPolicy & { micros: number; events: number; dispatches: number; units: number } {
  const t = {
    micros: 0,
    events: 0,
    dispatches: 0,
    units: 0,
    handle(event: SchedulerEvent, now: number): Command[] {
      const t0 = performance.now();
      const out = inner.handle(event, now);
      t.micros += (performance.now() - t0) * 1000;
      t.events++;
      for (const c of out)
        if (c.type === 'dispatch') {
          t.dispatches++;
          t.units += c.units.length;
        }
      return out;
    },
  };
  return t;
}

function makespans(scenarios: readonly ScenarioName[], workerCounts: readonly number[], seeds: readonly number[]): void {
  console.log(
    `scheduler benchmark: 10,000 tests per scenario, seeds ${seeds.join(', ')}, latency 2 ms one way; cells are the mean over the seeds of makespan / lower bound ` +
      `(baton worst: its worst seed; baton / unforeseen: against the bound without foresight of who leaves or dies, where workers do); every worker runs each dispatch in discovery order and pays ${FRESH_PROCESS_SECONDS * 1000} ms for a fresh test process when sent work behind its process (baton fresh: how often, on average)`,
  );
  console.log(BASELINES_NOTE);
  console.log('');
  const [first = 'baton', ...others] = POLICIES;
  const header = ['scenario', 'workers', 'bound s', first, `${first} worst`, ...others, `${first} fresh`, `${first} / unforeseen`];
  const rows: string[][] = [];
  const misses: string[] = [];
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const scenario of scenarios)
    for (const workers of workerCounts) {
      // By policy, one ratio per seed; one seed is one draw of a suite, and the long tests
      // of one draw can decide a cell alone.
      const ratios: number[][] = POLICIES.map(() => []);
      const bounds: number[] = [];
      const fresh: number[] = [];
      const unforeseen: number[] = [];
      let foresight = false;
      for (const seed of seeds) {
        const workload = generateScenario(scenario, { workers, seed });
        const prepared = prepare(workload);
        bounds.push(prepared.bound);
        if (prepared.unforeseen !== prepared.bound) foresight = true;
        POLICIES.forEach((p, i) => {
          const result = simulate(workload, createPolicy(p, prepared.context));
          ratios[i]?.push(result.makespan / prepared.bound);
          if (i === 0) {
            fresh.push(result.freshProcesses);
            unforeseen.push(result.makespan / prepared.unforeseen);
          }
        });
      }
      const [baton = Infinity, ...baselines] = ratios.map(mean);
      // With history the bound is the target; without, nothing identifies the long tests
      // before they run, and the target is never to do worse than any baseline.
      const target = NO_HISTORY_SCENARIOS.includes(scenario) ? Infinity : scenario === 'accurate' ? TARGET_ACCURATE : TARGET;
      const flags = [baton > target ? `> ${target}` : '', baton > Math.min(...baselines) + TIE ? 'worse than a baseline' : ''].filter(Boolean);
      if (flags.length > 0) misses.push(`${scenario} × ${workers}: baton ${baton.toFixed(3)} (${flags.join(', ')})`);
      rows.push([
        scenario,
        String(workers),
        mean(bounds).toFixed(2),
        `${baton.toFixed(3)}${flags.length > 0 ? ' *' : ''}`,
        Math.max(...(ratios[0] ?? [])).toFixed(3),
        ...baselines.map((r) => r.toFixed(3)),
        String(Math.round(mean(fresh))),
        // Shown only where workers leave or die, the one case where it differs from the bound.
        foresight ? mean(unforeseen).toFixed(3) : '',
      ]);
    }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log('');
  console.log(misses.length === 0 ? 'baton met every target.' : `* missed targets (see packages/scheduler/README.md, "Benchmark"):\n  ${misses.join('\n  ')}`);
}

function decisionCost(): void {
  // 100,000 tests with history, 1,000 workers, driven through the simulator.
  const workload = generateScenario('accurate', { tests: 100_000, workers: 1000, seed: SEED });
  const { context } = prepare(workload);
  const t0 = performance.now();
  const policy = timed(createPolicy('baton', context));
  const setup = performance.now() - t0;
  simulate(workload, policy);
  // Every event is a decision (dispatch, reclaim or wait); all of handle() is counted.
  console.log(
    `decision cost (100,000 tests, 1,000 workers): ${(policy.micros / policy.events).toFixed(2)} µs per decision (${policy.events} events; target < 20 µs); ` +
      `${(policy.micros / policy.units).toFixed(2)} µs per unit dispatched, ${(policy.micros / policy.dispatches).toFixed(1)} µs per Dispatch message ` +
      `(${policy.dispatches} messages); scheduler setup ${setup.toFixed(0)} ms`,
  );
}

type SchedulerClass = new (segments: readonly Segment[], options?: SchedulerOptions) => SchedulingPolicy;

/**
 * The scheduler's source at `rev`, extracted with `git archive` (the checkout is not
 * touched) and loaded through tsx; a reason instead if that is not possible.
 */
async function loadReference(rev: string, dir: string): Promise<SchedulerClass | string> {
  const archive = spawnSync('git', ['archive', '--format=tar', rev, 'packages/scheduler/src'], { cwd: ROOT, maxBuffer: 1 << 28 });
  if (archive.status !== 0) return `git archive ${rev} failed: ${archive.stderr.toString().trim()}`;
  const tar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (tar.status !== 0) return `tar failed: ${tar.stderr.toString().trim()}`;
  const mod = (await import(pathToFileURL(join(dir, 'packages', 'scheduler', 'src', 'scheduler.ts')).href)) as { Scheduler: SchedulerClass };
  return mod.Scheduler;
}

/**
 * `baton run -j 2` of no-op tests as the coordinator sees it: ids as the e2e bench's
 * generated suite (200 tests to a module), a few tenths of a millisecond per test and
 * per message. Warm history is a previous run's: each estimate off by up to ±50%.
 */
function noopRun(tests: number, warm: boolean): Workload {
  const rng = mulberry32(SEED);
  return {
    tests: Array.from({ length: tests }, (_, i) => {
      const duration = 0.0002 + 0.0004 * rng.next();
      const id = `suite.test_m${String(Math.floor(i / 200)).padStart(3, '0')}.T.test_${String(i).padStart(5, '0')}`;
      return warm ? { id, duration, estimate: duration * (0.5 + rng.next()) } : { id, duration };
    }),
    workers: [
      { id: 'w1', speed: 1, join: 0 },
      { id: 'w2', speed: 1, join: 0 },
    ],
    latency: 0.0002,
  };
}

/** The options the coordinator passes. */
function coordinatorOptions(workload: Workload): SchedulerOptions {
  return { estimates: prepare(workload).context.history, expectedWorkers: workload.workers.length };
}

type Events = readonly (readonly [SchedulerEvent, number])[];

interface Trace {
  readonly events: Events;
  /** Every command, in order, as JSON: equal traces mean equal decisions. */
  readonly decisions: string;
}

/** The events a simulated run feeds the scheduler, to replay them without the simulator's cost. */
function trace(S: SchedulerClass, workload: Workload): Trace {
  const inner = new S(prepare(workload).segments, coordinatorOptions(workload));
  const events: [SchedulerEvent, number][] = [];
  const commands: Command[][] = [];
  simulate(workload, {
    handle(event, now) {
      const out = inner.handle(event, now);
      events.push([event, now]);
      commands.push(out);
      return out;
    },
  });
  return { events, decisions: JSON.stringify(commands) };
}

/** CPU µs (user + system, so that other processes' load counts less than in wall time) that `f` takes. */
function cpu(f: () => void): number {
  const before = process.cpuUsage();
  f();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

/** CPU µs of handle() per test, replaying the trace into a fresh scheduler, `repeat` times. */
function replay(S: SchedulerClass, workload: Workload, events: Events, repeat: number): number[] {
  const segments = prepare(workload).segments;
  const options = coordinatorOptions(workload);
  return Array.from({ length: repeat }, () => {
    const s = new S(segments, options);
    return (
      cpu(() => {
        for (const [event, now] of events) s.handle(event, now);
      }) / workload.tests.length
    );
  });
}

/** CPU ms to construct a scheduler, `repeat` times. */
function construction(S: SchedulerClass, workload: Workload, repeat: number): number[] {
  const segments = prepare(workload).segments;
  const options = coordinatorOptions(workload);
  return Array.from({ length: repeat }, () => cpu(() => new S(segments, options)) / 1000);
}

/**
 * Runs `measure` for this scheduler and the reference in turns, so that both
 * see the same load; the median of each and its best (on a shared machine the
 * best is the steadier figure: others' load only ever adds).
 */
function sideBySide(measure: (S: SchedulerClass) => number[], reference: SchedulerClass | undefined): { now: number[]; before: number[] | undefined } {
  const now: number[] = [];
  const before: number[] = [];
  for (let round = 0; round < 3; round++) {
    now.push(...measure(Scheduler));
    if (reference) before.push(...measure(reference));
  }
  return { now, before: reference ? before : undefined };
}

/** The cells of one measurement: median and best of each, and how many times faster (medians). */
function cells(now: number[], before: number[] | undefined, unit: (n: number) => string): string[] {
  const best = (xs: number[]): number => Math.min(...xs);
  return [
    unit(median(now)),
    unit(best(now)),
    before ? unit(median(before)) : '',
    before ? unit(best(before)) : '',
    before ? `${(median(before) / median(now)).toFixed(1)}×` : '',
  ];
}

const micros = (n: number): string => `${n.toFixed(2)} µs`;
const millis = (n: number): string => `${n.toFixed(1)} ms`;
const sideHeader = (rev: string): string[] => ['median', 'best', `at ${rev}`, 'best', 'faster'];

/** Both traces, and how they compare; the decisions themselves are let go before anything is timed. */
function traces(workload: Workload, reference: SchedulerClass | undefined): { mine: Events; theirs: Events | undefined; dispatches: number; same: string } {
  const mine = trace(Scheduler, workload);
  const theirs = reference && trace(reference, workload);
  return {
    mine: mine.events,
    theirs: theirs?.events,
    dispatches: mine.decisions.split('"dispatch"').length - 1,
    same: theirs ? (theirs.decisions === mine.decisions ? 'yes' : 'NO') : '',
  };
}

function runCost(reference: SchedulerClass | undefined, rev: string, repeat: number): void {
  const tests = 20_000;
  const rows: (string | number)[][] = [['history', 'events', 'dispatches', ...sideHeader(rev), 'same decisions']];
  for (const warm of [false, true]) {
    const workload = noopRun(tests, warm);
    const { mine, theirs, dispatches, same } = traces(workload, reference);
    const { now, before } = sideBySide((S) => replay(S, workload, S === Scheduler ? mine : (theirs as Events), repeat), reference);
    rows.push([warm ? 'warm' : 'cold', mine.length, dispatches, ...cells(now, before, micros), same]);
  }
  console.log(
    `scheduler CPU per test, baton run -j 2 of ${tests.toLocaleString('en-US')} no-op tests (simulated, then its events replayed into a new scheduler; ` +
      `CPU µs of handle() per test, ${3 * repeat} replays each; target ≤ ${RUN_TARGET_MICROS} µs)`,
  );
  console.log(table(rows));
}

function setupCost(reference: SchedulerClass | undefined, rev: string, repeat: number): void {
  const rows: (string | number)[][] = [['tests', 'history', ...sideHeader(rev)]];
  for (const tests of [20_000, 100_000])
    for (const warm of [false, true]) {
      const workload = noopRun(tests, warm);
      const { now, before } = sideBySide((S) => construction(S, workload, repeat), reference);
      rows.push([tests.toLocaleString('en-US'), warm ? 'warm' : 'cold', ...cells(now, before, millis)]);
    }
  console.log(`scheduler construction, before the first test can start (CPU ms, ${3 * repeat} each)`);
  console.log(table(rows));
}

export default async function (args: string[]): Promise<void> {
  const parts = new Set(option(args, '--parts') ?? PARTS);
  const scenarios = (option(args, '--scenarios') ?? SCENARIOS) as ScenarioName[];
  const workerCounts = (option(args, '--workers') ?? WORKER_COUNTS.map(String)).map(Number);
  const repeat = Number(option(args, '--repeat')?.[0] ?? 5);
  const rev = option(args, '--reference')?.[0] ?? REFERENCE;
  const seed = Number(option(args, '--seed')?.[0] ?? SEED);
  const count = Number(option(args, '--seeds')?.[0] ?? SEEDS);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed takes an integer, got ${option(args, '--seed')?.[0]}`);
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`--seeds takes a positive integer, got ${option(args, '--seeds')?.[0]}`);
  const started = performance.now();
  if (parts.has('makespan')) makespans(scenarios, workerCounts, Array.from({ length: count }, (_, i) => seed + i));
  if (parts.has('decisions')) {
    console.log('');
    decisionCost();
  }
  if (parts.has('run') || parts.has('setup')) {
    const dir = mkdtempSync(join(tmpdir(), 'baton-bench-scheduler-'));
    try {
      const loaded = await loadReference(rev, dir);
      const reference = typeof loaded === 'string' ? undefined : loaded;
      if (typeof loaded === 'string') console.log(`\nno reference scheduler: ${loaded}`);
      if (parts.has('run')) {
        console.log('');
        runCost(reference, rev, repeat);
      }
      if (parts.has('setup')) {
        console.log('');
        setupCost(reference, rev, repeat);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`bench took ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
