// `baton coordinator` with `baton worker`s that connect, and `baton run` dialling
// listening workers: real processes, real WebSockets on loopback, tokens and TLS.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeProject, runBaton, startBaton, STESTR_CONF, unittestModule } from './utils/baton-process.js';
import { ALL_MIXED, killerProject, killerResult, mixedProject, readJson } from './utils/projects.js';

describe('baton coordinator with workers that connect', () => {
  test('workers dial in with the token; a wrong token and another checkout are refused with clear messages', async () => {
    const dir = mixedProject();
    writeFileSync(join(dir, 'token'), 'a-shared-secret-of-enough-length\n');
    writeFileSync(join(dir, 'wrong'), 'not-the-secret-at-all-no-no-no\n');
    const coordinator = startBaton(dir, ['coordinator', '--listen', '127.0.0.1:0', '--token-file', 'token', '--min-workers', '2', '--wait', '60', '--json', 'run.json']);
    const [, url] = await coordinator.waitFor(/listening for workers at (ws:\/\/\S+)/);
    const intruder = await runBaton(dir, ['worker', '--connect', url!, '--token-file', 'wrong', '--wait', '5']);
    assert.notEqual(intruder.status, 0);
    assert.match(intruder.stderr, /refused this worker's token/);
    assert.doesNotMatch(intruder.stderr + (await Promise.race([coordinator.exited.then((f) => f.stderr), Promise.resolve('')])), /a-shared-secret/);

    // Another checkout: the same project with one more test.
    const other = mixedProject();
    writeFileSync(join(other, 'tests/test_extra.py'), unittestModule('TestExtra', { test_new: 'pass' }));
    writeFileSync(join(other, 'token'), 'a-shared-secret-of-enough-length\n');
    const stranger = await runBaton(other, ['worker', '--connect', url!, '--token-file', 'token']);
    assert.notEqual(stranger.status, 0);
    assert.match(stranger.stderr, /lists different tests than the coordinator/);

    const workers = [0, 1].map(() => startBaton(dir, ['worker', '--connect', url!, '--token-file', 'token', '--slots', '1']));
    const done = await coordinator.exited;
    assert.equal(done.status, 1, done.stdout + done.stderr);
    assert.match(done.stdout, /refused worker .*lists different tests than the coordinator/);
    const report = readJson(join(dir, 'run.json'));
    assert.equal(report.results.length, ALL_MIXED);
    assert.equal(new Set(report.results.map((r) => r.worker.split('/')[0])).size, 2, 'both workers ran tests');
    for (const w of workers) assert.equal((await w.exited).status, 0);
  });

  test('a worker that starts after its coordinator finished fails (exit 3), or with --absent-ok takes it as finished (exit 0)', async () => {
    const dir = mixedProject();
    const coordinator = startBaton(dir, ['coordinator', '--listen', '127.0.0.1:0']);
    const [, url] = await coordinator.waitFor(/listening for workers at (ws:\/\/\S+)/);
    const worker = startBaton(dir, ['worker', '--connect', url!]);
    assert.equal((await coordinator.exited).status, 1);
    assert.equal((await worker.exited).status, 0);

    const late = await runBaton(dir, ['worker', '--connect', url!, '--wait', '0']);
    assert.equal(late.status, 3, late.stderr);
    assert.match(late.stderr, /no coordinator accepted a connection at ws:\/\/127\.0\.0\.1:\d+\/baton\/rpc within 0 s/);
    const tolerated = await runBaton(dir, ['worker', '--connect', url!, '--wait', '0', '--absent-ok']);
    assert.equal(tolerated.status, 0, tolerated.stderr);
    assert.match(tolerated.stderr, /^baton worker: no coordinator answered at ws:\/\/127\.0\.0\.1:\d+\/baton\/rpc within 0 s \(last error: .+\): taking it as finished \(--absent-ok\)$/m);
    const misplaced = await runBaton(dir, ['worker', '--listen', '127.0.0.1:0', '--absent-ok']);
    assert.equal(misplaced.status, 2);
    assert.match(misplaced.stderr, /--absent-ok goes with --connect URL/);
  });

  test('wss: a coordinator with --tls-cert/--tls-key and a worker that trusts its certificate', async () => {
    const dir = mixedProject();
    writeFileSync(join(dir, 'token'), 'another-shared-secret-long-enough\n');
    const cert = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir });
    assert.equal(cert.status, 0, cert.stderr?.toString());
    const coordinator = startBaton(dir, ['coordinator', '--listen', '127.0.0.1:0', '--token-file', 'token', '--tls-cert', 'cert.pem', '--tls-key', 'key.pem', '--json', 'run.json']);
    const [, url] = await coordinator.waitFor(/listening for workers at (wss:\/\/\S+)/);
    const worker = startBaton(dir, ['worker', '--connect', url!, '--token-file', 'token', '--slots', '2'], { NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') });
    const done = await coordinator.exited;
    assert.equal(done.status, 1, done.stdout + done.stderr);
    assert.equal(readJson(join(dir, 'run.json')).results.length, ALL_MIXED);
    assert.equal((await worker.exited).status, 0);
  });

  test('a worker told to stop (SIGTERM) leaves gracefully: its unstarted tests run elsewhere, nothing is lost', async () => {
    const methods: Record<string, string> = {};
    // Each test leaves a marker when it starts, so the test knows work is under way.
    for (let i = 0; i < 12; i++) methods[`test_${String(i).padStart(2, '0')}`] = `open(os.path.join(os.environ['MARKERS'], 'started-${i}'), 'w').close()\ntime.sleep(0.4)`;
    const dir = makeProject({ '.stestr.conf': STESTR_CONF, 'tests/__init__.py': '', 'tests/test_l.py': unittestModule('TestL', methods) });
    const markers = join(dir, 'markers');
    mkdirSync(markers);
    writeFileSync(join(dir, 'token'), 'leave-gracefully-secret-1234\n');
    const coordinator = startBaton(dir, ['coordinator', '--listen', '127.0.0.1:0', '--token-file', 'token', '--min-workers', '2', '--json', 'run.json']);
    const [, url] = await coordinator.waitFor(/listening for workers at (ws:\/\/\S+)/);
    const env = { MARKERS: markers };
    const leaver = startBaton(dir, ['worker', '--connect', url!, '--token-file', 'token', '--name', 'leaver'], env);
    const stayer = startBaton(dir, ['worker', '--connect', url!, '--token-file', 'token', '--name', 'stayer'], env);
    await coordinator.waitFor(/worker leaver joined/);
    for (let i = 0; readdirSync(markers).length === 0; i++) {
      assert.ok(i < 400, 'a test started');
      await new Promise((r) => setTimeout(r, 25));
    }
    leaver.child.kill('SIGTERM');
    const left = await leaver.exited;
    assert.equal(left.status, 0, left.stderr);
    assert.match(left.stderr, /SIGTERM: leaving once the running tests finish/);
    const done = await coordinator.exited;
    assert.equal(done.status, 0, done.stdout + done.stderr);
    assert.doesNotMatch(done.stdout, /lost worker/);
    const report = readJson(join(dir, 'run.json'));
    assert.equal(report.results.length, 12);
    assert.equal(new Set(report.results.map((r) => r.id)).size, 12);
    assert.ok(report.results.every((r) => r.status === 'success'));
    const byLeaver = report.results.filter((r) => r.worker.startsWith('leaver')).length;
    assert.ok(byLeaver >= 1 && byLeaver < 12, `the leaver ran ${byLeaver} tests, the stayer the rest`);
    assert.equal((await stayer.exited).status, 0);
  });

  test('a worker that dies mid-test: the test is recorded lost naming the worker, the rest run elsewhere, exit 3', async () => {
    // Kills the worker process hosting it (the first node process up from the test
    // server, which may be a fork server's child): a worker lost mid-run, as when a CI
    // machine vanishes.
    const dir = killerProject(
      'test_kills_its_worker',
      [
        'p = os.getppid()',
        "while b'node' not in open('/proc/%d/cmdline' % p, 'rb').read(): p = int(open('/proc/%d/stat' % p).read().rsplit(')', 1)[1].split()[1])",
        'os.kill(p, signal.SIGKILL)',
        'time.sleep(5)',
      ].join('\n'),
    );
    const coordinator = startBaton(dir, ['coordinator', '--listen', '127.0.0.1:0', '--min-workers', '3', '--json', 'run.json']);
    const [, url] = await coordinator.waitFor(/listening for workers at (ws:\/\/\S+)/);
    // The worker may die before it forwards the start (or the previous result), so the
    // coordinator can blame the wrong test once and send the killer on; it is recorded
    // lost at its second worker at the latest. Three workers leave one standing.
    for (const name of ['w0', 'w1', 'w2']) startBaton(dir, ['worker', '--connect', url!, '--name', name]);
    const run = await coordinator.exited;
    assert.equal(run.status, 3, run.stdout + run.stderr);
    const report = readJson(join(dir, 'run.json'));
    const victim = killerResult(report);
    assert.equal(victim.infrastructure, 'lost');
    assert.match(victim.attachments[0]!.text ?? '', /worker w[012]\/0 was lost/);
    const lost = report.results.filter((r) => r.infrastructure === 'lost');
    assert.ok(lost.length <= 2, 'at most one innocent test blamed');
    assert.ok(report.results.filter((r) => r.infrastructure === undefined).every((r) => r.status === 'success'));
    assert.match(run.stdout, /lost worker w[012]/);
    assert.match(run.stdout, /infrastructure problem: worker w[012]\/0 was lost while running tests\./);
  });

  test('a coordinator dials workers that listen (a fixed fleet)', async () => {
    const dir = mixedProject();
    const worker = startBaton(dir, ['worker', '--listen', '127.0.0.1:0', '--slots', '2']);
    const [, url] = await worker.waitFor(/waiting for a coordinator at (ws:\/\/\S+)/);
    const run = await runBaton(dir, ['run', '-j', '0', '--worker', url!, '--json', 'run.json']);
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.equal(readJson(join(dir, 'run.json')).results.length, ALL_MIXED);
    worker.child.kill('SIGTERM');
    await worker.exited;
  });
});
