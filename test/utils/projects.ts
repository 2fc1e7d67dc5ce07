// The small projects and reports the end-to-end tests share.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../packages/cli/src/test-support/run-baton.js';
import { makeProject, STESTR_CONF, unittestModule } from './baton-process.js';

/** The parts of `--json FILE` the tests look at. */
export interface JsonReport {
  exitCode: number;
  infrastructureProblem: string | null;
  counts: Record<string, number>;
  notRun: string[];
  results: { id: string; status: string; worker: string; seq: number; start: string; stop: string; attachments: { name: string; text?: string }[]; infrastructure?: string }[];
}

export const readJson = (file: string): JsonReport => JSON.parse(readFileSync(file, 'utf8')) as JsonReport;

/** A project with passes, a failure, a skip and a slowish test, in two modules. */
export function mixedProject(): string {
  const quick: Record<string, string> = {};
  for (let i = 0; i < 12; i++) quick[`test_quick_${i}`] = `self.assertEqual(${i}, ${i})`;
  return makeProject({
    '.stestr.conf': STESTR_CONF,
    'tests/__init__.py': '',
    'tests/test_quick.py': unittestModule('TestQuick', quick),
    'tests/test_mixed.py': unittestModule('TestMixed', {
      test_fails: 'self.assertEqual(1, 2, "deliberate")',
      test_skips: 'self.skipTest("not here")',
      test_prints: 'print("printed by a test")',
      test_slowish: 'time.sleep(0.3)',
    }),
  });
}

export const ALL_MIXED = 16;

/**
 * Ten quick tests and `tests.test_killer.TestKiller.<name>`, whose body kills something
 * (its test server, its worker): what the fault tests run.
 */
export function killerProject(name: string, body: string): string {
  const quick: Record<string, string> = {};
  for (let i = 0; i < 10; i++) quick[`test_quick_${i}`] = 'time.sleep(0.05)';
  return makeProject({
    '.stestr.conf': STESTR_CONF,
    'tests/__init__.py': '',
    'tests/test_quick.py': unittestModule('TestQuick', quick),
    'tests/test_killer.py': unittestModule('TestKiller', { [name]: body }),
  });
}

/** The `killerProject` test's one result, once every test of the report was found to have exactly one. */
export function killerResult(report: JsonReport): JsonReport['results'][number] {
  assert.deepEqual(report.notRun, []);
  assert.equal(report.results.length, 11, 'every test has a result');
  assert.equal(new Set(report.results.map((r) => r.id)).size, 11, 'and only one');
  const victim = report.results.find((r) => r.id.startsWith('tests.test_killer.TestKiller.'))!;
  assert.equal(victim.status, 'fail');
  return victim;
}

/**
 * The seed of test/fixtures/python-flaky's coins (its tests/flaky.py): with 14 the first
 * flip of each of its flaky tests fails, so the first run records both failures. Every
 * later flip comes from the same sequence, whichever process draws it.
 */
export const FLAKY_SEED = '14';

/**
 * A copy of test/fixtures/python-flaky (305 tests; one fails one time in ten after an
 * earlier test polluted module state, one fails one time in five on its own) with a fresh
 * state for its coins, and the environment that seeds them.
 */
export function flakySuite(): { dir: string; env: Record<string, string> } {
  const dir = tempDir('baton-flaky-');
  cpSync(fileURLToPath(new URL('../fixtures/python-flaky', import.meta.url)), dir, { recursive: true });
  mkdirSync(join(dir, 'state'));
  return { dir, env: { FLAKY_SEED, FLAKY_STATE_DIR: join(dir, 'state') } };
}
