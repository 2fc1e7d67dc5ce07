// The dashboard's commands as users type them: `baton serve`, `baton run --serve` and
// `baton last --trace`, with what each refuses before it starts anything.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { initRepository } from '@baton/store';
import { makeProject, runBaton, startBaton } from './utils/baton-process.js';
import { mixedProject } from './utils/projects.js';

describe('the dashboard commands', () => {
  test('baton last --trace writes the latest run as a Chrome trace: a track per slot, an event per result', async () => {
    const dir = mixedProject();
    assert.equal((await runBaton(dir, ['run', '-j', '2'])).status, 1);
    const last = await runBaton(dir, ['last', '--trace', 'run.trace.json']);
    assert.equal(last.status, 1, last.stderr);
    assert.match(last.stdout, /tests\.test_mixed\.TestMixed\.test_fails/);
    assert.match(last.stderr, /baton: wrote run 1 as a Chrome trace to run\.trace\.json/);
    const trace = JSON.parse(readFileSync(join(dir, 'run.trace.json'), 'utf8')) as { traceEvents: { ph: string; name: string; tid: number; args: { name?: string; status?: string } }[] };
    const { repository } = initRepository({ cwd: dir, access: 'read' });
    const spans = repository.spans(1);
    repository.close();
    const slots = [...new Set(spans.map((s) => s.worker))].sort();
    assert.deepEqual(trace.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.args.name), slots);
    const complete = trace.traceEvents.filter((e) => e.ph === 'X');
    assert.deepEqual(complete.map((e) => e.name).sort(), spans.map((s) => s.testId).sort());
    assert.equal(complete.find((e) => e.name.endsWith('test_fails'))?.args.status, 'fail');
    assert.equal((await runBaton(dir, ['last', '--json', '--trace', 'x.json'])).status, 2, '--trace goes with one profile\'s run, not --json');
  });

  test('baton serve refuses to reach beyond loopback without a token, a bad address, a taken port, and no repository', async () => {
    const dir = makeProject({});
    const none = await runBaton(dir, ['serve', '--listen', '127.0.0.1:0']);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /baton init/);
    assert.equal((await runBaton(dir, ['init'])).status, 0);
    const open = await runBaton(dir, ['serve', '--listen', '0.0.0.0:0']);
    assert.equal(open.status, 2);
    assert.match(open.stderr, /listening on 0\.0\.0\.0 reaches beyond this machine: give a shared secret with --token-file/);
    const bad = await runBaton(dir, ['serve', '--listen', 'here']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /takes HOST:PORT/);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const busy = await runBaton(dir, ['serve', '--listen', `127.0.0.1:${port}`]);
      assert.equal(busy.status, 2);
      assert.match(busy.stderr, new RegExp(`cannot serve the dashboard on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    } finally {
      taken.close();
    }
  });

  test('baton run --serve beyond loopback without a token is refused before anything runs', async () => {
    const dir = mixedProject();
    const run = await runBaton(dir, ['run', '-j', '1', '--serve', '0.0.0.0:0']);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /reaches beyond this machine/);
    assert.equal(existsSync(join(dir, '.baton')), false, 'nothing recorded');
  });

  test('baton serve with a token answers only requests that present it, and never prints it', async () => {
    const dir = makeProject({});
    assert.equal((await runBaton(dir, ['init'])).status, 0);
    const secret = 'd3adb33f-dashboard-secret-0123456789';
    writeFileSync(join(dir, 'token'), `${secret}\n`);
    const serve = startBaton(dir, ['serve', '--listen', '127.0.0.1:0', '--token-file', 'token']);
    try {
      const [, url] = await serve.waitFor(/dashboard at (http:\/\/\S+\/) \(open it with \?token=/);
      assert.equal((await fetch(new URL('api/info', url))).status, 401);
      const ok = await fetch(new URL('api/info', url), { headers: { authorization: `Bearer ${secret}` } });
      assert.equal(ok.status, 200);
      assert.deepEqual(((await ok.json()) as { runs: number }).runs, 0);
      await serve.waitFor(/refused a dashboard request from 127\.0\.0\.1: no token/);
    } finally {
      serve.child.kill('SIGTERM');
    }
    const end = await serve.exited;
    assert.equal(end.status, 0, end.stderr);
    assert.ok(!end.stderr.includes(secret) && !end.stdout.includes(secret), 'the secret is never printed');
  });
});
