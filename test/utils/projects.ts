// The small projects and reports the end-to-end tests share.
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
