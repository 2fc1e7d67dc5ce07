// What became of a run, from its writer: this process, a process that has exited (a real
// child, waited for), and a process on another host.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { test } from 'node:test';
import type { StoredRun } from './types.js';
import { runState, thisProcess, writerAlive } from './writer.js';

const run = (fields: Partial<StoredRun>): StoredRun => ({
  id: 1, profile: 'default', start: { seconds: 1_700_000_000, nanos: 0 }, stop: undefined, source: undefined,
  selectionDigest: undefined, planDigest: undefined, workers: undefined, known: undefined, exitStatus: undefined,
  writer: undefined, complete: false, partial: false, lowerBound: undefined, counts: {}, ...fields,
});

test('a run is running while its writer lives here, stopped once it is gone, elsewhere on another host, finished once complete', () => {
  const gone = spawnSync(process.execPath, ['-e', '']);
  assert.equal(gone.status, 0);
  const dead = { host: hostname(), pid: gone.pid! };
  assert.equal(writerAlive(thisProcess()), true);
  assert.equal(writerAlive(dead), false);
  assert.equal(writerAlive({ host: `not-${hostname()}`, pid: process.pid }), undefined, 'another host cannot be asked');

  assert.equal(runState(run({ writer: thisProcess() })), 'running');
  assert.equal(runState(run({ writer: dead })), 'stopped');
  assert.equal(runState(run({ writer: { host: `not-${hostname()}`, pid: 1 } })), 'elsewhere');
  assert.equal(runState(run({})), 'stopped', 'a run recorded before writers were kept, never finished');
  assert.equal(runState(run({ writer: dead, complete: true, stop: { seconds: 1_700_000_009, nanos: 0 } })), 'finished');
});
