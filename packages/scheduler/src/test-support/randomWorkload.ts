import { randomInt, type Rng } from '../rng.js';
import type { Workload, WorkloadWorker } from '../simulator/workload.js';

/** A random small workload: plan segments with concurrency, groups, partial history, joins, leaves, deaths. */
export function randomWorkload(rng: Rng): Workload {
  const n = 1 + randomInt(rng, 60);
  const tests = Array.from({ length: n }, (_, i) => {
    const duration = rng.next() < 0.1 ? 0 : Math.exp(2 * rng.next() - 1) * (rng.next() < 0.05 ? 20 : 1);
    const r = rng.next();
    return { id: `p.m${i % 3}.C${i % 5}.t${i}`, duration, estimate: r < 0.3 ? undefined : r < 0.6 ? duration : duration * (0.2 + 2 * rng.next()) };
  });
  const workers: WorkloadWorker[] = Array.from({ length: 1 + randomInt(rng, 6) }, (_, i) => {
    const w: { id: string; speed: number; join: number; leave?: number; die?: number; speedKnown?: boolean } = {
      id: `w${i}`,
      speed: rng.next() < 0.5 ? 1 : 0.25 + rng.next() * 2,
      join: i === 0 || rng.next() < 0.6 ? 0 : rng.next() * 10,
      speedKnown: rng.next() < 0.3,
    };
    // Worker 0 stays to the end, so every run can finish.
    if (i > 0 && rng.next() < 0.3) w.leave = w.join + rng.next() * 20;
    if (i > 0 && rng.next() < 0.2) w.die = w.join + rng.next() * 20;
    return w;
  });
  const ids = tests.map((t) => t.id);
  let plan: Workload['plan'];
  if (rng.next() < 0.5) {
    const segments: { name: string; tests: string[]; concurrency?: number }[] = [];
    for (let start = 0; start < ids.length; ) {
      const size = 1 + randomInt(rng, Math.max(1, ids.length - start));
      const concurrency = rng.next() < 0.3 ? 1 + randomInt(rng, 3) : undefined;
      segments.push({ name: `s${segments.length}`, tests: ids.slice(start, start + size), concurrency });
      start += size;
    }
    plan = { version: 1, segments };
  }
  return { tests, workers, latency: rng.next() < 0.3 ? 0 : rng.next() * 0.05, plan, groupRegex: rng.next() < 0.3 ? '([^\\.]*\\.)*' : undefined };
}

