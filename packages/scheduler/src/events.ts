/**
 * The scheduler's contract with the coordinator: events in, commands out, all
 * plain data. Times are seconds on the caller's clock, passed as `now`.
 */

/** A unit as sent to (or taken back from) a worker: run `tests` in this order, on one worker. */
export interface DispatchedUnit {
  /** Stable unit number within the run; a unit may be dispatched again after a reclaim or a death. */
  readonly unit: number;
  /** The unit's tests still to run, in order. */
  readonly tests: readonly string[];
  /**
   * Run it in a test process that has run nothing before (a fresh fork): the unit is a
   * retry of a test whose attempt failed (see `SchedulerTestFinished.retry`).
   */
  readonly fresh?: boolean;
}

/** A worker (one execution slot) is ready for work. A host with N slots joins as N workers. */
export interface SchedulerWorkerJoined {
  readonly type: 'workerJoined';
  readonly worker: string;
  /** Prior relative speed (2 = twice as fast), e.g. from earlier runs of this host; learned anyway. */
  readonly speed?: number | undefined;
}

/** A worker will leave: it takes no new work, finishes its running unit, and answers the reclaim of the rest. */
export interface WorkerLeft {
  readonly type: 'workerLeft';
  readonly worker: string;
}

/** A worker vanished (connection lost, heartbeat missed): its running test is lost, the rest requeued. */
export interface WorkerDied {
  readonly type: 'workerDied';
  readonly worker: string;
}

/** A worker started a test. */
export interface SchedulerTestStarted {
  readonly type: 'testStarted';
  readonly worker: string;
  readonly test: string;
}

/** A worker finished a test (whatever its outcome) after `duration` seconds on the worker's clock. */
export interface SchedulerTestFinished {
  readonly type: 'testFinished';
  readonly worker: string;
  readonly test: string;
  readonly duration: number;
  /**
   * This attempt failed and the test is to run again (`baton run --retries`): it is not
   * settled, and runs once more as a unit of its own, on a fresh test process, on another
   * worker whenever one is ready (this one only when it is the only one).
   */
  readonly retry?: boolean;
}

/**
 * A worker gave tests back: its answer to a Reclaim (the ids it had not
 * started; possibly none), or a dispatch it refused while leaving. A worker
 * releases whole units only: a unit whose first test started stays with it.
 */
export interface TestsReleased {
  readonly type: 'testsReleased';
  readonly worker: string;
  readonly tests: readonly string[];
}

/** Time passed; lets the scheduler look again (e.g. for work to take back). */
export interface Tick {
  readonly type: 'tick';
}

/** Everything the coordinator tells the scheduler. */
export type SchedulerEvent = SchedulerWorkerJoined | WorkerLeft | WorkerDied | SchedulerTestStarted | SchedulerTestFinished | TestsReleased | Tick;

/** Send these units to the worker, to run after what it already holds. */
export interface Dispatch {
  readonly type: 'dispatch';
  readonly worker: string;
  readonly units: readonly DispatchedUnit[];
}

/** Ask the worker to give back these units if it has not started them; it answers with TestsReleased. */
export interface Reclaim {
  readonly type: 'reclaim';
  readonly worker: string;
  readonly units: readonly DispatchedUnit[];
}

/** The test was running on a worker that died: record it as an error naming the worker. Sent once per test. */
export interface Lost {
  readonly type: 'lost';
  readonly worker: string;
  readonly test: string;
  readonly unit: number;
}

/** Every test has finished or been lost. Sent once. */
export interface Finish {
  readonly type: 'finish';
}

/** Everything the scheduler asks of the coordinator. */
export type Command = Dispatch | Reclaim | Lost | Finish;

/**
 * What the simulator drives: baton's Scheduler and every baseline. `handle`
 * applies one event at time `now` and returns the commands to carry out, in order.
 */
export interface SchedulingPolicy {
  handle(event: SchedulerEvent, now: number): Command[];
  /**
   * Why the run cannot go on, if it cannot: tests remain and a worker is ready, yet
   * nothing is held or being taken back. The simulator fails on it.
   */
  stall?(): string | undefined;
}
