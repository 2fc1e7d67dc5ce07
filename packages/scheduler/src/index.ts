export { DEFAULT_ESTIMATE_SECONDS, Estimator, MIN_ESTIMATE_SECONDS } from './estimates.js';
export { prefixesOf } from './neighbours.js';
export type { EstimateSource, EstimatorOptions, KnownEstimates, RunTests } from './estimates.js';
export { PlanError, SchedulerError, ValidationError, WorkloadError } from './errors.js';
export type { InputErrorDetails, PlanErrorCode, SchedulerErrorCode, WorkloadErrorCode } from './errors.js';
export type {
  Command,
  Dispatch,
  DispatchedUnit,
  Finish,
  Lost,
  Reclaim,
  SchedulerEvent,
  SchedulerTestFinished,
  SchedulerTestStarted,
  SchedulerWorkerJoined,
  SchedulingPolicy,
  TestsReleased,
  Tick,
  WorkerDied,
  WorkerLeft,
} from './events.js';
export { CLASS_GROUP_REGEX, groupKeyOf, groupTests } from './groups.js';
export type { SharedFixtures, Unit } from './groups.js';
export { memberPath, parseJson } from './json.js';
export type { JsonResult, JsonSyntaxProblem } from './json.js';
export { lowerBound, unforeseenBound } from './lowerBound.js';
export type { BoundSegment, BoundWorker } from './lowerBound.js';
export { checkPlan, parsePlan, planFromJson, resolvePlan } from './plan.js';
export type { Plan, PlanSegment, PlanSource, ResolveOptions, Segment, UnnamedPolicy } from './plan.js';
export { mulberry32 } from './rng.js';
export type { Rng } from './rng.js';
export { FRESH_PROCESS_SECONDS } from './policy.js';
export { Scheduler } from './scheduler.js';
export type { SchedulerOptions } from './scheduler.js';
export { UnitState, WorkerSession } from './state.js';
