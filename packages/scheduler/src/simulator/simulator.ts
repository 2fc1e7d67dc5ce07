import type { Command, DispatchedUnit, SchedulerEvent, SchedulingPolicy } from '../events.js';
import { Heap } from '../heap.js';
import { FRESH_PROCESS_SECONDS } from '../policy.js';
import type { Rng } from '../rng.js';
import type { Workload, WorkloadWorker } from './workload.js';

/** What one simulated run produced. */
export interface SimulationResult {
  /** When the last test finished (or was lost), in virtual seconds. */
  readonly makespan: number;
  /** Tests run to completion. */
  readonly finished: number;
  /** Tests the policy reported lost (they were running on a worker that died). */
  readonly lost: readonly string[];
  /** Messages in both directions. */
  readonly messages: number;
  readonly dispatches: number;
  readonly reclaims: number;
  /** How often a worker continued on a fresh test process, for work behind its process. */
  readonly freshProcesses: number;
}

/** One test run on a simulated worker, in virtual seconds. */
export interface SimulatedTest {
  readonly test: string;
  readonly worker: string;
  readonly start: number;
  /** When it finished, or when its worker died (then `lost`). */
  readonly end: number;
  readonly lost: boolean;
}

/** Options for simulate. */
export interface SimulateOptions {
  /** Called for every test run as it ends, e.g. to check that segments never overlap. */
  readonly onTestRun?: ((run: SimulatedTest) => void) | undefined;
  /**
   * Random extra delay of each message, up to `max` seconds (seeded). Each direction of
   * a worker's channel stays in order, as a TCP stream does, but commands and answers
   * cross: a Reclaim meets the start of the unit it asks for.
   */
  readonly jitter?: { readonly rng: Rng; readonly max: number } | undefined;
  /**
   * Workers answer a Reclaim test by test, as workers before protocol groups did: every
   * asked test not started, the tail of a started unit included (which they then skip).
   */
  readonly releaseByTest?: boolean | undefined;
}

/** The simulation broke an invariant: a test ran twice, never ran, or was reported lost wrongly. */
export class SimulationError extends Error {
  override readonly name = 'SimulationError';
  readonly code = 'BATON_SIM_INVARIANT' as const;
}

type SimEvent =
  | { readonly kind: 'join' | 'leave' | 'die'; readonly worker: SimWorker }
  | { readonly kind: 'toCoordinator'; readonly events: readonly SchedulerEvent[] }
  | { readonly kind: 'toWorker'; readonly worker: SimWorker; readonly command: Command }
  | { readonly kind: 'testEnd' | 'forked'; readonly worker: SimWorker; readonly token: number };

interface Scheduled {
  readonly time: number;
  readonly seq: number;
  readonly event: SimEvent;
}

interface SimWorker {
  readonly spec: WorkloadWorker;
  state: 'absent' | 'active' | 'draining' | 'dead';
  readonly queue: DispatchedUnit[];
  current: { unit: DispatchedUnit; pos: number; since: number; started: boolean } | undefined;
  token: number;
  /** Discovery rank of the last test its test process started (-1: a fresh process). */
  position: number;
  /** When its last message up (to the coordinator) and down arrive: each direction is FIFO. */
  up: number;
  down: number;
}

/**
 * Runs one policy over a workload in virtual time. Workers run one test at a
 * time, units in the order received, each dispatch sorted into discovery order
 * (the workload's test order), and a test process only moves forward: a test
 * behind it waits `freshProcess` seconds for a fresh one. Every message takes
 * `latency` one way (plus `jitter`);
 * a leaving worker stops starting units, finishes its running one and answers
 * reclaims; a dying worker loses its running test. Throws SimulationError if a
 * test is not settled exactly once (finished once, or lost once while it was
 * really running), or if the run stalls with tests left.
 */
export function simulate(workload: Workload, policy: SchedulingPolicy, options: SimulateOptions = {}): SimulationResult {
  const onTestRun = options.onTestRun;
  const duration = new Map(workload.tests.map((t) => [t.id, t.duration]));
  const completions = new Map<string, number>();
  const interrupted = new Set<string>();
  const lost: string[] = [];
  const latency = workload.latency;
  const events = new Heap<Scheduled>((a, b) => a.time < b.time || (a.time === b.time && a.seq < b.seq));
  let seq = 0;
  let now = 0;
  let makespan = 0;
  let messages = 0;
  let dispatches = 0;
  let reclaims = 0;
  let freshProcesses = 0;
  const fork = workload.freshProcess ?? FRESH_PROCESS_SECONDS;
  const rank = new Map(workload.tests.map((t, i) => [t.id, i]));
  const rankOf = (u: DispatchedUnit): number => rank.get(u.tests[0] as string) ?? Infinity;
  const at = (time: number, event: SimEvent): void => events.push({ time, seq: seq++, event });
  const jitter = options.jitter;
  const arrival = (w: SimWorker, way: 'up' | 'down'): number => (w[way] = Math.max(w[way], now + latency + (jitter ? jitter.rng.next() * jitter.max : 0)));
  const send = (w: SimWorker, out: SchedulerEvent[]): void => {
    if (out.length === 0) return;
    messages++;
    at(arrival(w, 'up'), { kind: 'toCoordinator', events: out });
  };

  const workers = new Map<string, SimWorker>();
  for (const spec of workload.workers) {
    const w: SimWorker = { spec, state: 'absent', queue: [], current: undefined, token: 0, position: -1, up: 0, down: 0 };
    workers.set(spec.id, w);
    at(spec.join, { kind: 'join', worker: w });
    if (spec.leave !== undefined) at(Math.max(spec.leave, spec.join), { kind: 'leave', worker: w });
    if (spec.die !== undefined) at(Math.max(spec.die, spec.join), { kind: 'die', worker: w });
  }

  // Starts the next test if the worker is free: the rest of its unit, else
  // (unless draining) the next unit it holds; a test behind the test process
  // first waits for a fresh one.
  const next = (w: SimWorker, out: SchedulerEvent[]): void => {
    if (w.state === 'dead' || w.state === 'absent') return;
    if (w.current && w.current.pos >= w.current.unit.tests.length) w.current = undefined;
    if (!w.current && w.state === 'active') {
      const unit = w.queue.shift();
      if (unit) w.current = { unit, pos: 0, since: now, started: false };
    }
    if (!w.current) return;
    const test = w.current.unit.tests[w.current.pos] as string;
    const r = rank.get(test) ?? Infinity;
    if (r <= w.position) {
      freshProcesses++;
      w.position = -1;
      at(now + fork, { kind: 'forked', worker: w, token: ++w.token });
      return;
    }
    w.position = r;
    w.current.since = now;
    w.current.started = true;
    out.push({ type: 'testStarted', worker: w.spec.id, test });
    at(now + (duration.get(test) ?? 0) / w.spec.speed, { kind: 'testEnd', worker: w, token: ++w.token });
  };

  const release = (w: SimWorker, units: readonly DispatchedUnit[], out: SchedulerEvent[]): void => {
    const wanted = new Set(units.map((u) => u.unit));
    const tests: string[] = [];
    for (let i = w.queue.length - 1; i >= 0; i--) {
      const u = w.queue[i] as DispatchedUnit;
      if (wanted.has(u.unit)) {
        tests.push(...u.tests);
        w.queue.splice(i, 1);
      }
    }
    const current = w.current;
    if (options.releaseByTest && current && wanted.has(current.unit.unit)) {
      const keep = current.pos + (current.started ? 1 : 0);
      tests.push(...current.unit.tests.slice(keep));
      current.unit = { unit: current.unit.unit, tests: current.unit.tests.slice(0, keep) };
      if (keep === current.pos) {
        // Nothing of it started: the worker drops it and goes on.
        w.current = undefined;
        w.token++;
        next(w, out);
      }
    }
    out.push({ type: 'testsReleased', worker: w.spec.id, tests });
  };

  // A policy that bounces work back and forth forever must fail, not hang.
  const maxEvents = 1000 + 200 * workload.tests.length * Math.max(1, workload.workers.length);
  let handled = 0;
  for (let item = events.pop(); item; item = events.pop()) {
    if (++handled > maxEvents) throw new SimulationError(`simulation did not settle after ${maxEvents} events (the policy keeps moving work)`);
    now = item.time;
    const ev = item.event;
    const out: SchedulerEvent[] = [];
    switch (ev.kind) {
      case 'join':
        ev.worker.state = 'active';
        out.push({ type: 'workerJoined', worker: ev.worker.spec.id, speed: ev.worker.spec.speedKnown ? ev.worker.spec.speed : undefined });
        send(ev.worker, out);
        break;
      case 'leave':
        if (ev.worker.state === 'active') {
          ev.worker.state = 'draining';
          out.push({ type: 'workerLeft', worker: ev.worker.spec.id });
          send(ev.worker, out);
        }
        break;
      case 'die': {
        const w = ev.worker;
        if (w.state === 'active' || w.state === 'draining') {
          w.state = 'dead';
          const test = w.current?.unit.tests[w.current.pos];
          if (test !== undefined && w.current?.started) {
            interrupted.add(test);
            makespan = Math.max(makespan, now);
            onTestRun?.({ test, worker: w.spec.id, start: w.current.since, end: now, lost: true });
          }
          w.current = undefined;
          w.queue.length = 0;
          w.token++;
          // The coordinator notices the broken connection one latency later.
          messages++;
          at(arrival(w, 'up'), { kind: 'toCoordinator', events: [{ type: 'workerDied', worker: w.spec.id }] });
        }
        break;
      }
      case 'testEnd': {
        const w = ev.worker;
        if (ev.token !== w.token || !w.current) break;
        const test = w.current.unit.tests[w.current.pos] as string;
        completions.set(test, (completions.get(test) ?? 0) + 1);
        makespan = Math.max(makespan, now);
        onTestRun?.({ test, worker: w.spec.id, start: w.current.since, end: now, lost: false });
        out.push({ type: 'testFinished', worker: w.spec.id, test, duration: (duration.get(test) ?? 0) / w.spec.speed });
        w.current.pos++;
        w.current.started = false;
        next(w, out);
        send(w, out);
        break;
      }
      case 'forked': {
        const w = ev.worker;
        if (ev.token !== w.token || !w.current) break;
        next(w, out);
        send(w, out);
        break;
      }
      case 'toWorker': {
        const w = ev.worker;
        if (w.state === 'dead') break;
        if (ev.command.type === 'dispatch') {
          // A leaving worker refuses new work by handing it straight back.
          if (w.state === 'draining') out.push({ type: 'testsReleased', worker: w.spec.id, tests: ev.command.units.flatMap((u) => u.tests) });
          else {
            // As a baton worker sorts each Run: a test process moves forward only.
            w.queue.push(...[...ev.command.units].sort((a, b) => rankOf(a) - rankOf(b)));
            if (!w.current) next(w, out);
          }
        } else if (ev.command.type === 'reclaim') release(w, ev.command.units, out);
        send(w, out);
        break;
      }
      case 'toCoordinator':
        for (const e of ev.events) {
          for (const c of policy.handle(e, now)) {
            if (c.type === 'dispatch' || c.type === 'reclaim') {
              const w = workers.get(c.worker);
              if (!w) throw new SimulationError(`policy sent ${c.type} to unknown worker ${c.worker}`);
              if (c.type === 'dispatch') dispatches++;
              else reclaims++;
              messages++;
              at(arrival(w, 'down'), { kind: 'toWorker', worker: w, command: c });
            } else if (c.type === 'lost') {
              if (!interrupted.has(c.test)) throw new SimulationError(`policy reported ${c.test} lost, but it was not running on a dead worker`);
              lost.push(c.test);
            }
          }
        }
        {
          const stall = policy.stall?.();
          if (stall !== undefined) throw new SimulationError(`the run stalled at ${now.toFixed(3)} s: ${stall}`);
        }
        break;
    }
  }

  const problems: string[] = [];
  const lostSet = new Set(lost);
  if (lostSet.size !== lost.length) problems.push('a test was reported lost twice');
  for (const t of workload.tests) {
    const n = (completions.get(t.id) ?? 0) + (lostSet.has(t.id) ? 1 : 0);
    if (n !== 1) problems.push(`${t.id} settled ${n} times`);
    if (problems.length >= 5) break;
  }
  if (problems.length > 0) throw new SimulationError(`simulation broke its invariants: ${problems.join('; ')}`);
  return { makespan, finished: workload.tests.length - lost.length, lost, messages, dispatches, reclaims, freshProcesses };
}
