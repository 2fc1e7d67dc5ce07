import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MemoryRepository } from '@baton/store';
import type { CliError } from '../errors.js';
import { tempDir } from '../test-support/run-baton.js';
import { readSelection, selectTests, type SelectionArgs } from './select.js';

const ALL = ['a.T.test_one', 'a.T.test_two', 'a.U.test_one', 'b.V.test_slow', 'b.V.test_fast', 'c.W.test_x'];
const NONE: SelectionArgs = { filters: [], loadList: undefined, failing: false, includeList: undefined, excludeList: undefined, excludeRegex: undefined };

function files(named: Record<string, string>): string {
  const dir = tempDir('baton-select-');
  for (const [name, text] of Object.entries(named)) writeFileSync(join(dir, name), text);
  return dir;
}

const select = (args: Partial<SelectionArgs>, cwd = files({}), repo?: MemoryRepository) => selectTests(ALL, readSelection({ ...NONE, ...args }, cwd), 'default', repo);

describe('selecting tests as stestr does', () => {
  it('keeps every test without a filter, in discovery order', () => {
    assert.deepEqual(select({}), ALL);
  });

  it('an include list adds its lines to the filters: a test any of them matches (searched, not anchored) is kept', () => {
    const cwd = files({ 'include.txt': '# what we keep\n\n  test_slow   # the slow one\nU\\.\n' });
    assert.deepEqual(select({ includeList: 'include.txt' }, cwd), ['a.U.test_one', 'b.V.test_slow']);
    assert.deepEqual(select({ includeList: 'include.txt', filters: ['^c\\.'] }, cwd), ['a.U.test_one', 'b.V.test_slow', 'c.W.test_x']);
  });

  it('an include list of comments only selects everything, as in stestr', () => {
    const cwd = files({ 'include.txt': '# nothing yet\n\n' });
    assert.deepEqual(select({ includeList: 'include.txt' }, cwd), ALL);
  });

  it('exclusions, from a file and from --exclude-regex, take out what any matches, after the filters chose', () => {
    const cwd = files({ 'exclude.txt': 'test_one # flaky on Tuesdays\r\n\r\nb\\.V\\.test_s\n' });
    assert.deepEqual(select({ excludeList: 'exclude.txt' }, cwd), ['a.T.test_two', 'b.V.test_fast', 'c.W.test_x']);
    assert.deepEqual(select({ excludeList: 'exclude.txt', excludeRegex: '^c', filters: ['^[ac]'] }, cwd), ['a.T.test_two']);
    assert.deepEqual(select({ excludeRegex: 'test_' }), []);
  });

  it('--load-list and --failing narrow first; the regular expressions then apply to what is left', () => {
    const repo = new MemoryRepository();
    const run = repo.beginRun({ profile: 'default', start: { seconds: 1, nanos: 0 } });
    repo.recordResults(run, ['a.T.test_one', 'a.U.test_one', 'c.W.test_x'].map((testId) => ({ testId, status: 'fail' as const })));
    const cwd = files({ 'ids.txt': 'a.T.test_one\na.U.test_one\nb.V.test_fast\n' });
    assert.deepEqual(select({ failing: true, loadList: 'ids.txt', excludeRegex: '\\.T\\.' }, cwd, repo), ['a.U.test_one']);
    assert.deepEqual(select({ failing: true, filters: ['W'] }, cwd, repo), ['c.W.test_x']);
  });

  it('a bad regular expression is refused naming where it came from: the file and its line, the option, the filter', () => {
    const cwd = files({ 'exclude.txt': '# fine\nok\n\n  (unclosed  # oops\n', 'include.txt': 'a[\n' });
    const refused = (args: Partial<SelectionArgs>, message: RegExp) =>
      assert.throws(() => readSelection({ ...NONE, ...args }, cwd), (e: CliError) => e.code === 'BATON_CLI_BAD_INPUT' && message.test(e.message), message.source);
    refused({ excludeList: 'exclude.txt' }, /^--exclude-list exclude\.txt: line 4: "\(unclosed" is not a valid regular expression: /);
    refused({ includeList: 'include.txt' }, /^--include-list include\.txt: line 1: "a\[" is not a valid regular expression: /);
    refused({ excludeRegex: '*' }, /^--exclude-regex "\*" is not a valid regular expression: /);
    refused({ filters: ['ok', '+'] }, /^filter "\+" is not a valid regular expression: /);
    assert.throws(() => readSelection({ ...NONE, includeList: 'missing.txt' }, cwd), /^CliError: --include-list missing\.txt: no such file or directory$/);
  });

  it('says what it selected by when it selects nothing', () => {
    const cwd = files({ 'x.txt': 'x\n' });
    assert.equal(readSelection({ ...NONE, filters: ['a', 'b'], includeList: 'x.txt', excludeRegex: 'c' }, cwd).described, '"a" or "b" or --include-list x.txt without what --exclude-regex "c" exclude');
    assert.equal(readSelection(NONE, cwd).described, 'the selection');
  });
});
