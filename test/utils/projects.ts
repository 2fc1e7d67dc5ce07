// The small projects and reports the end-to-end tests share.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
