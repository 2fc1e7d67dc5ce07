// Every endpoint of the API, over HTTP, against a real SQLite repository holding runs
// recorded the way the coordinator records them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteRepository, thisProcess, type ResultInput } from '@baton/store';
import { startDashboard, type Dashboard } from './server.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-dashboard-'));
const T0 = 1_700_000_000;
const at = (seconds: number) => ({ seconds: T0 + Math.floor(seconds), nanos: Math.round((seconds % 1) * 1e9) });
const text = (name: string, body: string) => ({ name, mimeType: 'text/plain;charset=utf8', content: new TextEncoder().encode(body) });
const result = (testId: string, status: ResultInput['status'], start: number, stop: number, worker: string, extra: Partial<ResultInput> = {}): ResultInput =>
  ({ testId, status, start: at(start), stop: at(stop), worker, ...extra });

let repo: SqliteRepository;
let dashboard: Dashboard;
const runs: number[] = [];

/** GET (or another method) on the dashboard: status, headers and the parsed JSON body. */
async function get(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(new URL(path, dashboard.url), { redirect: 'manual', ...init });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, headers: res.headers, body: type.startsWith('application/json') ? await res.json() : await res.text() };
}

async function refused(path: string, status: number, code: string, pattern: RegExp): Promise<void> {
  const r = await get(path);
  assert.equal(r.status, status, `${path}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error.code, code);
  assert.match(r.body.error.message, pattern);
}

before(async () => {
  repo = SqliteRepository.open(join(dir, 'baton.db'));
  // Run 1: two slots; t.slow holds the tail, t.hang timed out (its test server restarted).
  const r1 = repo.beginRun({ profile: 'py311', start: at(0) });
  repo.recordResults(r1, [
    result('t.a', 'success', 0.1, 1.1, 'h/0'),
    result('t.slow', 'success', 0.1, 4.1, 'h/1'),
    result('t.b', 'fail', 1.1, 1.6, 'h/0', { attachments: [text('traceback', 'AssertionError: 1 != 2')] }),
    result('t.hang', 'fail', 1.6, 2.6, 'h/0', { attachments: [text('baton-timeout', 'killed after 1 s')] }),
    result('t.skip', 'skip', 2.6, 2.7, 'h/10'),
  ]);
  // h/10 took t.skip from h/0 (a steal) onto a fresh test server; no test followed t.hang's restart.
  repo.recordProcessStarts(r1, [{ worker: 'h/10', cause: 'fresh', asked: at(2.5), ready: at(2.506), from: at(2.6) }]);
  repo.finishRun(r1, { stop: at(4.5), exitStatus: 1 });
  // Run 2: t.b passes now (so it flipped), t.a fails.
  const r2 = repo.beginRun({ profile: 'py311', start: at(100) });
  repo.recordResults(r2, [
    result('t.a', 'fail', 100, 101, 'h/0'),
    result('t.b', 'success', 100, 100.5, 'h/1'),
    result('t.slow', 'success', 101, 103, 'h/0'),
  ]);
  // Its coordinator's bound, with the run's groups as units: t.a and t.slow shared a process.
  repo.finishRun(r2, { stop: at(104), exitStatus: 1, lowerBound: 3 });
  // Run 3, another profile, still being recorded (by this process).
  const r3 = repo.beginRun({ profile: 'py312', start: at(200), writer: thisProcess() });
  repo.recordResults(r3, [result('t.a', 'success', 200, 201, 'h/0')]);
  runs.push(r1, r2, r3);
  dashboard = await startDashboard({ host: '127.0.0.1', port: 0, repository: repo });
});

after(async () => {
  await dashboard.close();
  repo.close();
  rmSync(dir, { recursive: true });
});

describe('the dashboard API', () => {
  it('/api/info says what the repository holds and that no run is watched', async () => {
    const r = await get('/api/info');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { live: false, runs: 3, results: 9, tests: 5, profiles: ['py311', 'py312'], latestRun: { id: runs[2], profile: 'py312' } });
    assert.match(r.headers.get('content-type')!, /^application\/json/);
    await refused('/api/info?x=1', 400, 'BATON_DASHBOARD_BAD_PARAM', /\/api\/info takes no query parameters, not "x"/);
  });

  it('/api/profiles lists the profiles with their runs and failing tests', async () => {
    const r = await get('/api/profiles');
    assert.deepEqual(r.body.profiles.map((p: any) => [p.name, p.runs, p.failing]), [['py311', 2, 2], ['py312', 1, 0]]);
  });

  it('/api/runs pages runs newest first, with a cursor to the next page', async () => {
    const first = await get('/api/runs?limit=2');
    assert.deepEqual(first.body.runs.map((r: any) => r.id), [runs[2], runs[1]]);
    assert.equal(first.body.next, runs[1]);
    const second = await get(`/api/runs?limit=2&before=${first.body.next}`);
    assert.deepEqual(second.body.runs.map((r: any) => r.id), [runs[0]]);
    assert.equal(second.body.next, null);
    const run = second.body.runs[0];
    assert.deepEqual(run, {
      id: runs[0], profile: 'py311', start: '2023-11-14T22:13:20.000000Z', stop: '2023-11-14T22:13:24.500000Z', wallSeconds: 4.5,
      state: 'finished', complete: true, partial: false, exitStatus: 1, workers: null, source: null, counts: { success: 2, fail: 2, skip: 1 },
    });
    assert.deepEqual((await get('/api/runs?profile=py312')).body.runs.map((r: any) => [r.id, r.complete, r.state, r.wallSeconds]), [[runs[2], false, 'running', null]]);
    await refused('/api/runs?limit=0', 400, 'BATON_DASHBOARD_BAD_PARAM', /limit takes a whole number from 1 to 500, not "0"/);
    await refused('/api/runs?limit=abc', 400, 'BATON_DASHBOARD_BAD_PARAM', /limit takes a whole number/);
    await refused('/api/runs?before=-3', 400, 'BATON_DASHBOARD_BAD_PARAM', /before takes a whole number/);
    await refused('/api/runs?limit=1&limit=2', 400, 'BATON_DASHBOARD_BAD_PARAM', /limit is given twice/);
    await refused('/api/runs?page=2', 400, 'BATON_DASHBOARD_BAD_PARAM', /\/api\/runs takes profile, before, limit, not "page"/);
    await refused('/api/runs?profile=', 400, 'BATON_DASHBOARD_BAD_PARAM', /profile is empty/);
  });

  it('/api/runs/ID gives a run and a page of its results, filtered by status or test', async () => {
    const r = await get(`/api/runs/${runs[0]}?limit=2&offset=1`);
    assert.equal(r.body.run.id, runs[0]);
    assert.equal(r.body.total, 5);
    assert.deepEqual(r.body.results.map((x: any) => x.testId), ['t.slow', 't.b']);
    const failed = await get(`/api/runs/${runs[0]}?status=fail,uxsuccess`);
    assert.deepEqual(failed.body.results.map((x: any) => [x.testId, x.worker, x.seq, x.duration]), [['t.b', 'h/0', 1, 0.5], ['t.hang', 'h/0', 2, 1]]);
    assert.deepEqual(failed.body.results[0].attachments, [{ name: 'traceback', mimeType: 'text/plain;charset=utf8', text: 'AssertionError: 1 != 2' }]);
    assert.deepEqual((await get(`/api/runs/${runs[0]}?test=t.skip`)).body.results.map((x: any) => [x.status, x.start, x.stop]),
      [['skip', '2023-11-14T22:13:22.600000Z', '2023-11-14T22:13:22.700000Z']]);
    assert.equal((await get('/api/runs/latest')).body.run.id, runs[2]);
    assert.equal((await get('/api/runs/latest?profile=py311')).body.run.id, runs[1]);
    await refused('/api/runs/999', 404, 'BATON_DASHBOARD_NOT_FOUND', /no run 999 in the repository/);
    await refused(`/api/runs/${runs[0]}?profile=py312`, 404, 'BATON_DASHBOARD_NOT_FOUND', /with profile py312/);
    await refused('/api/runs/latest?profile=nope', 404, 'BATON_DASHBOARD_NOT_FOUND', /no runs of profile nope/);
    await refused('/api/runs/abc', 400, 'BATON_DASHBOARD_BAD_PARAM', /a run id is a whole number or "latest", not "abc"/);
    await refused('/api/runs/1.5', 400, 'BATON_DASHBOARD_BAD_PARAM', /not "1.5"/);
    await refused(`/api/runs/${runs[0]}?status=failed`, 400, 'BATON_DASHBOARD_BAD_PARAM', /status takes statuses separated by commas .* not "failed"/);
    await refused(`/api/runs/${runs[0]}?limit=10001`, 400, 'BATON_DASHBOARD_BAD_PARAM', /limit takes a whole number from 1 to 10000/);
    await refused(`/api/runs/${runs[0]}?offset=-1`, 400, 'BATON_DASHBOARD_BAD_PARAM', /offset/);
  });

  it('/api/runs/ID/timeline lays the run out in lanes, with the restart, the fresh test server, the bound and the efficiency', async () => {
    const t = (await get(`/api/runs/${runs[0]}/timeline`)).body;
    assert.deepEqual(t.lanes, ['h/0', 'h/1', 'h/10']);
    assert.equal(t.origin, T0 * 1000);
    assert.equal(t.end, 4500);
    assert.deepEqual(t.tests, ['t.a', 't.slow', 't.b', 't.hang', 't.skip']);
    assert.deepEqual(t.lane, [0, 1, 0, 0, 2]);
    assert.deepEqual(t.start.map(Math.round), [100, 100, 1100, 1600, 2600]);
    assert.deepEqual(t.stop.map(Math.round), [1100, 4100, 1600, 2600, 2700]);
    assert.deepEqual(t.status.map((c: number) => t.statuses[c]), ['success', 'success', 'fail', 'fail', 'skip']);
    assert.deepEqual(t.marks, [{ index: 3, kind: 'timeout' }]);
    assert.deepEqual(t.processes.map((p: any) => ({ ...p, asked: Math.round(p.asked), ready: Math.round(p.ready), from: Math.round(p.from) })),
      [{ lane: 2, cause: 'fresh', asked: 2500, ready: 2506, from: 2600 }]);
    // The run recorded no bound: each test counts alone. Work 6.6 s over 3 slots is 2.2 s; the longest test, 4 s, is the bound.
    assert.deepEqual(t.bound, { seconds: 4, efficiency: 4 / 4.5, basis: 'tests' });
    // Run 2 recorded its own (its groups made it 3 s, where its tests alone allow 2 s).
    assert.deepEqual((await get(`/api/runs/${runs[1]}/timeline`)).body.bound, { seconds: 3, efficiency: 3 / 4, basis: 'run' });
    assert.deepEqual((await get(`/api/runs/${runs[1]}/timeline`)).body.processes, []);
    await refused('/api/runs/999/timeline', 404, 'BATON_DASHBOARD_NOT_FOUND', /no run 999/);
    await refused('/api/runs/x/timeline', 400, 'BATON_DASHBOARD_BAD_PARAM', /not "x"/);
    await refused(`/api/runs/${runs[0]}/timeline?limit=3`, 400, 'BATON_DASHBOARD_BAD_PARAM', /takes profile, not "limit"/);
  });

  it('/api/runs/ID/trace is a Chrome trace: a track per slot, a complete event per timed result, the restart and the fresh test server as instants', async () => {
    const r = await get(`/api/runs/${runs[0]}/trace`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-disposition'), `attachment; filename="baton-run-${runs[0]}.trace.json"`);
    const events = r.body.traceEvents as any[];
    assert.deepEqual(events.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args.name]), [[1, 'h/0'], [2, 'h/1'], [3, 'h/10']]);
    const complete = events.filter((e) => e.ph === 'X');
    assert.deepEqual(complete.map((e) => [e.name, e.tid, e.ts, e.dur, e.args.status]), [
      ['t.a', 1, 100_000, 1_000_000, 'success'], ['t.slow', 2, 100_000, 4_000_000, 'success'], ['t.b', 1, 1_100_000, 500_000, 'fail'],
      ['t.hang', 1, 1_600_000, 1_000_000, 'fail'], ['t.skip', 3, 2_600_000, 100_000, 'skip'],
    ]);
    assert.deepEqual(events.filter((e) => e.ph === 'i').map((e) => [e.name, e.tid, e.ts, e.args.test]), [
      ['test server restarted (timeout)', 1, 2_600_000, 't.hang'],
      ['fresh test server (back in discovery order)', 3, 2_600_000, undefined],
    ]);
    assert.deepEqual(events.find((e) => e.cat === 'process').args, { cause: 'fresh', startMs: 6, askedAtMs: 2500, readyAtMs: 2506 });
    assert.equal(r.body.otherData.lowerBoundSeconds, 4);
    await refused('/api/runs/999/trace', 404, 'BATON_DASHBOARD_NOT_FOUND', /no run 999/);
  });

  it('/api/tests/ID gives a test\'s history per profile, with its estimate', async () => {
    const r = await get('/api/tests/t.a');
    assert.deepEqual(Object.keys(r.body.profiles), ['py311', 'py312']);
    assert.deepEqual(r.body.profiles.py311.results.map((x: any) => [x.run, x.status, x.duration, x.worker]), [[runs[0], 'success', 1, 'h/0'], [runs[1], 'fail', 1, 'h/0']]);
    assert.equal(r.body.profiles.py311.estimate, 1);
    assert.deepEqual(Object.keys((await get('/api/tests/t.a?profile=py312')).body.profiles), ['py312']);
    await refused('/api/tests/t.nothing', 404, 'BATON_DASHBOARD_NOT_FOUND', /no results for test "t.nothing"/);
    await refused('/api/tests/t.a?profile=py39', 404, 'BATON_DASHBOARD_NOT_FOUND', /in profile py39/);
    await refused('/api/tests/t.a?run=1', 400, 'BATON_DASHBOARD_BAD_PARAM', /takes profile, not "run"/);
    await refused('/api/tests/t.%E0%A4%A', 400, 'BATON_DASHBOARD_BAD_PARAM', /"t.%E0%A4%A" is not percent-encoded UTF-8/);
  });

  it('test ids with slashes, spaces and non-ASCII characters travel percent-encoded', async () => {
    const id = 'tests/unit test.py::TestÜ::test_é[a/b]';
    const other = SqliteRepository.open(join(dir, 'ids.db'));
    const r = other.beginRun({ profile: 'p', start: at(0) });
    other.recordResults(r, [result(id, 'success', 0, 1, 'h/0')]);
    other.finishRun(r, { stop: at(2), exitStatus: 0 });
    const served = await startDashboard({ host: '127.0.0.1', port: 0, repository: other });
    try {
      const res = await fetch(new URL(`/api/tests/${encodeURIComponent(id)}`, served.url));
      assert.equal(((await res.json()) as any).testId, id);
      const page = await fetch(new URL(`/api/runs/${r}?test=${encodeURIComponent(id)}`, served.url));
      assert.deepEqual(((await page.json()) as any).results.map((x: any) => x.testId), [id]);
    } finally {
      await served.close();
      other.close();
    }
  });

  it('/api/slowest, /api/failing, /api/flaky and /api/timings answer per profile, and ask for one when there are several', async () => {
    const slowest = await get('/api/slowest?profile=py311&limit=2');
    assert.equal(slowest.body.run.id, runs[1]);
    assert.deepEqual(slowest.body.slowest, [{ testId: 't.slow', duration: 2, status: 'success' }, { testId: 't.a', duration: 1, status: 'fail' }]);
    assert.deepEqual((await get(`/api/slowest?run=${runs[0]}&limit=1`)).body.slowest.map((s: any) => s.testId), ['t.slow']);
    assert.deepEqual((await get('/api/slowest?profile=none')).body, { run: null, slowest: [] });
    await refused('/api/slowest?run=999', 404, 'BATON_DASHBOARD_NOT_FOUND', /no run 999/);

    const failing = await get('/api/failing?profile=py311');
    assert.deepEqual(failing.body.failing.map((f: any) => [f.testId, f.result.run]), [['t.a', runs[1]], ['t.hang', runs[0]]]);

    const flaky = await get('/api/flaky?profile=py311');
    assert.equal(flaky.body.runs, 20);
    assert.deepEqual(flaky.body.flaky.map((f: any) => [f.testId, f.flips, f.failures, f.results]), [['t.a', 1, 1, 2], ['t.b', 1, 1, 2]]);
    await refused('/api/flaky?profile=py311&runs=1', 400, 'BATON_DASHBOARD_BAD_PARAM', /runs takes a whole number from 2 to 1000/);

    const timings = await get('/api/timings?profile=py311&limit=2');
    assert.equal(timings.body.total, 5);
    assert.deepEqual(timings.body.timings.map((t: any) => t.testId), ['t.slow', 't.a']);
    assert.equal(timings.body.timings[0].count, 2);
    await refused('/api/timings?profile=py311&offset=x', 400, 'BATON_DASHBOARD_BAD_PARAM', /offset takes a whole number/);

    for (const endpoint of ['/api/slowest', '/api/failing', '/api/flaky', '/api/timings']) {
      await refused(endpoint, 400, 'BATON_DASHBOARD_BAD_PARAM', /holds 2 profiles \(py311, py312\): choose one with \?profile=/);
    }
  });

  it('every endpoint refuses a parameter it does not take, or a value out of its range, naming it; and a bad or unknown run id', async () => {
    const table: [string, number, RegExp][] = [
      ['/api/profiles?x=1', 400, /\/api\/profiles takes no query parameters, not "x"/],
      ['/api/runs?limit=501', 400, /\/api\/runs: limit takes a whole number from 1 to 500, not "501"/],
      [`/api/runs/${runs[0]}?limit=0`, 400, /limit takes a whole number from 1 to 10000, not "0"/],
      [`/api/runs/${runs[0]}?test=`, 400, /test is empty/],
      ['/api/runs/x/trace', 400, /a run id is a whole number or "latest", not "x"/],
      [`/api/runs/${runs[0]}/trace?x=1`, 400, /\/trace takes profile, not "x"/],
      ['/api/runs/latest/timeline?profile=nope', 404, /no runs of profile nope/],
      ['/api/slowest?profile=py311&limit=1001', 400, /\/api\/slowest: limit takes a whole number from 1 to 1000, not "1001"/],
      ['/api/slowest?run=abc', 400, /\/api\/slowest: run takes a whole number/],
      ['/api/failing?profile=py311&limit=1', 400, /\/api\/failing takes profile, not "limit"/],
      ['/api/flaky?profile=py311&limit=0', 400, /\/api\/flaky: limit takes a whole number from 1 to 1000, not "0"/],
      ['/api/timings?profile=py311&limit=10001', 400, /\/api\/timings: limit takes a whole number from 1 to 10000, not "10001"/],
    ];
    for (const [path, status, message] of table) await refused(path, status, status === 404 ? 'BATON_DASHBOARD_NOT_FOUND' : 'BATON_DASHBOARD_BAD_PARAM', message);
  });

  it('refuses unknown paths with a JSON 404, anything but GET and HEAD with 405, and the live stream when no run is watched', async () => {
    await refused('/api/nothing', 404, 'BATON_DASHBOARD_NOT_FOUND', /no such endpoint: \/api\/nothing \(the API has/);
    await refused(`/api/runs/${runs[0]}/results`, 404, 'BATON_DASHBOARD_NOT_FOUND', /no such endpoint/);
    await refused('/nothing.html', 404, 'BATON_DASHBOARD_NOT_FOUND', /no such page/);
    await refused('/api/live', 404, 'BATON_DASHBOARD_NOT_FOUND', /no run is being watched/);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await get('/api/runs', { method });
      assert.equal(r.status, 405);
      assert.equal(r.headers.get('allow'), 'GET, HEAD');
      assert.equal(r.body.error.code, 'BATON_DASHBOARD_METHOD');
    }
    const head = await fetch(new URL('/api/runs', dashboard.url), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('serves the page and its files with a policy that runs no inline script', async () => {
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    assert.match(page.body, /<script type="module" src="\/app.js">/);
    assert.match(page.headers.get('content-security-policy')!, /default-src 'self'/);
    for (const file of ['/app.js', '/gantt.js', '/model.js', '/charts.js', '/format.js']) {
      const r = await get(file);
      assert.equal(r.status, 200, file);
      assert.match(r.headers.get('content-type')!, /^text\/javascript/);
    }
    assert.match((await get('/style.css')).headers.get('content-type')!, /^text\/css/);
  });

  it('answers no request addressed to another host name when it asks for no token (DNS rebinding)', async () => {
    const statusFor = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL('/api/info', dashboard.url);
        request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        }).on('error', reject).end();
      });
    assert.equal(await statusFor('evil.example:80'), 401);
    assert.equal(await statusFor('localhost:7780'), 200);
    assert.equal(await statusFor('[::1]:7780'), 200);
  });

  it('refuses to listen beyond loopback without a token, as every baton listener does', async () => {
    await assert.rejects(startDashboard({ host: '0.0.0.0', port: 0, repository: repo }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'BATON_PROTOCOL_TOKEN_REQUIRED');
      assert.match(e.message, /^listening on 0\.0\.0\.0 reaches beyond this machine: give a shared secret with --token-file/);
      return true;
    });
  });
});

describe('the dashboard with a token', () => {
  const secret = 'a-secret-of-sixteen-or-more';
  let served: Dashboard;
  const logged: string[] = [];
  before(async () => {
    served = await startDashboard({
      host: '127.0.0.1', port: 0, repository: repo, authorize: (given) => given === secret, log: (line) => logged.push(line),
    });
  });
  after(() => served.close());
  const on = (path: string, init: RequestInit = {}) => fetch(new URL(path, served.url), { redirect: 'manual', ...init });

  it('refuses requests without it or with a wrong one, naming the address and never the token', async () => {
    for (const init of [{}, { headers: { authorization: 'Bearer wrong-token' } }, { headers: { cookie: 'baton_token=wrong' } }] as RequestInit[]) {
      const r = await on('/api/info', init);
      assert.equal(r.status, 401);
      assert.equal(((await r.json()) as any).error.code, 'BATON_DASHBOARD_UNAUTHORIZED');
    }
    assert.equal((await on('/')).status, 401);
    assert.equal(logged.length, 4);
    assert.match(logged[0]!, /refused a dashboard request from 127\.0\.0\.1: no token/);
    assert.match(logged[1]!, /a wrong token/);
    assert.ok(logged.every((l) => !l.includes('wrong-token') && !l.includes(secret)));
  });

  it('takes it as a bearer token, or once in the address, which it moves into a cookie', async () => {
    assert.equal((await on('/api/info', { headers: { authorization: `Bearer ${secret}` } })).status, 200);
    const entry = await on(`/?token=${secret}#/history`);
    assert.equal(entry.status, 303);
    assert.equal(entry.headers.get('location'), '/');
    const cookie = entry.headers.get('set-cookie')!;
    assert.match(cookie, /^baton_token=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    assert.equal((await on('/api/info', { headers: { cookie: cookie.split(';')[0]! } })).status, 200);
    assert.equal((await on('/api/runs?token=wrong')).status, 401);
  });
});
