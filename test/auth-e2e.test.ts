// A coordinator listening with a token, visited by strangers before its real worker: no
// token, a wrong token, the right token followed by random bytes, and the right token with
// a Hello carrying a wrong one. Each is refused in one line naming its address, the run
// completes on the real worker, and neither secret appears in any output, error or file
// of the repository.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectWebSocket, encodeMessage } from '@baton/protocol';
import { WebSocket } from 'ws';
import { runBaton, startBaton } from './utils/baton-process.js';
import { ALL_MIXED, mixedProject, readJson } from './utils/projects.js';

/** Every file under `dir`, read whole (the SQLite database, its WAL and journal included). */
function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [{ path, bytes: readFileSync(path) }];
  });
}

/** A WebSocket that passed the bearer check and sends `frames`; resolves once the coordinator closed it. */
async function stranger(url: string, token: string, frames: Uint8Array[]): Promise<void> {
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const closed = once(socket, 'close');
  await once(socket, 'open');
  for (const frame of frames) socket.send(frame);
  await closed;
}

test('strangers are refused in one line each naming their address, and no token reaches any output or the repository', async (t) => {
  const dir = mixedProject();
  const token = `right-${randomBytes(16).toString('hex')}`;
  const wrong = `wrong-${randomBytes(16).toString('hex')}`;
  writeFileSync(join(dir, 'token'), `${token}\n`);
  writeFileSync(join(dir, 'wrong'), `${wrong}\n`);
  const coordinator = startBaton(dir, ['coordinator', '--listen', '127.0.0.1:0', '--token-file', 'token', '--json', 'run.json', '--wait', '120']);
  t.after(() => coordinator.child.kill());
  const [, url] = await coordinator.waitFor(/listening for workers at (ws:\/\/\S+)/);

  await assert.rejects(connectWebSocket(url!), /HTTP 401/);
  await coordinator.waitFor(/refused a connection from 127\.0\.0\.1:\d+: it sent no bearer token/);
  const intruder = await runBaton(dir, ['worker', '--connect', url!, '--token-file', 'wrong', '--wait', '5']);
  assert.notEqual(intruder.status, 0, intruder.stderr);
  assert.match(intruder.stderr, /refused this worker's token/);
  await coordinator.waitFor(/refused a connection from 127\.0\.0\.1:\d+: it sent a wrong bearer token/);
  await stranger(url!, token, [Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)]);
  await coordinator.waitFor(/a worker connecting from 127\.0\.0\.1:\d+: expected a Hello first/);
  await stranger(url!, token, [encodeMessage({ msg: 'Hello', min: 1, max: 2, slots: 1, token: wrong })]);
  await coordinator.waitFor(/a worker connecting from 127\.0\.0\.1:\d+: the peer's Hello carries a wrong token/);

  const worker = startBaton(dir, ['worker', '--connect', url!, '--token-file', 'token']);
  t.after(() => worker.child.kill());
  const done = await coordinator.exited;
  const served = await worker.exited;
  assert.equal(done.status, 1, done.stdout + done.stderr);
  assert.equal(served.status, 0, served.stderr);
  assert.equal(readJson(join(dir, 'run.json')).results.length, ALL_MIXED);

  // One line per stranger, each naming where it came from.
  const lines = done.stderr.split('\n');
  assert.equal(lines.filter((l) => /refused a connection from 127\.0\.0\.1:\d+: it sent (no|a wrong) bearer token \(HTTP 401 Unauthorized\)$/.test(l)).length, 2, done.stderr);
  assert.equal(lines.filter((l) => /expected a Hello first/.test(l)).length, 1, done.stderr);
  assert.equal(lines.filter((l) => /Hello carries a wrong token/.test(l)).length, 1, done.stderr);

  const outputs = [done.stdout, done.stderr, served.stdout, served.stderr, intruder.stdout, intruder.stderr].join('\n');
  for (const secret of [token, wrong]) {
    assert.ok(!outputs.includes(secret), 'a token in the output');
    for (const file of [...filesUnder(join(dir, '.baton')), { path: 'run.json', bytes: readFileSync(join(dir, 'run.json')) }]) {
      assert.equal(file.bytes.indexOf(secret), -1, `a token in ${file.path}`);
    }
  }
});
