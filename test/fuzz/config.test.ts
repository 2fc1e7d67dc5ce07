// The configuration readers under seeded fuzzing: baton.json mutated as JSON and as text,
// .stestr.conf and .testr.conf mutated as text, and random input. Each accepts a
// configuration a run can use, or refuses with BATON_CLI_BAD_CONFIG naming the file and
// where in it (a JSON path, a line and column, the setting, or the line that is none).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig, type ProjectConfig } from '../../packages/cli/src/config.js';
import { CliError } from '../../packages/cli/src/errors.js';
import { assertExercised, caseCount, fuzz, int, jsonCase, mutateText, pick, preview, summary, type Outcome, type Rng } from '../utils/fuzz.js';

const JSON_SEEDS: unknown[] = [
  { python: { testPath: 'tests', topDir: '.', interpreter: 'python3', fork: false }, groupRegex: '^(.*\\.TestShared\\w+)\\.', timeout: { multiple: 5, minimum: 60 }, profile: 'py311' },
  { server: { command: ['./serve', '--fast'] }, timeout: 30 },
  { testr: { testCommand: 'python -m subunit.run discover . $LISTOPT $IDOPTION', testIdOption: '--load-list $IDFILE', testListOption: '--list' } },
];
const JSON_TEXTS = JSON_SEEDS.map((s) => JSON.stringify(s, null, 2));
const STESTR = ['[DEFAULT]\ntest_path=./tests\ntop_dir=./\ngroup_regex=([^\\.]*\\.)*\n', '[DEFAULT]\ntest_path: stestr/tests\n# comment\n; other\n'];
const TESTR = [
  '[DEFAULT]\ntest_command=OS_STDOUT_CAPTURE=1 \\\n    ${PYTHON:-python} -m subunit.run discover -t ./ . $LISTOPT $IDOPTION\ntest_id_option=--load-list $IDFILE\ntest_list_option=--list\ngroup_regex=([^\\.]+\\.)+\n',
  '[DEFAULT]\r\ntest_command=./run $IDOPTION\r\n[other]\r\ntest_command=ignored\r\n',
];
const INI_TEXTS = [...STESTR, ...TESTR, ...JSON_TEXTS];
const FILES = ['/p/baton.json', '/p/.stestr.conf', '/p/.testr.conf'] as const;

interface ConfigCase {
  readonly file: (typeof FILES)[number];
  readonly text: string;
}

function configCase(r: Rng): ConfigCase {
  const file = pick(r, FILES);
  if (file === '/p/baton.json') return { file, text: jsonCase(r, JSON_SEEDS, JSON_TEXTS) };
  const seeds = file === '/p/.stestr.conf' ? STESTR : TESTR;
  const choice = int(r, 10);
  if (choice === 0) return { file, text: pick(r, seeds) };
  if (choice === 9) return { file, text: Array.from({ length: int(r, 200) }, () => String.fromCharCode(int(r, 128))).join('') };
  return { file, text: mutateText(r, pick(r, seeds), INI_TEXTS) };
}

function nonEmpty(s: string | undefined): boolean {
  return s === undefined || (typeof s === 'string' && s.length > 0);
}

function checkConfig({ file, text }: ConfigCase): Outcome {
  let config: ProjectConfig;
  try {
    config = parseConfig(text, file);
  } catch (error) {
    assert.ok(error instanceof CliError, `threw ${String(error)} instead of a CliError`);
    assert.equal(error.code, 'BATON_CLI_BAD_CONFIG');
    assert.ok(error.message.startsWith(`${file}: `), `the message names the file: ${error.message}`);
    // Where: a JSON path or a line and column in baton.json, the setting in an INI file.
    if (file === '/p/baton.json') assert.match(error.message, /^\S+: (\$|line \d+ column \d+: )/);
    else {
      // The setting at fault (one the file has, or a required one it lacks), or the line
      // that is no setting at all.
      const key = /^(\S.*?) (is|must) /s.exec(error.message.slice(file.length + 2))?.[1];
      const line = /^line (\d+)$/.exec(key ?? '')?.[1];
      if (line !== undefined) assert.ok(Number(line) >= 1 && Number(line) <= text.split(/\r?\n/).length, `line ${line} is in the file: ${error.message}`);
      else assert.ok(key !== undefined && (['test_path', 'test_command'].includes(key) || text.toLowerCase().includes(key)), `the message names the setting: ${error.message}`);
    }
    return 'refused';
  }
  assert.equal(config.file, file);
  const a = config.adapter;
  if (a.kind === 'python') assert.ok(a.testPath.length > 0 && a.topDir.length > 0 && a.python.length > 0);
  else if (a.kind === 'server') assert.ok(a.command.length > 0 && a.command.every((c) => typeof c === 'string'));
  else assert.ok(a.testCommand.length > 0 && nonEmpty(a.testIdOption) && nonEmpty(a.testListOption));
  if (config.groupRegex !== undefined) new RegExp(config.groupRegex);
  const t = config.timeout;
  if (t !== undefined) {
    // A timeout travels in every Run message as JSON: Infinity would arrive as null.
    if ('seconds' in t) assert.ok(Number.isFinite(t.seconds) && t.seconds > 0, `timeout ${t.seconds}`);
    else assert.ok(Number.isFinite(t.multiple) && t.multiple > 1 && Number.isFinite(t.minimum) && t.minimum > 0, `timeout ${JSON.stringify(t)}`);
  }
  assert.ok(nonEmpty(config.profile));
  return 'accepted';
}

test('the configuration readers accept usable configurations and refuse the rest naming file and place, over seeded random and mutated files', (t) => {
  const report = fuzz({
    seed: 20260303,
    cases: caseCount(10_000),
    input: configCase,
    check: checkConfig,
    show: (c) => `${c.file} ${preview(c.text)}`,
  });
  t.diagnostic(summary(report));
  assertExercised(report, { accepted: 1 / 10, refused: 1 / 10 });
});
