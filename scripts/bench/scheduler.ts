// The scheduler benchmark: `npm run bench -- scheduler [--scenarios a,b] [--workers 2,8]`.
// Every scenario is generated from a fixed seed (10,000 tests), run in the simulator for
// baton and the re-implemented baselines, and reported as makespan / lower bound. Then the
// decision cost of baton's scheduler with 100,000 tests and 1,000 workers.
import type { Command, SchedulerEvent, SchedulingPolicy } from '@baton/scheduler';
import {
  BASELINES_NOTE,
  createPolicy,
  generateScenario,
  POLICIES,
  prepare,
  SCENARIOS,
  simulate,
  type ScenarioName,
} from '@baton/scheduler/simulator';

const SEED = 20260101;
const WORKER_COUNTS = [2, 8, 64, 512];
const TARGET = 1.05;
const TARGET_ACCURATE = 1.02;
// baton sends tests in several messages where a static partition sends one; a
// difference below this is message latency, not scheduling.
const TIE = 0.001;

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

export default async function (args: string[]): Promise<void> {
  const scenarios = (option(args, '--scenarios') ?? SCENARIOS) as ScenarioName[];
  const workerCounts = (option(args, '--workers') ?? WORKER_COUNTS.map(String)).map(Number);
  const started = performance.now();
  console.log(`scheduler benchmark: 10,000 tests per scenario, seed ${SEED}, latency 2 ms one way; cells are makespan / lower bound`);
  console.log(BASELINES_NOTE);
  console.log('');
  const header = ['scenario', 'workers', 'bound s', ...POLICIES];
  const rows: string[][] = [];
  const misses: string[] = [];
  for (const scenario of scenarios)
    for (const workers of workerCounts) {
      const workload = generateScenario(scenario, { workers, seed: SEED });
      const { context, bound } = prepare(workload);
      const ratios = POLICIES.map((p) => simulate(workload, createPolicy(p, context)).makespan / bound);
      const [baton = Infinity, ...baselines] = ratios;
      const target = scenario === 'accurate' ? TARGET_ACCURATE : TARGET;
      const flags = [baton > target ? `> ${target}` : '', baton > Math.min(...baselines) + TIE ? 'worse than a baseline' : ''].filter(Boolean);
      if (flags.length > 0) misses.push(`${scenario} × ${workers}: baton ${baton.toFixed(3)} (${flags.join(', ')})`);
      rows.push([scenario, String(workers), bound.toFixed(2), ...ratios.map((r, i) => `${r.toFixed(3)}${i === 0 && flags.length > 0 ? ' *' : ''}`)]);
    }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log('');
  console.log(misses.length === 0 ? 'baton met every target.' : `* missed targets (see packages/scheduler/README.md, "Benchmark"):\n  ${misses.join('\n  ')}`);

  // Decision cost: 100,000 tests with history, 1,000 workers, driven through the simulator.
  const workload = generateScenario('accurate', { tests: 100_000, workers: 1000, seed: SEED });
  const { context } = prepare(workload);
  const t0 = performance.now();
  const policy = timed(createPolicy('baton', context));
  const setup = performance.now() - t0;
  simulate(workload, policy);
  console.log('');
  // Every event is a decision (dispatch, reclaim or wait); all of handle() is counted.
  console.log(
    `decision cost (100,000 tests, 1,000 workers): ${(policy.micros / policy.events).toFixed(2)} µs per decision (${policy.events} events; target < 20 µs); ` +
      `${(policy.micros / policy.units).toFixed(2)} µs per unit dispatched, ${(policy.micros / policy.dispatches).toFixed(1)} µs per Dispatch message ` +
      `(${policy.dispatches} messages); scheduler setup ${setup.toFixed(0)} ms`,
  );
  console.log(`bench took ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
