// The dashboard in a real browser (Debian's chromium through playwright-core) against
// `baton serve` and `baton run --serve` on loopback: what the page draws is checked
// against the repository, and a watched run is seen to change while it runs.
// Screenshots go to test/artifacts/dashboard/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { initRepository, thisProcess, type ResultInput, type Span, type StoredProcessStart } from '@baton/store';
import { isFailing } from '@baton/subunit';
import { makeProject, runBaton, startBaton, STESTR_CONF, unittestModule, type Running } from './utils/baton-process.js';
import { dashboardPage, launchBrowser, pixel, screenshot } from './utils/browser.js';
import { mixedProject } from './utils/projects.js';

const PAGE_MS = 60_000;

// What the functions run inside the page use of the DOM (the tests' own types have no DOM).
declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null; textContent: string | null } | null };
type Canvas = { dataset: Record<string, string>; getBoundingClientRect(): { left: number; top: number; toJSON(): unknown } };

// One browser for the file, started by the first test: each test fails (not skips, nor is
// cancelled) saying why if chromium cannot start.
let launching: Promise<BrowserContext> | undefined;
const browser = (): Promise<BrowserContext> => (launching ??= launchBrowser());
after(async () => {
  await (await launching?.catch(() => undefined))?.close();
});

/** `baton serve` on a free loopback port: its process and the page's address. */
async function serve(dir: string, args: readonly string[] = []): Promise<{ baton: Running; url: string }> {
  const baton = startBaton(dir, ['serve', '--listen', '127.0.0.1:0', ...args]);
  const [, url] = await baton.waitFor(/dashboard at (http:\/\/\S+\/)/);
  return { baton, url: url! };
}

async function stop(baton: Running): Promise<void> {
  baton.child.kill('SIGTERM');
  const end = await baton.exited;
  assert.equal(end.status, 0, `baton serve ends cleanly on SIGTERM: ${end.stderr}`);
}

/** The latest run as the repository holds it. */
function latestSpans(dir: string): { run: number; spans: Span[] } {
  const { repository } = initRepository({ cwd: dir, access: 'read' });
  try {
    const run = repository.runPage({ limit: 1 })[0]!;
    return { run: run.id, spans: repository.spans(run.id) };
  } finally {
    repository.close();
  }
}

/** Where on the timeline canvas a result's bar is, from the geometry the page publishes. */
async function barPoint(page: Page, lane: number, startMs: number, stopMs: number): Promise<{ x: number; y: number }> {
  const g = await page.$eval('#gantt', (c) => ({ ...(c as unknown as Canvas).dataset }));
  const x = (t: number) => Number(g.plotLeft) + ((t - Number(g.t0)) / (Number(g.t1) - Number(g.t0))) * Number(g.plotWidth);
  return { x: Math.floor((x(startMs) + x(stopMs)) / 2) + 0.5, y: Number(g.top) + lane * Number(g.laneHeight) + Number(g.laneHeight) / 3 };
}

const dataset = (page: Page) => page.$eval('#gantt', (c) => ({ ...(c as unknown as Canvas).dataset }));
const cardValue = (page: Page, id: string) => page.$eval(`#${id} .value`, (e) => e.textContent ?? '');

describe('the dashboard in chromium', () => {
  test('a finished run: one lane per slot, one bar per result and its failures, as the repository holds them; then its history', async () => {
    const dir = mixedProject();
    for (let i = 0; i < 2; i++) {
      const run = await runBaton(dir, ['run', '-j', '3']);
      assert.equal(run.status, 1, run.stderr + run.stdout);
    }
    const { run, spans } = latestSpans(dir);
    const lanes = [...new Set(spans.map((s) => s.worker))].sort();
    const failing = spans.filter((s) => isFailing(s.status));
    assert.deepEqual(failing.map((s) => s.testId), ['tests.test_mixed.TestMixed.test_fails']);

    const { page, problems } = await dashboardPage(await browser());
    const { baton, url } = await serve(dir);
    try {
      await page.goto(`${url}#/runs/latest`);
      await page.waitForFunction((n) => document.querySelector('#gantt')?.getAttribute('data-bars') === String(n), spans.length, { timeout: PAGE_MS });
      const drawn = await dataset(page);
      assert.equal(drawn.lanes, String(lanes.length));
      assert.equal(await page.textContent('h1'), `Run ${run} default failed`);
      assert.equal(await cardValue(page, 'card-tests'), `${spans.length} / ${spans.length}`);
      assert.equal(await cardValue(page, 'card-failed'), '1');
      assert.equal(await cardValue(page, 'card-slots'), String(lanes.length));
      assert.match(await cardValue(page, 'card-efficiency'), /^\d+%$/);
      const items = await page.$$eval('#failures li', (li) => li.map((e) => e.textContent ?? ''));
      assert.equal(items.length, failing.length);
      assert.match(items[0]!, /tests\.test_mixed\.TestMixed\.test_fails/);
      assert.match(items[0]!, /AssertionError: 1 != 2 : deliberate/);

      // The failure's bar is red where the repository says it ran, and says what it is.
      const timeline = (await (await page.request.get(`${url}api/runs/${run}/timeline`)).json()) as { lanes: string[]; origin: number };
      const fail = failing[0]!;
      const at = await barPoint(page, timeline.lanes.indexOf(fail.worker!), fail.startUs! / 1000 - timeline.origin, fail.stopUs! / 1000 - timeline.origin);
      const [r, g, b] = await pixel(page, '#gantt', at.x, at.y);
      assert.ok(r > 150 && g < 110 && b < 110, `the failure is drawn red at ${at.x},${at.y}: rgb(${r}, ${g}, ${b})`);
      await page.mouse.move((await page.$eval('#gantt', (c) => (c as unknown as Canvas).getBoundingClientRect().left)) + at.x, (await page.$eval('#gantt', (c) => (c as unknown as Canvas).getBoundingClientRect().top)) + at.y);
      await page.waitForSelector('.chart .tooltip:not([hidden])');
      assert.match((await page.textContent('.chart .tooltip'))!, /tests\.test_mixed\.TestMixed\.test_fails\nfail/);
      await page.mouse.down();
      await page.mouse.up();
      await page.waitForSelector('#details pre');
      assert.match((await page.textContent('#details'))!, /deliberate/);
      await screenshot(page, 'finished-run');

      await page.goto(`${url}#/history`);
      await page.waitForSelector('#runs tbody tr');
      assert.equal(await page.$$eval('#runs tbody tr', (rows) => rows.length), 2);
      assert.equal((await page.getAttribute('#walls', 'data-bars')), '2');
      assert.equal(await page.$$eval('#failing tbody tr', (rows) => rows.length), 1);
      await screenshot(page, 'history');
      await page.click('#slowest tbody tr:first-child a');
      await page.waitForSelector('canvas.durations[data-points]');
      assert.equal(await page.getAttribute('canvas.durations', 'data-points'), '2', 'one point per recorded result of the test');
      assert.match((await page.textContent('h1'))!, /tests\.test_/);
      await screenshot(page, 'test-history');
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
      await stop(baton);
    }
  });

  test('a watched run changes while it runs: results and failures appear, a test runs, then the run ends', async () => {
    const gate = join(makeProject({}), 'open');
    const quick: Record<string, string> = {};
    for (let i = 0; i < 8; i++) quick[`test_quick_${i}`] = 'pass';
    const dir = makeProject({
      '.stestr.conf': STESTR_CONF,
      'tests/__init__.py': '',
      'tests/test_a_quick.py': unittestModule('TestQuick', { ...quick, test_broken: 'self.assertEqual("left", "right")' }),
      // Waits for the test to open the gate: the run is in progress until then.
      'tests/test_z_gate.py': unittestModule('TestGate', { test_waits: `while not os.path.exists(${JSON.stringify(gate)}):\n    time.sleep(0.01)` }),
    });
    const { page, problems } = await dashboardPage(await browser());
    const baton = startBaton(dir, ['run', '-j', '2', '--serve', '127.0.0.1:0']);
    try {
      const [, url] = await baton.waitFor(/dashboard at (http:\/\/\S+\/)/);
      await page.goto(`${url}#/live`);
      // Everything but the gated test: done, the failure listed with its message, one test running.
      await page.waitForFunction(() => document.querySelector('#card-tests .value')?.textContent === '9 / 10'
        && document.querySelector('#gantt')?.getAttribute('data-running') === '1', undefined, { timeout: PAGE_MS });
      assert.equal(await page.textContent('#run-state'), 'running');
      assert.equal((await dataset(page)).bars, '9');
      assert.match((await page.textContent('#failures'))!, /tests\.test_a_quick\.TestQuick\.test_broken[\s\S]*'left' != 'right'/);
      assert.notEqual(await cardValue(page, 'card-eta'), '');
      await screenshot(page, 'live-running');
      const elapsed = await page.$eval('#summary', (e) => e.textContent);

      writeFileSync(gate, '');
      await page.waitForFunction(() => document.querySelector('#run-state')?.textContent === 'failed', undefined, { timeout: PAGE_MS });
      const drawn = await dataset(page);
      assert.equal(drawn.bars, '10');
      assert.equal(drawn.running, '0');
      assert.equal(await cardValue(page, 'card-tests'), '10 / 10');
      assert.match(await cardValue(page, 'card-bound'), /\d/);
      assert.notEqual(await page.$eval('#summary', (e) => e.textContent), elapsed);
      assert.equal(await page.textContent('#connection'), 'run finished');
      await screenshot(page, 'live-finished');
      const end = await baton.exited;
      assert.equal(end.status, 1, end.stderr);
      assert.deepEqual(problems, []);
    } finally {
      // However the test went, the run ends: its gate opens, and Ctrl-C's signal stops it.
      writeFileSync(gate, '');
      baton.child.kill('SIGTERM');
      await baton.exited;
      await page.close();
    }
  });

  test('a run with a steal: where a slot continued on a fresh test server is marked on its lane, live and recorded, as often as the repository holds it', async () => {
    // Without history the two lanes alternate: slot 0 holds the slow test and four quick
    // ones behind it, slot 1 runs dry first and takes some of those, which lie behind its
    // process in discovery order: it continues on a fresh test server.
    const methods: Record<string, string> = { test_a0_slow: 'time.sleep(2)' };
    for (let i = 1; i <= 8; i++) methods[`test_a${i}`] = 'time.sleep(0.15)';
    const dir = makeProject({ '.stestr.conf': STESTR_CONF, 'tests/__init__.py': '', 'tests/test_steal.py': unittestModule('TestSteal', methods) });
    const { page, problems } = await dashboardPage(await browser());
    const watched = startBaton(dir, ['run', '-j', '2', '--serve', '127.0.0.1:0']);
    let served: Running | undefined;
    try {
      const [, live] = await watched.waitFor(/dashboard at (http:\/\/\S+\/)/);
      await page.goto(`${live}#/live`);
      await page.waitForFunction(() => document.querySelector('#run-state')?.textContent === 'passed', undefined, { timeout: PAGE_MS });
      const watchedMarkers = (await dataset(page)).processes;
      const end = await watched.exited;
      assert.equal(end.status, 0, end.stderr);

      const { repository } = initRepository({ cwd: dir, access: 'read' });
      let starts: StoredProcessStart[];
      try {
        starts = repository.processStarts(repository.runPage({ limit: 1 })[0]!.id);
      } finally {
        repository.close();
      }
      assert.ok(starts.length >= 1, 'the steal sent a slot to a fresh test server');
      assert.deepEqual(new Set(starts.map((p) => p.cause)), new Set(['fresh']));
      assert.match(end.stdout + end.stderr, new RegExp(`${starts.length} more test server process(es)?: ${starts.length} fresh \\(to go back in discovery order`));
      assert.equal(watchedMarkers, String(starts.length), 'the live page marked each one');

      const serving = await serve(dir);
      served = serving.baton;
      await page.goto(`${serving.url}#/runs/latest`);
      await page.waitForFunction(() => document.querySelector('#gantt')?.getAttribute('data-bars') === '9', undefined, { timeout: PAGE_MS });
      assert.equal((await dataset(page)).processes, String(starts.length));
      assert.equal(await cardValue(page, 'card-fresh'), String(starts.length));
      const timeline = (await (await page.request.get(`${serving.url}api/runs/latest/timeline`)).json()) as { lanes: string[]; processes: { lane: number; from: number }[]; bound: { basis: string } };
      assert.equal(timeline.bound.basis, 'run', 'the bound its coordinator recorded');
      // The first marker: dark blue across its lane where the fresh server took over, and it says what it is.
      const first = timeline.processes[0]!;
      assert.equal(timeline.lanes[first.lane], starts[0]!.worker);
      const at = await barPoint(page, first.lane, first.from, first.from);
      const [r, g, b] = await pixel(page, '#gantt', at.x, at.y);
      assert.ok(b > 110 && r < 80 && g < 100, `the marker is drawn at ${at.x},${at.y}: rgb(${r}, ${g}, ${b})`);
      const box = (await page.$eval('#gantt', (c) => (c as unknown as Canvas).getBoundingClientRect().toJSON())) as { left: number; top: number };
      await page.mouse.move(box.left + at.x, box.top + at.y);
      await page.waitForSelector('.chart .tooltip:not([hidden])');
      const tip = (await page.textContent('.chart .tooltip'))!.split('\n');
      assert.match(tip[0]!, /^fresh test server: /);
      assert.ok(tip[1]!.startsWith(`on ${timeline.lanes[first.lane]}, running tests from `), tip[1]);
      assert.match(tip[2]!, /^starting it took [\d.]+ (ms|s) \(asked at /);
      await screenshot(page, 'fresh-test-server');

      // The Chrome trace marks each on its slot's track.
      const file = join(dir, 'run.trace.json');
      assert.equal((await runBaton(dir, ['last', '--trace', file])).status, 0);
      const trace = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: { cat?: string; ph: string; tid: number; name: string; args?: { name?: string } }[] };
      const tracks = new Map(trace.traceEvents.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args?.name]));
      assert.deepEqual(trace.traceEvents.filter((e) => e.cat === 'process').map((e) => [e.ph, tracks.get(e.tid)]), starts.map((p) => ['i', p.worker]));
      assert.deepEqual(problems, []);
    } finally {
      watched.child.kill('SIGTERM');
      await watched.exited;
      await page.close();
      if (served) await stop(served);
    }
  });

  test('a run without an end says whether it is still being recorded or was cut short, on its page and in the list of runs', async () => {
    const dir = makeProject({});
    const { repository } = initRepository({ cwd: dir });
    // A writer that is gone: a process that has already exited, on this machine.
    const gone = spawnSync(process.execPath, ['-e', '']);
    assert.equal(gone.status, 0);
    const start = { seconds: 1_700_000_000, nanos: 0 };
    const result = (testId: string): ResultInput => ({ testId, status: 'success', start, stop: { seconds: 1_700_000_001, nanos: 0 }, worker: 'w/0' });
    const cut = repository.beginRun({ profile: 'p', start, writer: { ...thisProcess(), pid: gone.pid! } });
    repository.recordResults(cut, [result('t.cut')]);
    const live = repository.beginRun({ profile: 'p', start, writer: thisProcess() });
    repository.recordResults(live, [result('t.live')]);
    const { baton, url } = await serve(dir);
    const { page, problems } = await dashboardPage(await browser());
    try {
      await page.goto(`${url}#/runs/${cut}`);
      await page.waitForFunction(() => document.querySelector('#run-state')?.textContent === 'cut short', undefined, { timeout: PAGE_MS });
      await page.goto(`${url}#/runs/${live}`);
      await page.waitForFunction(() => document.querySelector('#run-state')?.textContent === 'in progress', undefined, { timeout: PAGE_MS });
      await page.goto(`${url}#/history`);
      await page.waitForFunction(() => /cut short/.test(document.querySelector('body')?.textContent ?? '') && /in progress/.test(document.querySelector('body')?.textContent ?? ''), undefined, { timeout: PAGE_MS });
      await screenshot(page, 'unfinished-runs');
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
      await stop(baton);
      repository.close();
    }
  });

  test('a run of 100,000 results draws whole, every result counted, and answers the pointer', async () => {
    const dir = makeProject({});
    const { repository } = initRepository({ cwd: dir });
    const slots = 16;
    const total = 100_000;
    try {
      const run = repository.beginRun({ profile: 'big', start: { seconds: 1_700_000_000, nanos: 0 } });
      const clocks = new Array<number>(slots).fill(1_700_000_000e6 + 2e6);
      let seed = 42;
      const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
      let batch: ResultInput[] = [];
      for (let i = 0; i < total; i++) {
        const slot = i % slots;
        const start = clocks[slot]!;
        const stop = start + Math.floor(200 + random() * (i % 997 === 0 ? 4e6 : 4e4));
        clocks[slot] = stop + 30;
        const status = i % 100 === 7 ? 'fail' : i % 50 === 3 ? 'skip' : 'success';
        const time = (us: number) => ({ seconds: Math.floor(us / 1e6), nanos: (us % 1e6) * 1000 });
        batch.push({
          testId: `pkg.mod${i % 97}.TestCase${i % 13}.test_${i}`, status, start: time(start), stop: time(stop), worker: `ci-${slot >> 2}/${slot & 3}`,
          ...(status === 'fail' ? { attachments: [{ name: 'traceback', mimeType: 'text/plain', content: new TextEncoder().encode(`AssertionError: case ${i}`) }] } : {}),
        });
        if (batch.length === 10_000) {
          repository.recordResults(run, batch);
          batch = [];
        }
      }
      repository.finishRun(run, { stop: { seconds: Math.ceil(Math.max(...clocks) / 1e6) + 1, nanos: 0 }, exitStatus: 1 });
    } finally {
      repository.close();
    }
    const { page, problems } = await dashboardPage(await browser());
    const { baton, url } = await serve(dir);
    try {
      await page.goto(`${url}#/runs/latest`);
      await page.waitForFunction((n) => document.querySelector('#gantt')?.getAttribute('data-bars') === String(n), total, { timeout: PAGE_MS });
      assert.equal((await dataset(page)).lanes, String(slots));
      assert.equal(await cardValue(page, 'card-failed'), '1,000');
      assert.equal(await page.$$eval('#failures li', (li) => li.length), 200, 'the first 200 failures in full');
      assert.equal(await page.textContent('#more-failures'), 'and 800 more');
      const box = (await page.$eval('#gantt', (c) => (c as unknown as Canvas).getBoundingClientRect().toJSON())) as { left: number; top: number };
      const g = await dataset(page);
      await page.mouse.move(box.left + Number(g.plotLeft) + Number(g.plotWidth) / 2, box.top + Number(g.top) + Number(g.laneHeight) / 2);
      await page.waitForSelector('.chart .tooltip:not([hidden])');
      assert.match((await page.textContent('.chart .tooltip'))!, /pkg\.mod\d+\.TestCase\d+\.test_\d+\n\w+ · .* · ci-0\/0/);
      // Zooming in redraws the same results over a narrower span.
      await page.mouse.wheel(0, -600);
      await page.waitForFunction((t1) => Number(document.querySelector('#gantt')?.getAttribute('data-t1')) < t1, Number(g.t1));
      await screenshot(page, 'run-100k', false);
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
      await stop(baton);
    }
  });
});
