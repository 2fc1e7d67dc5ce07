import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLASS_GROUP_REGEX } from '@baton/scheduler';
import { loadProjectConfig, parseConfig, parseIni } from './config.js';
import type { CliError } from './errors.js';
import { tempDir } from './test-support/run-baton.js';

/** A project of `files`, with `dirs` made too (a Python suite's test directory must exist). */
function project(files: Record<string, string>, dirs: readonly string[] = ['t']): string {
  const dir = tempDir('baton-config-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  for (const d of dirs) mkdirSync(join(dir, d), { recursive: true });
  return dir;
}

test('INI as configparser reads it: continuation lines, comments, other sections ignored', () => {
  const ini = parseIni(
    [
      '# a comment',
      '[DEFAULT]',
      'test_command=OS_STDOUT_CAPTURE=1 \\',
      '    ${PYTHON:-python} -m subunit.run discover -t ./ . $LISTOPT $IDOPTION',
      'test_id_option: --load-list $IDFILE',
      '; another comment',
      '[other]',
      'test_command=ignored',
      ].join('\n'),
      '.testr.conf',
  );
  assert.equal(ini.get('test_command'), 'OS_STDOUT_CAPTURE=1 \\\n${PYTHON:-python} -m subunit.run discover -t ./ . $LISTOPT $IDOPTION');
  assert.equal(ini.get('test_id_option'), '--load-list $IDFILE');
});

test('.stestr.conf gives the Python test server its path, top dir and group regex; found from a subdirectory', () => {
  const dir = project({ '.stestr.conf': '[DEFAULT]\ntest_path=./tests\ntop_dir=./\ngroup_regex=([^\\.]*\\.)*\n' }, ['tests', 'sub']);
  const config = loadProjectConfig(join(dir, 'sub'));
  assert.equal(config.root, dir);
  assert.deepEqual(config.adapter, { kind: 'python', testPath: './tests', topDir: './', python: process.env['BATON_PYTHON'] ?? 'python3', fork: true });
  assert.equal(config.groupRegex, '([^\\.]*\\.)*');
});

test('.stestr.conf: parallel_class groups by class and wins over group_regex, as in stestr; paths expand shell variables', () => {
  process.env['BATON_TEST_PATH_VAR'] = 'unit';
  try {
    const dir = project({ '.stestr.conf': '[DEFAULT]\ntest_path=./${BATON_TEST_PATH_VAR}/tests\ntop_dir=${BATON_UNSET_VAR:-./}\nparallel_class=True\ngroup_regex=^(a)\n' }, ['unit/tests']);
    const config = loadProjectConfig(dir);
    assert.equal(config.groupRegex, CLASS_GROUP_REGEX);
    assert.deepEqual(config.adapter.kind === 'python' && [config.adapter.testPath, config.adapter.topDir], ['./unit/tests', './']);
    const off = project({ '.stestr.conf': '[DEFAULT]\ntest_path=t\nparallel_class=off\ngroup_regex=^(a)\n' });
    assert.equal(loadProjectConfig(off).groupRegex, '^(a)');
  } finally {
    delete process.env['BATON_TEST_PATH_VAR'];
  }
});

test('a Python suite whose test_path or top_dir is not a directory is refused as configuration, naming the setting and the path', () => {
  const missing = project({ '.stestr.conf': '[DEFAULT]\ntest_path=./nothere\n' }, []);
  assert.throws(() => loadProjectConfig(missing), (e: CliError) => e.code === 'BATON_CLI_BAD_CONFIG' && e.message === `${join(missing, '.stestr.conf')}: test_path names ./nothere, and ${join(missing, 'nothere')} does not exist`);
  const file = project({ '.stestr.conf': '[DEFAULT]\ntest_path=t\ntop_dir=f\n', f: '' });
  assert.throws(() => loadProjectConfig(file), (e: CliError) => e.code === 'BATON_CLI_BAD_CONFIG' && e.message.endsWith(`: top_dir names f, and ${join(file, 'f')} is not a directory`));
  const json = project({ 'baton.json': JSON.stringify({ python: { testPath: 'gone' } }) });
  assert.throws(() => loadProjectConfig(json), (e: CliError) => e.code === 'BATON_CLI_BAD_CONFIG' && /baton\.json: \$\.python\.testPath names gone, and .* does not exist$/.test(e.message));
});

test('.stestr.conf: a key stestr does not read, or a parallel_class that is not a boolean, is refused naming it', () => {
  assert.throws(() => loadProjectConfig(project({ '.stestr.conf': '[DEFAULT]\ntest_path=t\nparalel_class=true\n' })), (e: CliError) => e.code === 'BATON_CLI_BAD_CONFIG' && /paralel_class.*is not a setting stestr reads/.test(e.message));
  assert.throws(() => loadProjectConfig(project({ '.stestr.conf': '[DEFAULT]\ntest_path=t\nparallel_class=sometimes\n' })), (e: CliError) => e.code === 'BATON_CLI_BAD_CONFIG' && /parallel_class.*must be a boolean/.test(e.message));
});

test('baton.json wins over stestr files beside it, and every mistake names its JSON path', () => {
  const dir = project({ 'baton.json': JSON.stringify({ server: { command: ['./serve', '--fast'] }, timeout: { multiple: 4 }, profile: 'py312' }), '.stestr.conf': '[DEFAULT]\ntest_path=x\n' });
  const config = loadProjectConfig(dir);
  assert.deepEqual(config.adapter, { kind: 'server', command: ['./serve', '--fast'] });
  assert.deepEqual(config.timeout, { multiple: 4, minimum: 60 });
  assert.equal(config.profile, 'py312');
  const cases: [unknown, RegExp][] = [
    [{ python: { testPath: 'a' }, testr: { testCommand: 'b' } }, /\$ needs exactly one of "python", "server" or "testr" .*found python and testr/],
    [{ server: { command: [] } }, /\$\.server\.command must be a non-empty array of strings/],
    [{ python: { testPath: 't' }, groupRegex: '(' }, /\$\.groupRegex is not a valid regular expression/],
    [{ python: { testPath: 't' }, timeout: -1 }, /\$\.timeout must be a positive number of seconds/],
    [{ python: { testPath: 't' }, colour: 'blue' }, /\$\.colour is not a baton\.json setting/],
    [{ python: { testPath: 't', fork: 'no' } }, /\$\.python\.fork must be true or false/],
  ];
  for (const [doc, message] of cases) {
    const bad = project({ 'baton.json': JSON.stringify(doc) });
    assert.throws(() => loadProjectConfig(bad), (e: Error & { code?: string }) => e.code === 'BATON_CLI_BAD_CONFIG' && message.test(e.message) && e.message.includes('baton.json'));
  }
  assert.throws(() => loadProjectConfig(project({ 'baton.json': '{"python":' })), /baton\.json: line 1 column 11: not valid JSON: unexpected end of input/);
});

// Found by fuzzing (test/fuzz/config.test.ts), each of the following.
test('baton.json refuses a timeout that reads as Infinity, which every Run would carry as null', () => {
  for (const [timeout, where] of [['1e400', '$.timeout'], ['{"multiple": 1e400}', '$.timeout.multiple'], ['{"multiple": 2, "minimum": 1e400}', '$.timeout.minimum']] as const) {
    assert.throws(
      () => parseConfig(`{"python": {"testPath": "t"}, "timeout": ${timeout}}`, 'baton.json'),
      (e: Error & { code?: string }) => e.code === 'BATON_CLI_BAD_CONFIG' && e.message.startsWith(`baton.json: ${where} must be`),
    );
  }
});

test('baton.json names an unknown setting of any spelling by a JSON path that leads to it', () => {
  assert.throws(() => parseConfig('{"python": {"testPath": "t"}, "time out": 1}', 'baton.json'), /^CliError: baton\.json: \$\["time out"\] is not a baton\.json setting/);
});

test('an empty top_dir, test_id_option or test_list_option counts as absent', () => {
  assert.deepEqual(parseConfig('[DEFAULT]\ntest_path=t\ntop_dir=\n', '.stestr.conf').adapter, { kind: 'python', testPath: 't', topDir: '.', python: process.env['BATON_PYTHON'] ?? 'python3', fork: true });
  assert.deepEqual(parseConfig('[DEFAULT]\ntest_command=run $IDOPTION\ntest_id_option=\ntest_list_option=\n', '.testr.conf').adapter, {
    kind: 'testr',
    testCommand: 'run $IDOPTION',
    testIdOption: undefined,
    testListOption: undefined,
  });
});

test('an INI line that is no setting, section or comment is refused naming its line, as configparser refuses it', () => {
  const refused = (text: string, line: number) =>
    assert.throws(() => parseIni(text, '/p/.stestr.conf'), (e: CliError) => e.code === 'BATON_CLI_BAD_CONFIG' && e.message.startsWith(`/p/.stestr.conf: line ${line} is not a setting (name = value), a [section] or a comment: `));
  refused('[DEFAULT]\n\t:o\ntest_path=t\n', 2);
  refused('[DEFAULT]\ntest_path=t\n= x\n', 3);
  // What a garbage file (here, a binary one) is told: not that test_path is missing.
  refused('\u0000\u0001PK\u0003\u0004garbage\n', 1);
  assert.throws(() => loadProjectConfig(project({ '.stestr.conf': 'just some words\n' })), (e: CliError) => /\.stestr\.conf: line 1 is not a setting .*"just some words"$/.test(e.message));
});

test('the INI reader takes long lines in time linear in their length', () => {
  // 200,000 characters with no '=' or ':' and long runs of spaces: the lazy key pattern
  // it used took over a minute here.
  const line = `a${' '.repeat(100_000)}b${' '.repeat(100_000)}c`;
  assert.throws(() => parseIni(`[DEFAULT]\n${line}\ntest_path=x\n`, 'f'), /^CliError: f: line 2 is not a setting/);
  assert.equal(parseIni(`[DEFAULT]\nk=${line}\ntest_path=x\n`, 'f').get('test_path'), 'x');
});

test('the command line overrides the configuration as stestr\'s options do: --parallel-class over --group-regex over the file', () => {
  const dir = project({ '.stestr.conf': '[DEFAULT]\ntest_path=./t\nparallel_class=true\n' }, ['t', 'other/tests', 'sub']);
  const config = loadProjectConfig(join(dir, 'sub'), { testPath: '../other/tests', topDir: '../other', groupRegex: '^(\\w+)\\.' });
  // Typed relative to the working directory, kept relative to the project's root, where tests run.
  assert.deepEqual(config.adapter.kind === 'python' && [config.adapter.testPath, config.adapter.topDir], ['other/tests', 'other']);
  assert.equal(config.groupRegex, '^(\\w+)\\.', '--group-regex wins over parallel_class=True in the file');
  assert.equal(loadProjectConfig(dir, { groupRegex: 'x', parallelClass: true }).groupRegex, CLASS_GROUP_REGEX);
  assert.equal(loadProjectConfig(dir, { parallelClass: false }).groupRegex, CLASS_GROUP_REGEX, 'no --parallel-class leaves the file\'s');
});

test('--test-path alone describes a Python suite where there is no configuration file, as for stestr', () => {
  const dir = project({}, ['tests']);
  assert.throws(() => loadProjectConfig(dir), (e: CliError) => e.code === 'BATON_CLI_NO_CONFIG' && e.message.endsWith('or give --test-path DIR for a Python unittest suite'));
  assert.throws(() => loadProjectConfig(dir, { topDir: '.' }), (e: CliError) => e.code === 'BATON_CLI_NO_CONFIG');
  const config = loadProjectConfig(dir, { testPath: 'tests' });
  assert.equal(config.root, dir);
  assert.deepEqual(config.adapter, { kind: 'python', testPath: 'tests', topDir: '.', python: process.env['BATON_PYTHON'] ?? 'python3', fork: true });
  assert.equal(config.groupRegex, undefined);
});

test('a command-line directory that is not there, a bad --group-regex, or Python paths for a suite that is not Python are refused', () => {
  const dir = project({ '.stestr.conf': '[DEFAULT]\ntest_path=t\n', f: '' });
  assert.throws(() => loadProjectConfig(dir, { testPath: 'nothere' }), (e: CliError) => e.code === 'BATON_CLI_USAGE' && e.message === `--test-path nothere: ${join(dir, 'nothere')} does not exist`);
  assert.throws(() => loadProjectConfig(dir, { topDir: 'f' }), (e: CliError) => e.code === 'BATON_CLI_USAGE' && e.message === `--top-dir f: ${join(dir, 'f')} is not a directory`);
  assert.throws(() => loadProjectConfig(dir, { groupRegex: '(' }), (e: CliError) => e.code === 'BATON_CLI_USAGE' && e.message.startsWith('--group-regex "(" is not a valid regular expression: '));
  const testr = project({ '.testr.conf': '[DEFAULT]\ntest_command=run\n' });
  assert.throws(() => loadProjectConfig(testr, { testPath: 't', topDir: 't' }), (e: CliError) => e.code === 'BATON_CLI_USAGE' && e.message === `--test-path and --top-dir describe a Python unittest suite, and ${join(testr, '.testr.conf')} runs its tests with a testr command`);
});
