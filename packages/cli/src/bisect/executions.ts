import { systemClock, type Clock, type ClockTimer } from '@baton/protocol';
import type { ResultStatus } from '@baton/store';
import { isFailing } from '@baton/subunit';
import type { TestResult } from '@baton/subunit';
import type { AdapterFactory, TestAdapter } from '@baton/worker';
import { CliError } from '../errors.js';

/** How the bisected test fared after one candidate. */
export interface Execution {
  /** It failed, or never finished (its process died in it). */
  readonly failed: boolean;
  /** Its result; undefined when its process died in it. */
  readonly result: TestResult | undefined;
}

/** How candidates run beyond the adapter: each test's timeout, and the clock that keeps it. */
export interface CandidateOptions {
  /** Seconds a test may run before its process is killed, as in a run; undefined: no limit. @default none */
  readonly timeoutOf?: (testId: string) => number | undefined;
  /** @default systemClock */
  readonly clock?: Clock;
}

/**
 * Runs candidates: each an ordered list of tests, then the bisected test, in a test server
 * process of its own that nothing ran in before (a fork of the fork server for Python, as
 * fresh as the one a run starts). The same adapters as a run's, driven directly: a
 * candidate costs a fork and a Run, not a `baton run` with its interpreter starts and
 * discovery. A test that runs past its timeout has its process killed, as a run's slot
 * kills it, so that a candidate that hangs cannot hang the bisection.
 */
export class CandidateRunner {
  private readonly factory: AdapterFactory;
  private readonly target: string;
  private readonly log: (line: string) => void;
  private readonly timeoutOf: (testId: string) => number | undefined;
  private readonly clock: Clock;
  private readonly running = new Set<TestAdapter>();
  private stopping = false;

  constructor(factory: AdapterFactory, target: string, log: (line: string) => void, options: CandidateOptions = {}) {
    this.factory = factory;
    this.target = target;
    this.log = log;
    this.timeoutOf = options.timeoutOf ?? (() => undefined);
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Runs `tests` and then the target on slot `slot`'s fresh process. Undefined once
   * `stop` was called. Throws BATON_CLI_BISECT_NO_RESULT when the process died before the
   * target started (a test before it crashed it, or ran past its timeout), or ended
   * without its result.
   */
  async run(tests: readonly string[], slot: number): Promise<Execution | undefined> {
    if (this.stopping) return undefined;
    const adapter = await this.factory({ slot, output: () => {}, log: this.log });
    this.running.add(adapter);
    let started = false;
    let result: TestResult | undefined;
    let watched: { readonly id: string; readonly seconds: number; readonly timer: ClockTimer } | undefined;
    let timedOut: { readonly id: string; readonly seconds: number } | undefined;
    const why = (error: unknown): unknown => timedOut === undefined ? error : new Error(`${timedOut.id} ran past its timeout of ${timedOut.seconds} s, and its process was killed`);
    try {
      if (this.stopping) return undefined;
      for await (const event of adapter.run([...tests, this.target], {})) {
        const id = event.type === 'start' ? event.id : event.result.id;
        if (event.type === 'start') {
          if (id === this.target) started = true;
          watched?.timer.cancel();
          const seconds = this.timeoutOf(id);
          watched = seconds === undefined ? undefined : {
            id,
            seconds,
            timer: this.clock.setTimeout(() => {
              timedOut = { id, seconds };
              adapter.kill();
            }, seconds * 1000),
          };
        } else {
          if (id === this.target) result = event.result;
          if (watched?.id === id) watched.timer.cancel();
        }
      }
    } catch (error) {
      if (this.stopping) return undefined;
      // A process that died in the test (or was killed for its timeout) is a failure of the test, as in a run.
      if (started && result === undefined) return { failed: true, result: undefined };
      throw this.noResult(tests, why(error));
    } finally {
      watched?.timer.cancel();
      this.running.delete(adapter);
      await adapter.close().catch(() => undefined);
    }
    if (result === undefined) {
      if (this.stopping) return undefined;
      if (timedOut?.id === this.target) return { failed: true, result: undefined };
      throw this.noResult(tests, why(undefined));
    }
    return { failed: isFailing((result.status ?? 'inprogress') as ResultStatus), result };
  }

  /** Kills what runs; every `run` not over resolves undefined. */
  stop(): void {
    this.stopping = true;
    for (const adapter of this.running) adapter.kill();
  }

  private noResult(tests: readonly string[], cause: unknown): CliError {
    const why = cause === undefined ? 'its test server ended without a result for it' : `its test server died first: ${(cause as Error).message}`;
    return new CliError('BATON_CLI_BISECT_NO_RESULT', `${this.target} did not run after ${tests.length} of the tests before it (${why}); bisect needs those tests to let it run`, { cause });
  }
}
