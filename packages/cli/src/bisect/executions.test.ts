// A candidate of a bisection on the real Python test server, with the run's per-test
// timeout: a test that hangs has its process killed, so that the bisection goes on (the
// bisected test hanging is its failure) or stops saying which test hung before it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FakeClock } from '@baton/protocol/test-kit';
import { pythonAdapter } from '@baton/worker';
import type { CliError } from '../errors.js';
import { tempDir } from '../test-support/run-baton.js';
import { CandidateRunner, type Execution } from './executions.js';

const PYTHON = execFileSync(process.env['BATON_TEST_PYTHON'] ?? 'python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const FIRST = 'tests.test_h.T.test_a_passes';
const HANGS = 'tests.test_h.T.test_b_hangs';
const LAST = 'tests.test_h.T.test_c_passes';

/** A suite of a test that hangs (unless killed) between two that pass, in discovery order. */
function suite(): string {
  const dir = tempDir('baton-candidate-');
  mkdirSync(join(dir, 'tests'));
  writeFileSync(join(dir, 'tests/__init__.py'), '');
  writeFileSync(join(dir, 'tests/test_h.py'), [
    'import threading, unittest',
    'class T(unittest.TestCase):',
    '    def test_a_passes(self):',
    '        pass',
    '    def test_b_hangs(self):',
    '        threading.Event().wait()',
    '    def test_c_passes(self):',
    '        pass',
    '',
  ].join('\n'));
  return dir;
}

/** A fake clock that says when a timer of `ms` is armed: the watchdog of a test that started. */
class WatchedClock extends FakeClock {
  private wanted: { readonly ms: number; readonly armed: () => void } | undefined;
  armed(ms: number): Promise<void> {
    return new Promise((armed) => (this.wanted = { ms, armed }));
  }
  override setTimeout(callback: () => void, ms: number): ReturnType<FakeClock['setTimeout']> {
    const timer = super.setTimeout(callback, ms);
    if (this.wanted?.ms === ms) this.wanted.armed();
    return timer;
  }
}

describe('a candidate on a fresh process, with timeouts', () => {
  /**
   * Runs `tests` then `target` with a timeout of 30 s for the test that hangs (60 s for the
   * others) and lets its watchdog fire; `then` gets the execution and the runner.
   */
  async function pastTimeout(target: string, tests: readonly string[], then: (execution: Promise<Execution | undefined>, runner: CandidateRunner) => Promise<void>): Promise<void> {
    const clock = new WatchedClock();
    const factory = pythonAdapter({ testPath: 'tests', cwd: suite(), python: PYTHON });
    const timeouts = new Map([[FIRST, 60], [HANGS, 30], [LAST, 60]]);
    const runner = new CandidateRunner(factory, target, () => undefined, { timeoutOf: (id) => timeouts.get(id), clock });
    try {
      const armed = clock.armed(30_000);
      const execution = runner.run(tests, 0);
      await armed;
      clock.advance(30_000);
      await then(execution, runner);
    } finally {
      await factory.dispose?.();
    }
  }

  it('the bisected test running past its timeout is killed, and counts as a failure', () =>
    pastTimeout(HANGS, [FIRST], async (execution) => {
      assert.deepEqual(await execution, { failed: true, result: undefined });
    }));

  it('a test before it running past its timeout stops the bisection, naming it', () =>
    pastTimeout(LAST, [HANGS], async (execution, runner) => {
      await assert.rejects(execution, (e: CliError) => e.code === 'BATON_CLI_BISECT_NO_RESULT'
        && e.message === `${LAST} did not run after 1 of the tests before it (its test server died first: ${HANGS} ran past its timeout of 30 s, and its process was killed); bisect needs those tests to let it run`);
      assert.equal((await runner.run([], 0))?.failed, false, 'the next candidate runs on a fresh process');
    }));
});
