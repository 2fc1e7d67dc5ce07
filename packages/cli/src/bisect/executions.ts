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

/**
 * Runs candidates: each an ordered list of tests, then the bisected test, in a test server
 * process of its own that nothing ran in before (a fork of the fork server for Python, as
 * fresh as the one a run starts). The same adapters as a run's, driven directly: a
 * candidate costs a fork and a Run, not a `baton run` with its interpreter starts and
 * discovery.
 */
export class CandidateRunner {
  private readonly factory: AdapterFactory;
  private readonly target: string;
  private readonly log: (line: string) => void;
  private readonly running = new Set<TestAdapter>();
  private stopping = false;

  constructor(factory: AdapterFactory, target: string, log: (line: string) => void) {
    this.factory = factory;
    this.target = target;
    this.log = log;
  }

  /**
   * Runs `tests` and then the target on slot `slot`'s fresh process. Undefined once
   * `stop` was called. Throws BATON_CLI_BISECT_NO_RESULT when the process died before the
   * target started, or ended without its result.
   */
  async run(tests: readonly string[], slot: number): Promise<Execution | undefined> {
    if (this.stopping) return undefined;
    const adapter = await this.factory({ slot, output: () => {}, log: this.log });
    this.running.add(adapter);
    let started = false;
    let result: TestResult | undefined;
    try {
      if (this.stopping) return undefined;
      for await (const event of adapter.run([...tests, this.target], {})) {
        if (event.type === 'start' && event.id === this.target) started = true;
        else if (event.type === 'result' && event.result.id === this.target) result = event.result;
      }
    } catch (error) {
      if (this.stopping) return undefined;
      // A process that died in the test is a failure of the test, as in a run.
      if (started && result === undefined) return { failed: true, result: undefined };
      throw this.noResult(tests, error);
    } finally {
      this.running.delete(adapter);
      await adapter.close().catch(() => undefined);
    }
    if (result === undefined) {
      if (this.stopping) return undefined;
      throw this.noResult(tests, undefined);
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
