import { ValidationError, WorkloadError, type PlanError } from '../errors.js';
import { memberPath, parseJson } from '../json.js';
import { checkPlan, type Plan, type UnnamedPolicy } from '../plan.js';

/** One test of a workload: what it really takes, and what history says. */
export interface WorkloadTest {
  readonly id: string;
  /** True duration in seconds on a speed-1 worker. */
  readonly duration: number;
  /** Historic estimate in seconds; absent means the test has no history. */
  readonly estimate?: number | undefined;
}

/** One simulated worker (one execution slot). */
export interface WorkloadWorker {
  readonly id: string;
  /** Relative speed: a test of duration d takes d / speed. @default 1 */
  readonly speed: number;
  /** The coordinator is told the speed when the worker joins (e.g. from earlier runs of the host). @default false */
  readonly speedKnown?: boolean | undefined;
  /** When it connects. @default 0 */
  readonly join: number;
  /** When it announces it leaves (drains: finishes its running unit, gives the rest back). @default never */
  readonly leave?: number | undefined;
  /** When it vanishes (its running test is lost). @default never */
  readonly die?: number | undefined;
}

/** A simulation input; the JSON schema is in the package README ("Workload files"). */
export interface Workload {
  readonly tests: readonly WorkloadTest[];
  readonly workers: readonly WorkloadWorker[];
  /** One-way message latency in seconds. @default DEFAULT_LATENCY_SECONDS */
  readonly latency: number;
  readonly plan?: Plan | undefined;
  /** @default 'refuse' */
  readonly unnamed?: UnnamedPolicy | undefined;
  /** stestr group_regex. */
  readonly groupRegex?: string | undefined;
  /**
   * Seconds a worker needs to continue on a fresh test process when it is sent work
   * that lies behind its process in discovery order (`tests` order). @default FRESH_PROCESS_SECONDS
   */
  readonly freshProcess?: number | undefined;
}

/**
 * The most workers a workload may have. A count is expanded into that many workers, so
 * without a bound `"workers": 1e9` would exhaust memory before anything was simulated.
 */
export const MAX_WORKERS = 10_000;

/** A LAN round trip is a few milliseconds. */
export const DEFAULT_LATENCY_SECONDS = 0.002;

/** Parses a workload file; throws ValidationError (`BATON_WORKLOAD_INVALID`) listing every problem. */
export function parseWorkload(text: string, file?: string): Workload {
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { message, line, column, offset } = parsed.problem;
    throw new ValidationError('BATON_WORKLOAD_INVALID', 'workload', [
      new WorkloadError('BATON_WORKLOAD_BAD_JSON', `malformed JSON: ${message}`, { jsonPath: '$', file, line, column, offset }),
    ]);
  }
  return workloadFromJson(parsed.value, file);
}

/** Validates a parsed value as a workload; throws like parseWorkload. */
export function workloadFromJson(value: unknown, file?: string): Workload {
  const problems: (WorkloadError | PlanError)[] = [];
  const bad = (jsonPath: string, message: string, testId?: string): void => {
    problems.push(new WorkloadError('BATON_WORKLOAD_BAD_TYPE', message, { jsonPath, file, testId }));
  };
  if (!isRecord(value)) {
    bad('$', 'expected a workload object {"tests": [...], "workers": ...}');
    throw new ValidationError('BATON_WORKLOAD_INVALID', 'workload', problems);
  }
  for (const key of Object.keys(value))
    if (!['tests', 'workers', 'latency', 'plan', 'unnamed', 'groupRegex', 'freshProcess'].includes(key)) bad(memberPath('$', key), `unknown property ${JSON.stringify(key)}`);

  const tests: WorkloadTest[] = [];
  const seen = new Set<string>();
  if (!Array.isArray(value['tests'])) bad('$.tests', 'expected "tests" to be an array of {"id", "duration", "estimate"?}');
  else
    value['tests'].forEach((t: unknown, i) => {
      const path = `$.tests[${i}]`;
      if (!isRecord(t) || typeof t['id'] !== 'string' || t['id'] === '') return bad(path, 'expected {"id": non-empty string, "duration": seconds, "estimate"?: seconds}');
      const id = t['id'];
      if (seen.has(id)) return problems.push(new WorkloadError('BATON_WORKLOAD_DUPLICATE_TEST', `test "${id}" appears twice`, { jsonPath: `${path}.id`, file, testId: id }));
      seen.add(id);
      if (!isDuration(t['duration'])) return bad(`${path}.duration`, 'expected "duration" to be a number of seconds ≥ 0', id);
      if (t['estimate'] !== undefined && !isDuration(t['estimate'])) return bad(`${path}.estimate`, 'expected "estimate" to be a number of seconds ≥ 0', id);
      tests.push({ id, duration: t['duration'], estimate: t['estimate'] as number | undefined });
    });

  const workers: WorkloadWorker[] = [];
  const rawWorkers = value['workers'];
  if (typeof rawWorkers === 'number') {
    if (!Number.isInteger(rawWorkers) || rawWorkers < 1) bad('$.workers', 'expected "workers" to be a positive integer or an array of workers');
    else if (rawWorkers > MAX_WORKERS) bad('$.workers', `expected at most ${MAX_WORKERS} workers, found ${rawWorkers}`);
    else for (let i = 0; i < rawWorkers; i++) workers.push({ id: `w${i + 1}`, speed: 1, join: 0 });
  } else if (Array.isArray(rawWorkers)) {
    const ids = new Set<string>();
    rawWorkers.forEach((w: unknown, i) => {
      const path = `$.workers[${i}]`;
      if (!isRecord(w)) return bad(path, 'expected {"id"?, "speed"?, "speedKnown"?, "join"?, "leave"?, "die"?}');
      const id = w['id'] ?? `w${i + 1}`;
      if (typeof id !== 'string') return bad(`${path}.id`, 'expected "id" to be a string');
      if (ids.has(id)) return problems.push(new WorkloadError('BATON_WORKLOAD_DUPLICATE_WORKER', `worker "${id}" appears twice`, { jsonPath: `${path}.id`, file }));
      ids.add(id);
      const speed = w['speed'] ?? 1;
      if (typeof speed !== 'number' || !(speed > 0) || !Number.isFinite(speed)) return bad(`${path}.speed`, 'expected "speed" to be a positive number');
      const speedKnown = w['speedKnown'];
      if (speedKnown !== undefined && typeof speedKnown !== 'boolean') return bad(`${path}.speedKnown`, 'expected "speedKnown" to be true or false');
      const times: Record<string, number | undefined> = {};
      for (const k of ['join', 'leave', 'die']) {
        const v = w[k];
        if (v !== undefined && !isDuration(v)) return bad(`${path}.${k}`, `expected "${k}" to be a time in seconds ≥ 0`);
        times[k] = v as number | undefined;
      }
      workers.push({ id, speed, speedKnown, join: times['join'] ?? 0, leave: times['leave'], die: times['die'] });
    });
    if (rawWorkers.length > MAX_WORKERS) bad('$.workers', `expected at most ${MAX_WORKERS} workers, found ${rawWorkers.length}`);
    if (rawWorkers.length === 0) problems.push(new WorkloadError('BATON_WORKLOAD_NO_WORKERS', 'a workload needs at least one worker', { jsonPath: '$.workers', file }));
  } else bad('$.workers', 'expected "workers" to be a positive integer or an array of workers');

  const latency = value['latency'] ?? DEFAULT_LATENCY_SECONDS;
  if (!isDuration(latency)) bad('$.latency', 'expected "latency" to be a number of seconds ≥ 0');
  const freshProcess = value['freshProcess'];
  if (freshProcess !== undefined && !isDuration(freshProcess)) bad('$.freshProcess', 'expected "freshProcess" to be a number of seconds ≥ 0');
  const unnamed = value['unnamed'];
  if (unnamed !== undefined && unnamed !== 'refuse' && unnamed !== 'append') bad('$.unnamed', 'expected "unnamed" to be "refuse" or "append"');
  const groupRegex = value['groupRegex'];
  if (groupRegex !== undefined) {
    if (typeof groupRegex !== 'string') bad('$.groupRegex', 'expected "groupRegex" to be a regular expression string');
    else
      try {
        new RegExp(groupRegex);
      } catch (e) {
        bad('$.groupRegex', `invalid regular expression: ${(e as Error).message}`);
      }
  }
  const plan = value['plan'] === undefined ? undefined : checkPlan(value['plan'], { file, jsonPath: '$.plan' }, problems as PlanError[]);

  if (problems.length > 0) throw new ValidationError('BATON_WORKLOAD_INVALID', 'workload', problems);
  return {
    tests,
    workers,
    latency: latency as number,
    plan,
    unnamed: unnamed as UnnamedPolicy | undefined,
    groupRegex: groupRegex as string | undefined,
    ...(freshProcess === undefined ? {} : { freshProcess: freshProcess as number }),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isDuration(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}
