import { CLASS_GROUP_REGEX } from '../groups.js';
import type { Plan } from '../plan.js';
import { mulberry32, randomInt, randomNormal, type Rng } from '../rng.js';
import { DEFAULT_LATENCY_SECONDS, type Workload, type WorkloadTest, type WorkloadWorker } from './workload.js';

/** The benchmark's scenarios (see scripts/bench/scheduler.ts). */
export type ScenarioName = 'accurate' | 'noisy' | 'stale' | 'none' | 'clustered' | 'pareto' | 'tempest' | 'speeds' | 'speeds-known' | 'churn' | 'fleet';
export const SCENARIOS: readonly ScenarioName[] = ['accurate', 'noisy', 'stale', 'none', 'clustered', 'pareto', 'tempest', 'speeds', 'speeds-known', 'churn', 'fleet'];
/** Scenarios whose tests have no history: there the target is the best baseline, not the bound. */
export const NO_HISTORY_SCENARIOS: readonly ScenarioName[] = ['none', 'clustered'];

/** Options for generateScenario. */
export interface ScenarioOptions {
  /** @default 10_000 */
  readonly tests?: number | undefined;
  readonly workers: number;
  readonly seed: number;
  /** One-way latency. @default DEFAULT_LATENCY_SECONDS */
  readonly latency?: number | undefined;
}


/**
 * A synthetic suite shaped like real ones: ids `pkgP.modM.ClassC.test_T`,
 * 1–19 tests per class, durations lognormal with factors per module and per
 * class (so neighbours predict each other, as in real suites), median about
 * 0.1 s and a long tail.
 */
function suite(rng: Rng, n: number): { id: string; duration: number }[] {
  const tests: { id: string; duration: number }[] = [];
  for (let p = 0; tests.length < n; p++)
    for (let m = 0; m < 10 && tests.length < n; m++) {
      const moduleFactor = Math.exp(0.5 * randomNormal(rng));
      for (let c = 0; c < 10 && tests.length < n; c++) {
        const classFactor = moduleFactor * Math.exp(0.9 * randomNormal(rng));
        const count = 1 + randomInt(rng, 19);
        for (let t = 0; t < count && tests.length < n; t++)
          tests.push({ id: `pkg${p}.mod${m}.Class${c}.test_${t}`, duration: 0.1 * classFactor * Math.exp(0.6 * randomNormal(rng)) });
      }
    }
  return tests;
}

/**
 * A real suite's shape where it hurts a scheduler without history: slow tests cluster
 * by module (functional and database modules), and discovery order correlates with
 * duration (they sort late), so a split in discovery order by count is badly unbalanced.
 */
function clustered(rng: Rng, n: number): { id: string; duration: number }[] {
  const tests = suite(rng, n);
  const modules = [...new Set(tests.map((t) => t.id.slice(0, t.id.indexOf('.Class'))))];
  const rank = new Map(modules.map((m, i) => [m, i / modules.length]));
  return tests.map((t) => {
    const position = rank.get(t.id.slice(0, t.id.indexOf('.Class'))) as number;
    // The last fifth of the modules is ten to thirty times slower than the rest.
    const factor = position > 0.8 ? 10 + 20 * rng.next() : Math.exp(position);
    return { id: t.id, duration: t.duration * factor };
  });
}

function equalWorkers(n: number, speed: (i: number) => number = () => 1): WorkloadWorker[] {
  return Array.from({ length: n }, (_, i) => ({ id: `w${i + 1}`, speed: speed(i), join: 0 }));
}

/** A workload for a named scenario, fully determined by its seed. */
export function generateScenario(name: ScenarioName, options: ScenarioOptions): Workload {
  const rng = mulberry32(options.seed);
  const n = options.tests ?? 10_000;
  const latency = options.latency ?? DEFAULT_LATENCY_SECONDS;
  const base = suite(rng, n);
  const accurate = (): WorkloadTest[] => base.map((t) => ({ ...t, estimate: t.duration }));
  const workers = equalWorkers(options.workers);
  switch (name) {
    case 'accurate':
      return { tests: accurate(), workers, latency };
    case 'noisy':
      return { tests: base.map((t) => ({ ...t, estimate: t.duration * (0.5 + rng.next()) })), workers, latency };
    case 'stale':
      return {
        tests: base.map((t) => {
          const r = rng.next();
          const factor = r < 0.05 ? 20 : r < 0.1 ? 1 / 20 : 1;
          return { id: t.id, duration: t.duration * factor, estimate: t.duration };
        }),
        workers,
        latency,
      };
    case 'none':
      return { tests: base, workers, latency };
    case 'clustered':
      return { tests: clustered(rng, n), workers, latency };
    case 'fleet': {
      // Machines of three speeds, none known at the start; one joins late, one dies,
      // one leaves (a spot instance reclaimed).
      const ideal = base.reduce((a, t) => a + t.duration, 0) / options.workers;
      const speeds = [1, 0.5, 1.5];
      const last = options.workers - 1;
      return {
        tests: accurate(),
        workers: workers.map((w, i) => ({
          ...w,
          speed: speeds[i % 3] as number,
          ...(i === last ? { join: 0.2 * ideal } : {}),
          ...(i === last - 1 && last > 1 ? { die: 0.5 * ideal } : {}),
          ...(i === last - 2 && last > 2 ? { leave: 0.6 * ideal } : {}),
        })),
        latency,
      };
    }
    case 'pareto':
      return {
        tests: base.map((t) => {
          const d = 0.05 / Math.pow(1 - rng.next(), 1 / 1.5);
          return { id: t.id, duration: d, estimate: d };
        }),
        workers,
        latency,
      };
    case 'speeds':
      return { tests: accurate(), workers: equalWorkers(options.workers, (i) => (i % 2 === 0 ? 1 : 0.5)), latency };
    case 'speeds-known':
      return {
        tests: accurate(),
        workers: equalWorkers(options.workers, (i) => (i % 2 === 0 ? 1 : 0.5)).map((w) => ({ ...w, speedKnown: true })),
        latency,
      };
    case 'churn': {
      // A quarter of the workers join at a fifth of the ideal run time, another
      // quarter leave at three fifths of it.
      const ideal = base.reduce((a, t) => a + t.duration, 0) / options.workers;
      return {
        tests: accurate(),
        workers: workers.map((w, i) => (i % 4 === 1 ? { ...w, join: 0.2 * ideal } : i % 4 === 2 ? { ...w, leave: 0.6 * ideal } : w)),
        latency,
      };
    }
    case 'tempest':
      return { tests: accurate(), workers, latency, plan: tempestPlan(rng, base.map((t) => t.id)), groupRegex: CLASS_GROUP_REGEX };
  }
}

/**
 * Tempest's shape: a big parallel segment, a serial segment (whole classes,
 * about 2% of the tests, concurrency 1), five tests that must run alone, and a
 * final segment limited to 4 workers.
 */
function tempestPlan(rng: Rng, ids: readonly string[]): Plan {
  const classOf = (id: string): string => id.slice(0, id.lastIndexOf('.'));
  const classes = [...new Set(ids.map(classOf))];
  const serialClasses = new Set(classes.filter(() => rng.next() < 0.02));
  const serial = ids.filter((id) => serialClasses.has(classOf(id)));
  const rest = ids.filter((id) => !serialClasses.has(classOf(id)));
  const alone: string[] = [];
  while (alone.length < 5 && rest.length > 0) alone.push(...rest.splice(randomInt(rng, rest.length), 1));
  const limited = rest.splice(Math.floor(rest.length * 0.9));
  return {
    version: 1,
    segments: [
      { name: 'api', tests: rest },
      { name: 'serial', tests: serial, concurrency: 1 },
      ...alone.map((id, i) => ({ name: `alone-${i + 1}`, tests: [id] })),
      { name: 'scenario', tests: limited, concurrency: 4 },
    ],
  };
}
