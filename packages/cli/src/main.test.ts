import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CliIo } from './context.js';
import { main } from './main.js';
import { tempDir } from './test-support/run-baton.js';

function io(cwd: string) {
  const out = { stdout: '', stderr: '' };
  const value: CliIo = {
    stdout: { write: (s) => (out.stdout += String(s)) },
    stderr: { write: (s) => (out.stderr += String(s)) },
    stdin: Object.assign((async function* () {})(), { isTTY: true }),
    cwd,
    now: () => 0,
  };
  return { io: value, out };
}

describe('main', () => {
  it('runs a command in-process and returns its status, without exiting', async () => {
    const dir = tempDir('baton-main-');
    const { io: a, out } = io(dir);
    assert.equal(await main(['init'], a), 0);
    assert.equal(out.stdout, `Initialised an empty baton repository: ${join(dir, '.baton', 'baton.db')}\n`);
    const { io: b, out: outB } = io(dir);
    assert.equal(await main(['last'], b), 2);
    assert.equal(outB.stderr, 'baton: profile default has no runs yet; `baton load` records one\n');
  });

  it('refuses `baton load` with nothing to read: no files and a terminal on stdin', async () => {
    const { io: a, out } = io(tempDir('baton-main-'));
    assert.equal(await main(['load'], a), 2);
    assert.equal(out.stderr, 'baton: no input: name subunit files or a .stestr/ directory, or pipe a stream into `baton load -`\n');
  });

  it('prints help and the version to stdout', async () => {
    const { io: a, out } = io(tmpdir());
    assert.equal(await main(['--help'], a), 0);
    assert.match(out.stdout, /^baton <command> \[options\]\n/);
    const { io: b, out: outB } = io(tmpdir());
    assert.equal(await main(['--version'], b), 0);
    assert.equal(outB.stdout, '0.1.0\n');
  });
});
