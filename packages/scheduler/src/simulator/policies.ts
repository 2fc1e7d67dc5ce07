import type { SchedulingPolicy } from '../events.js';
import { Scheduler } from '../scheduler.js';
import { roundRobinPartition } from './baselines/roundRobin.js';
import { StaticPolicy } from './baselines/static.js';
import { partitionTests } from './baselines/stestr.js';
import { WorkStealPolicy } from './baselines/worksteal.js';
import type { PolicyContext } from './context.js';

/** The policies the simulator can run. */
export type PolicyName = 'baton' | 'stestr' | 'worksteal' | 'round-robin';
export const POLICIES: readonly PolicyName[] = ['baton', 'stestr', 'worksteal', 'round-robin'];

/** One line saying what each baseline is, for reports. */
export const BASELINES_NOTE: string =
  'baselines: stestr = stestr 3.2.1 partition_tests (static, greedy by history, unknown round-robin, groups kept); ' +
  'worksteal = pytest-xdist >= 3.2 worksteal (count based, no history); round-robin = static, unit i to worker i mod n; ' +
  'all re-implemented in packages/scheduler/src/simulator/baselines.';

/** A fresh policy for one simulated run. */
export function createPolicy(name: PolicyName, context: PolicyContext): SchedulingPolicy {
  switch (name) {
    case 'baton':
      return new Scheduler(context.segments, {
        estimates: context.history,
        expectedWorkers: context.initialWorkers,
        roundTrip: 2 * context.latency,
        discovery: context.discovery,
        freshProcess: context.freshProcess,
      });
    case 'stestr':
      return new StaticPolicy(context, (units, n) => partitionTests(units, n, context.history));
    case 'round-robin':
      return new StaticPolicy(context, roundRobinPartition);
    case 'worksteal':
      return new WorkStealPolicy(context);
  }
}
