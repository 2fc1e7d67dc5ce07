// baton against the real Python tools: it imports what Debian's stestr 3.2.1 stores
// (subunit v1 run files), and python-subunit's subunit-ls, subunit-stats and
// subunit2junitxml read what baton writes.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { baton, tempDir } from '../packages/cli/src/test-support/run-baton.js';

const TESTS = `import unittest

class T(unittest.TestCase):
    def test_ok(self):
        pass

    def test_fail(self):
        print("captured stdout")
        self.assertEqual(1, 2)

    def test_skip(self):
        self.skipTest("not today")
`;

/** Pipes `input` through a python-subunit filter and returns its stdout. */
function filter(tool: string, args: string[], input: Buffer): string {
  const r = spawnSync(tool, args, { input });
  assert.equal(r.error, undefined);
  return r.stdout.toString('utf8');
}

describe('interop with stestr and python-subunit', () => {
  let dir = '';
  before(() => {
    dir = tempDir('baton-stestr-');
    mkdirSync(join(dir, 'pkg'));
    writeFileSync(join(dir, 'pkg', '__init__.py'), '');
    writeFileSync(join(dir, 'pkg', 'test_demo.py'), TESTS);
    writeFileSync(join(dir, '.stestr.conf'), '[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n');
    execFileSync('stestr', ['init'], { cwd: dir });
    // stestr exits 1 because a test fails; the runs are stored all the same.
    spawnSync('stestr', ['run'], { cwd: dir });
    spawnSync('stestr', ['run'], { cwd: dir });
  });

  it('imports a .stestr/ directory (subunit v1 run files) run by run, creating the repository, and skips it the second time', () => {
    const load = baton(dir, ['load', '.stestr', '--json']);
    assert.equal(load.status, 1);
    assert.equal(load.stderr, `baton: created a repository in ${join(dir, '.baton')}\n`);
    const report = JSON.parse(load.stdout);
    assert.deepEqual(report.runs.map((r: { input: string; counts: unknown }) => [r.input, r.counts]), [
      ['.stestr/0', { success: 1, fail: 1, skip: 1 }],
      ['.stestr/1', { success: 1, fail: 1, skip: 1 }],
    ]);
    assert.equal(baton(dir, ['load', '.stestr']).stdout, 'Skipped 2 runs already loaded or empty\n');
    const history = JSON.parse(baton(dir, ['history', 'pkg.test_demo.T.test_ok', '--json']).stdout);
    assert.equal(history.profiles.default.results.length, 2);
    assert.ok(history.profiles.default.estimate > 0);
  });

  it('writes `last --subunit` that subunit-ls and subunit-stats read as stestr\'s own stream', () => {
    const ours = baton(dir, ['last', '--subunit']).stdoutBytes;
    const theirs = execFileSync('stestr', ['last', '--subunit'], { cwd: dir });
    assert.equal(filter('subunit-ls', [], ours), filter('subunit-ls', [], theirs));
    // stestr ran the tests on two workers, so their order varies from run to run.
    assert.deepEqual(filter('subunit-ls', [], ours).trim().split('\n').sort(), ['pkg.test_demo.T.test_fail', 'pkg.test_demo.T.test_ok', 'pkg.test_demo.T.test_skip']);
    assert.match(filter('subunit-stats', [], ours), /Total tests:\s+3\nPassed tests:\s+1\nFailed tests:\s+1\nSkipped tests:\s+1\n/);
  });

  it('writes `failing --subunit` that subunit2junitxml turns into a failure with its traceback', () => {
    const xml = filter('subunit2junitxml', [], baton(dir, ['failing', '--subunit']).stdoutBytes);
    assert.match(xml, /<testsuite errors="0" failures="1" name="" tests="1"/);
    assert.match(xml, /<testcase classname="pkg.test_demo.T" name="test_fail"/);
    assert.match(xml, /AssertionError: 1 != 2/);
  });
});
