// stestr's output options on real runs of a real Python suite (test/fixtures/python-output:
// one test of each outcome, some printing), read as a user reads them: from a pipe, and
// from a terminal (a pty made by util-linux's `script`), with NO_COLOR and FORCE_COLOR.
// The per-test lines and characters are held to what Debian's stestr subunit-trace
// prints from the same run's subunit stream.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import { tempDir } from '../packages/cli/src/test-support/run-baton.js';
import { BATON_BIN, startBaton, type Finished } from './utils/baton-process.js';
import { DEBIAN_PYTHON, runTool } from './utils/python-tools.js';

const T = 'tests.test_output.Outcomes.';
const RED_FAIL = '\x1b[31;1mFAIL\x1b[0m';
const ESC = /\x1b\[/;

function outputProject(): string {
  const dir = tempDir('baton-output-');
  cpSync(fileURLToPath(new URL('fixtures/python-output', import.meta.url)), dir, { recursive: true });
  return dir;
}

/** `baton ARGS` in `dir` with `env` added, its output piped (no terminal). */
async function baton(dir: string, args: readonly string[], env: Record<string, string> = {}): Promise<Finished> {
  const running = startBaton(dir, args, env);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), 120_000);
  try {
    return await running.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** `baton ARGS` on a terminal: a pty of util-linux's `script`; what it shows (stdout and stderr), with `\r\n` as `\n`. */
function onTerminal(dir: string, args: readonly string[], env: Record<string, string> = {}): Promise<{ status: number | null; shown: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, BATON_BIN, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: dir, env: { ...process.env, TERM: 'xterm', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    let shown = '';
    child.stdout.on('data', (d: Buffer) => (shown += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (shown += d.toString('utf8')));
    child.on('error', (error) => reject(new Error(`cannot run util-linux's script (${error.message}); Debian's bsdutils has it`)));
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, shown: shown.replace(/\r\n/g, '\n') });
    });
  });
}

/** What Debian's stestr subunit-trace prints from a stream (`-n`: failures' details are not printed inline). */
function subunitTrace(stream: Uint8Array, ...options: string[]): string {
  const r = runTool(DEBIAN_PYTHON, ['-m', 'stestr.subunit_trace', '--no-summary', ...options], stream);
  assert.equal(r.stderr, '');
  return r.stdout.toString('utf8');
}

/** The per-test lines of subunit-trace output, their durations blanked (baton times a test to the nanosecond, python-subunit to the microsecond). */
function traceLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^\{\d+\} /.test(l))
    .map((l) => l.replace(/ \[\d+\.\d{6}s\] /, ' [-] '))
    .sort();
}

describe('stestr output options, end to end', () => {
  let dir: string;
  before(() => {
    dir = outputProject();
  });

  test('--verbose: the lines subunit-trace prints from the run\'s own stream, a passing test\'s stdout and stderr below its line, failures in full at the end, no colour in a pipe', async () => {
    const r = await baton(dir, ['run', '-j', '2', '--verbose', '--subunit']);
    assert.equal(r.status, 1, r.stderr);
    const lines = traceLines(r.stderr);
    assert.equal(lines.length, 7, r.stderr);
    assert.deepEqual(lines, traceLines(subunitTrace(r.stdoutBytes, '-n')));
    assert.match(r.stderr, /\n\{\d\} tests\.test_output\.Outcomes\.test_skips \.\.\. SKIPPED: not on this machine\n/);
    assert.match(r.stderr, /\n\{\d\} tests\.test_output\.Outcomes\.test_passes_printing \[\d\.\d{6}s\] \.\.\. ok\n\nCaptured stdout:\n~{16}\n {4}said on stdout by a passing test\n\n\nCaptured stderr:\n~{16}\n {4}said on stderr by a passing test\n\n/);
    assert.doesNotMatch(r.stderr, /False is not true/, "an expected failure's traceback is not output: --all-attachments shows it");
    assert.match(r.stderr, /\nFAIL: tests\.test_output\.Outcomes\.test_fails {2}\[local\/\d, [\d.]+ s\]\n-+\n {2}traceback:\n(.*\n)* {2}stdout:\n {4}said on stdout by a failing test\n/);
    assert.doesNotMatch(r.stderr, ESC);
    assert.match(r.stderr, /\nSlowest 7 tests:\n/, 'the slowest tests, by default');
  });

  test('--abbreviate: the characters subunit-trace --abbreviate prints from the run\'s own stream, on one line', async () => {
    const r = await baton(dir, ['run', '-j', '2', '--abbreviate', '--subunit']);
    assert.equal(r.status, 1, r.stderr);
    const chars = r.stderr.split('\n').filter((l) => /^[.FS]+$/.test(l));
    assert.deepEqual(chars, [subunitTrace(r.stdoutBytes, '--abbreviate').trim()]);
    assert.deepEqual([...chars[0]!].sort().join(''), '...FFFS');
    assert.doesNotMatch(r.stderr, /\n(FAIL|UNEXPECTED SUCCESS) tests\./, 'no line per failure as it happens');
  });

  test('--verbose --all-attachments shows an expected failure\'s traceback too; --suppress-attachments no passing test\'s output, while failures keep theirs', async () => {
    const all = await baton(dir, ['run', '-j', '2', '--verbose', '--all-attachments']);
    assert.equal(all.status, 1, all.stderr);
    assert.match(all.stdout, /\n\{\d\} tests\.test_output\.Outcomes\.test_fails_as_expected \[\d\.\d{6}s\] \.\.\. ok\n\nCaptured traceback:\n~{19}\n {4}Traceback \(most recent call last\):\n(.*\n)* {4}AssertionError: False is not true : expected to fail\n/);
    assert.match(all.stdout, /Captured stdout:\n~+\n {4}said on stdout by a passing test\n/);
    const none = await baton(dir, ['run', '-j', '2', '--verbose', '--suppress-attachments']);
    assert.equal(none.status, 1, none.stderr);
    assert.equal(traceLines(none.stdout).length, 7);
    assert.doesNotMatch(none.stdout, /Captured|said on std(out|err) by a passing test/);
    assert.match(none.stdout, / {2}stdout:\n {4}said on stdout by a failing test\n/);
  });

  test('without --verbose, passing tests say nothing unless --all-attachments; --no-slowest leaves the slowest tests out; --color colours a pipe', async () => {
    const quiet = await baton(dir, ['run', '-j', '2']);
    assert.equal(quiet.status, 1, quiet.stderr);
    assert.doesNotMatch(quiet.stdout, /by a passing test|\{\d\} /);
    assert.match(quiet.stdout, /\nFAIL tests\.test_output\.Outcomes\.test_errors \(local\/\d, [\d.]+ s\)\n/);
    const all = await baton(dir, ['run', '-j', '2', '--all-attachments', '--no-slowest', '--color']);
    assert.equal(all.status, 1, all.stderr);
    assert.match(all.stdout, /\n\x1b\[32;1mSUCCESS\x1b\[0m tests\.test_output\.Outcomes\.test_passes_printing \(local\/\d, [\d.]+ s\)\n {2}stdout:\n {4}said on stdout by a passing test\n {2}stderr:\n {4}said on stderr by a passing test\n/);
    assert.match(all.stdout, /\n\x1b\[32;1mXFAIL\x1b\[0m tests\.test_output\.Outcomes\.test_fails_as_expected /);
    assert.doesNotMatch(all.stdout, /Slowest/);
    assert.match(all.stdout, new RegExp(`\\n${RED_FAIL.replace(/\[/g, '\\[')}: ${T}test_errors {2}\\[`), 'a coloured failure heading');
    assert.match(all.stdout, /\n\x1b\[31;1mFAILED\x1b\[0m \(run \d+, exit status 1\)\n$/, 'a coloured verdict');
  });

  test('on a terminal: the live block and colour; NO_COLOR, FORCE_COLOR=0 and --no-color take the colour away, not the live block', async () => {
    const plainly = (shown: string) => shown.replace(/\x1b\[\d+A\x1b\[J/g, '');
    const coloured = await onTerminal(dir, ['run', '-j', '2']);
    assert.equal(coloured.status, 1, coloured.shown);
    assert.match(coloured.shown, /\x1b\[\d+A\x1b\[J/, 'the live block was drawn and erased');
    assert.match(coloured.shown, /\n\d\/7 done, \d failed, \d skipped, \d running, /);
    assert.ok(coloured.shown.includes(`\n${RED_FAIL}: ${T}test_errors  [`), coloured.shown);
    assert.match(coloured.shown, /\x1b\[31;1mFAILED\x1b\[0m \(run \d+, exit status 1\)\n$/);
    for (const env of [{ NO_COLOR: '1' }, { FORCE_COLOR: '0' }] as Record<string, string>[]) {
      const r = await onTerminal(dir, ['run', '-j', '2'], env);
      assert.equal(r.status, 1, r.shown);
      assert.match(r.shown, /\n\d\/7 done, /, `the live block under ${JSON.stringify(env)}`);
      assert.doesNotMatch(plainly(r.shown), ESC, JSON.stringify(env));
    }
    const flagged = await onTerminal(dir, ['last', '--no-color']);
    assert.equal(flagged.status, 1);
    assert.match(flagged.shown, new RegExp(`^FAIL: ${T}`, 'm'));
    assert.doesNotMatch(flagged.shown, ESC);
    const emptyNoColour = await onTerminal(dir, ['failing'], { NO_COLOR: '' });
    assert.ok(emptyNoColour.shown.includes(`${RED_FAIL}: ${T}test_errors\n`), 'an empty NO_COLOR is no NO_COLOR');
    assert.ok(emptyNoColour.shown.endsWith('\x1b[31;1m3 failing tests\x1b[0m (default)\n'), emptyNoColour.shown);
  });

  test('in a pipe: FORCE_COLOR colours (over NO_COLOR), --no-color wins over it, --color over FORCE_COLOR=0', async () => {
    const forced = await baton(dir, ['run', '-j', '2', '--abbreviate'], { FORCE_COLOR: '1', NO_COLOR: '1' });
    assert.equal(forced.status, 1, forced.stderr);
    assert.match(forced.stdout, /\n((\x1b\[(31|32|34);1m[.FS]\x1b\[0m){7})\n/, 'seven coloured characters');
    const cases: [string[], Record<string, string>, boolean][] = [
      [['last'], { FORCE_COLOR: '1' }, true],
      [['last', '--no-color'], { FORCE_COLOR: '1' }, false],
      [['last', '--color'], { FORCE_COLOR: '0' }, true],
      [['last'], {}, false],
      [['failing', '--color'], { NO_COLOR: '1' }, true],
      [['history', 'show', '--verbose'], { FORCE_COLOR: 'true' }, true],
    ];
    for (const [args, env, coloured] of cases) {
      const r = await baton(dir, args, env);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stdout.includes(`${RED_FAIL}: ${T}test_errors\n`), coloured, `${args.join(' ')} with ${JSON.stringify(env)}:\n${r.stdout}`);
      assert.equal(ESC.test(r.stdout), coloured);
    }
  });

  test('last --verbose and --abbreviate show the recorded run as the run showed it; --verbose and --abbreviate together are refused', async () => {
    const run = await baton(dir, ['run', '-j', '2', '--verbose']);
    assert.equal(run.status, 1, run.stderr);
    const last = await baton(dir, ['last', '--verbose']);
    assert.equal(last.status, 1, last.stderr);
    assert.deepEqual(traceLines(last.stdout), traceLines(run.stdout));
    assert.match(last.stdout, /\.\.\. ok\n\nCaptured stdout:\n~+\n {4}said on stdout by a passing test\n/);
    assert.match(last.stdout, new RegExp(`\\nFAIL: ${T}test_fails\\n {2}traceback:\\n`));
    assert.match(last.stdout, /\nRun \d+ \(default\) started .*: 2 passed, 2 failed, 1 unexpectedly passed, 1 skipped, 1 expected failure\n$/);
    const abbreviated = await baton(dir, ['last', '--abbreviate']);
    assert.equal(abbreviated.status, 1);
    assert.deepEqual([...abbreviated.stdout.split('\n')[0]!].sort().join(''), '...FFFS');
    for (const args of [['run', '--verbose', '--abbreviate'], ['last', '--all-attachments', '--suppress-attachments']]) {
      const refused = await baton(dir, args);
      assert.equal(refused.status, 2, args.join(' '));
      assert.match(refused.stderr, /^baton: --\S+ and --\S+ cannot be used together\n/);
    }
  });
});
