import { lowerBound, unforeseenBound } from '../lowerBound.js';
import { resolvePlan, type Segment } from '../plan.js';
import type { PolicyContext } from './context.js';
import { BASELINES_NOTE, createPolicy, POLICIES, type PolicyName } from './policies.js';
import { simulate } from './simulator.js';
import type { Workload } from './workload.js';

/** Options for runSimulation. */
export interface SimulationOptions {
  /** Replace the workload's workers by this many speed-1 workers present throughout. */
  readonly workers?: number | undefined;
  /** @default every policy */
  readonly policies?: readonly PolicyName[] | undefined;
}

/** One policy's outcome. */
export interface PolicyResult {
  readonly policy: PolicyName;
  readonly makespan: number;
  /** makespan / lower bound. */
  readonly ratio: number;
  readonly messages: number;
  readonly reclaims: number;
  readonly lost: number;
  /** Times a worker continued on a fresh test process. */
  readonly freshProcesses: number;
}

/** What `baton simulate` prints. */
export interface SimulationReport {
  readonly tests: number;
  readonly workers: number;
  readonly segments: number;
  readonly latency: number;
  readonly lowerBound: number;
  readonly results: readonly PolicyResult[];
}

/** The segments and policy context of a workload, its lower bound, and its bound without foresight of departures (`unforeseenBound`). */
export function prepare(workload: Workload): { segments: Segment[]; context: PolicyContext; bound: number; unforeseen: number } {
  const segments = resolvePlan(
    workload.plan,
    workload.tests.map((t) => t.id),
    { unnamed: workload.unnamed, groupRegex: workload.groupRegex },
  );
  const history = new Map<string, number>();
  const duration = new Map<string, number>();
  for (const t of workload.tests) {
    duration.set(t.id, t.duration);
    if (t.estimate !== undefined) history.set(t.id, t.estimate);
  }
  const boundSegments = segments.map((s) => ({ concurrency: s.concurrency, units: s.units.map((u) => u.reduce((a, t) => a + (duration.get(t) ?? 0), 0)) }));
  const boundWorkers = workload.workers.map((w) => ({ speed: w.speed, join: w.join, leave: w.leave, die: w.die }));
  const bound = lowerBound(boundSegments, boundWorkers);
  const context: PolicyContext = {
    segments,
    history,
    workers: workload.workers.map((w) => w.id),
    initialWorkers: workload.workers.filter((w) => w.join <= 0).length,
    latency: workload.latency,
    discovery: workload.tests.map((t) => t.id),
    freshProcess: workload.freshProcess,
  };
  return { segments, context, bound, unforeseen: unforeseenBound(boundSegments, boundWorkers) };
}

/** Runs each policy over the workload and compares it with the lower bound. */
export function runSimulation(workload: Workload, options: SimulationOptions = {}): SimulationReport {
  const w =
    options.workers === undefined
      ? workload
      : { ...workload, workers: Array.from({ length: options.workers }, (_, i) => ({ id: `w${i + 1}`, speed: 1, join: 0 })) };
  const { segments, context, bound } = prepare(w);
  const results = (options.policies ?? POLICIES).map((policy): PolicyResult => {
    const r = simulate(w, createPolicy(policy, context));
    return { policy, makespan: r.makespan, ratio: r.makespan / bound, messages: r.messages, reclaims: r.reclaims, lost: r.lost.length, freshProcesses: r.freshProcesses };
  });
  return { tests: w.tests.length, workers: w.workers.length, segments: segments.length, latency: w.latency, lowerBound: bound, results };
}

/** A human-readable table of a report. */
export function formatReport(report: SimulationReport): string {
  const lines = [
    `${count(report.tests, 'test')}, ${count(report.segments, 'segment')}, ${count(report.workers, 'worker')}, latency ${fmt(report.latency * 1000)} ms one way`,
    `lower bound: ${fmt(report.lowerBound)} s`,
    '',
    `${'policy'.padEnd(12)} ${'makespan s'.padStart(12)} ${'/ bound'.padStart(8)} ${'messages'.padStart(9)} ${'reclaims'.padStart(9)} ${'lost'.padStart(5)} ${'fresh'.padStart(6)}`,
  ];
  for (const r of report.results)
    lines.push(
      `${r.policy.padEnd(12)} ${fmt(r.makespan).padStart(12)} ${r.ratio.toFixed(3).padStart(8)} ${String(r.messages).padStart(9)} ${String(r.reclaims).padStart(9)} ${String(r.lost).padStart(5)} ${String(r.freshProcesses).padStart(6)}`,
    );
  lines.push('', 'fresh: times a worker continued on a fresh test process for work behind its process in discovery order.', BASELINES_NOTE);
  return lines.join('\n');
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(x >= 100 ? 1 : 3) : String(x);
}
