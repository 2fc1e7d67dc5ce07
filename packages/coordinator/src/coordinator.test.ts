import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock, spinUntil } from '@baton/protocol/test-kit';
import { resolvePlan } from '@baton/scheduler';
import { MemoryRepository } from '@baton/store';
import { timestampToMillis } from '@baton/subunit';
import { Coordinator, STALL_TICKS, TICK_MS, type CoordinatorOptions } from './coordinator.js';
import type { RunEvent, RunSummary } from './events.js';
import { FakeWorker, type FakeWorkerOptions } from './test-support/fake-worker.js';
import { REPORTERS_CLOSE_WAIT_MS } from './reporting.js';

const TESTS = Array.from({ length: 12 }, (_, i) => `pkg.mod${i % 3}.T.test_${i}`);

function setup(options: Partial<CoordinatorOptions> = {}, tests: string[] = TESTS) {
  const clock = new FakeClock();
  const repository = new MemoryRepository();
  const events: RunEvent[] = [];
  let summary: RunSummary | undefined;
  const coordinator = new Coordinator({
    segments: resolvePlan(undefined, tests),
    repository,
    profile: 'default',
    reporters: [{ onEvent: (e) => events.push(e) }],
    clock,
    log: () => {},
    channel: { heartbeat: false },
    ...options,
  });
  void coordinator.finished.then((s) => (summary = s));
  const run = coordinator.start();
  return { clock, repository, events, coordinator, run, summary: () => summary };
}

const finishedIds = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'testFinished' ? [e.result.id] : []));

test('every test runs once across two workers; results, order and summary are recorded', async () => {
  const { repository, events, coordinator, run, summary } = setup();
  const a = new FakeWorker({ name: 'a', slots: 2 });
  const b = new FakeWorker({ name: 'b' });
  await coordinator.accept(a.transport);
  await coordinator.accept(b.transport);
  await spinUntil(() => a.queued + b.queued > 0, 'dispatch');
  while (!summary()) {
    await Promise.all([a.drain(), b.drain()]);
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual([...finishedIds(events)].sort(), [...TESTS].sort(), 'each test exactly once');
  assert.equal(a.ran.length + b.ran.length, TESTS.length);
  assert.ok(b.ran.length > 0 && a.ran.length > 0, 'both workers got work');
  const s = summary()!;
  assert.equal(s.exitCode, 0);
  assert.deepEqual(s.counts, { success: 12 });
  assert.equal(s.workers, 3, 'three slots');
  const stored = repository.results(run);
  assert.equal(stored.length, 12);
  assert.ok(stored.every((r) => r.worker && /^(a\/[01]|b\/0)$/.test(r.worker)));
  assert.ok(stored.every((r) => r.tags.some((t) => /^worker-[012]$/.test(t))), 'run-wide worker-N tags');
  assert.equal(repository.run(run)?.complete, true);
  assert.equal(repository.run(run)?.exitStatus, 0);
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'runStarted');
  assert.equal(types.at(-1), 'runFinished');
  assert.ok(types.indexOf('testStarted') < types.indexOf('testFinished'));
});

test('failures make exit status 1 and are listed in the summary', async () => {
  const outcomes = new Map([[TESTS[3]!, 'fail' as const], [TESTS[4]!, 'skip' as const]]);
  const { coordinator, summary } = setup();
  const w = new FakeWorker({ name: 'w', outcomes });
  await coordinator.accept(w.transport);
  while (!summary()) {
    await w.drain();
    await new Promise((r) => setImmediate(r));
  }
  const s = summary()!;
  assert.equal(s.exitCode, 1);
  assert.deepEqual(s.failures.map((f) => f.id), [TESTS[3]]);
  assert.equal(s.stats.skipped, 1);
  assert.equal(s.stats.passed, 10);
});

test('a worker lost mid-test: its running test is recorded lost, naming it; its queue runs elsewhere; exit 3', async () => {
  const { events, coordinator, summary, repository, run } = setup();
  const doomed = new FakeWorker({ name: 'doomed' });
  const steady = new FakeWorker({ name: 'steady' });
  await coordinator.accept(doomed.transport);
  await coordinator.accept(steady.transport);
  await spinUntil(() => doomed.queued > 1, 'dispatch to the doomed worker');
  await doomed.step(); // starts a test
  await spinUntil(() => events.some((e) => e.type === 'testStarted' && e.worker === 'doomed/0'), 'the start to arrive');
  const victim = (events.find((e) => e.type === 'testStarted') as { test: string }).test;
  doomed.die();
  while (!summary()) {
    await steady.drain();
    await new Promise((r) => setImmediate(r));
  }
  const ids = finishedIds(events);
  assert.deepEqual([...ids].sort(), [...TESTS].sort(), 'no test lost, none twice');
  const lost = events.find((e) => e.type === 'testFinished' && e.result.id === victim);
  assert.ok(lost && lost.type === 'testFinished');
  assert.equal(lost.result.status, 'fail');
  assert.equal(lost.result.infrastructure, 'lost');
  assert.match(new TextDecoder().decode(lost.result.attachments[0]!.content), /worker doomed\/0 was lost while running this test/);
  assert.ok(events.some((e) => e.type === 'workerGone' && e.worker === 'doomed' && e.how === 'lost'));
  assert.equal(summary()!.exitCode, 3);
  assert.match(summary()!.infrastructureProblem ?? '', /doomed\/0 was lost/);
  assert.equal(repository.results(run).length, TESTS.length);
});

test('a worker whose checkout lists other tests, or that announces no digest, is refused with a message that says so', async () => {
  const { events, coordinator, summary } = setup({ testListDigest: 'a'.repeat(64) });
  const stranger = new FakeWorker({ name: 'stranger', digest: 'b'.repeat(64) });
  const anonymous = new FakeWorker({ name: 'anonymous' });
  const friend = new FakeWorker({ name: 'friend', digest: 'a'.repeat(64) });
  await coordinator.accept(stranger.transport);
  await coordinator.accept(anonymous.transport);
  await coordinator.accept(friend.transport);
  const refused = events.flatMap((e) => (e.type === 'workerRefused' ? [e] : []));
  assert.deepEqual(
    refused.map((e) => e.worker),
    ['stranger', 'anonymous'],
  );
  assert.match(refused[0]!.reason, /lists different tests than the coordinator .*another commit checked out/);
  assert.match(refused[1]!.reason, /announced no test-list digest/);
  while (!summary()) {
    await friend.drain();
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(stranger.ran.length + anonymous.ran.length, 0);
  assert.equal(anonymous.queued, 0, 'nothing was sent to it');
  assert.equal(summary()!.exitCode, 0);
});

test('no worker within the wait: exit 3, every test reported not run, the run recorded', async () => {
  const { clock, summary, repository, run } = setup({ waitMs: 30_000 });
  clock.advance(29_000);
  await new Promise((r) => setImmediate(r));
  assert.equal(summary(), undefined);
  clock.advance(2_000);
  await spinUntil(() => summary() !== undefined, 'the run to end');
  const s = summary()!;
  assert.equal(s.exitCode, 3);
  assert.equal(s.infrastructureProblem, 'no worker connected within 30 s');
  assert.equal(s.notRun.length, TESTS.length);
  assert.equal(repository.run(run)?.exitStatus, 3);
  assert.equal(repository.run(run)?.complete, true);
});

test('min workers: nothing is dispatched until enough have joined', async () => {
  const { coordinator, summary, events } = setup({ minWorkers: 2 });
  const first = new FakeWorker({ name: 'first' });
  await coordinator.accept(first.transport);
  await new Promise((r) => setImmediate(r));
  assert.equal(first.queued, 0);
  const second = new FakeWorker({ name: 'second' });
  await coordinator.accept(second.transport);
  await spinUntil(() => first.queued > 0 && second.queued > 0, 'both to get work');
  while (!summary()) {
    await Promise.all([first.drain(), second.drain()]);
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(finishedIds(events).length, TESTS.length);
});

test('a late worker takes over not-started tests from a loaded one', async () => {
  const tests = Array.from({ length: 40 }, (_, i) => `pkg.T.test_${i}`);
  const { coordinator, summary, events } = setup({}, tests);
  const early = new FakeWorker({ name: 'early' });
  await coordinator.accept(early.transport);
  await spinUntil(() => early.queued > 0, 'dispatch');
  await early.step();
  await early.step();
  const late = new FakeWorker({ name: 'late' });
  await coordinator.accept(late.transport);
  while (!summary()) {
    await Promise.all([early.step(), late.drain()]);
    await new Promise((r) => setImmediate(r));
  }
  // Most of the early worker's lane was not sent yet: it moves to the late one without a Reclaim.
  assert.ok(late.ran.length > 0, 'the late worker ran tests');
  assert.deepEqual([...finishedIds(events)].sort(), [...tests].sort());
});

test('a failing class fixture is a result of its own: recorded once with its traceback, reported, and it fails the run', async () => {
  const { repository, events, coordinator, run, summary } = setup();
  const worker = new FakeWorker({ name: 'w', slots: 2 });
  await coordinator.accept(worker.transport);
  await spinUntil(() => worker.queued > 0, 'dispatch');
  await worker.fixtureFailed('setUpClass (pkg.mod0.T)', 'Traceback (most recent call last):\nRuntimeError: the database is down', 1);
  await worker.fixtureFailed('setUpClass (pkg.mod0.T)', 'Traceback: the same fixture failing in another process', 0);
  while (!summary()) {
    await worker.drain();
    await new Promise((r) => setImmediate(r));
  }
  const fixture = events.flatMap((e) => (e.type === 'testFinished' && e.result.id.startsWith('setUpClass') ? [e.result] : []));
  assert.equal(fixture.length, 1, 'reported once');
  assert.equal(fixture[0]!.worker, 'w/1');
  assert.match(new TextDecoder().decode(fixture[0]!.attachments[0]!.content), /RuntimeError: the database is down/);
  assert.equal(summary()!.exitCode, 1);
  assert.ok(summary()!.failures.some((f) => f.id === 'setUpClass (pkg.mod0.T)'));
  const stored = repository.results(run).filter((r) => r.testId === 'setUpClass (pkg.mod0.T)');
  assert.equal(stored.length, 1);
  assert.equal(stored[0]!.status, 'fail');
});

test('a run that stalls (a worker acknowledges Runs and runs nothing) fails with exit status 3 and names the stuck state', async () => {
  const { clock, coordinator, summary } = setup();
  const worker = new FakeWorker({ name: 'broken', dropsRuns: true });
  await coordinator.accept(worker.transport);
  for (let i = 0; i < STALL_TICKS + 2 && !summary(); i++) {
    await new Promise((r) => setImmediate(r));
    clock.advance(TICK_MS);
  }
  await spinUntil(() => summary() !== undefined, 'the run ended');
  const s = summary()!;
  assert.equal(s.exitCode, 3);
  assert.match(s.infrastructureProblem ?? '', /the run stalled: 12 tests have no result.*nothing is in flight.*slots: broken\/0: was sent \d+ tests from pkg\./);
});

/** Runs every worker's tests until the run is summed up. */
async function drainUntilOver(workers: FakeWorker[], summary: () => RunSummary | undefined): Promise<RunSummary> {
  while (!summary()) {
    await Promise.all(workers.map((w) => w.drain()));
    await new Promise((r) => setImmediate(r));
  }
  return summary()!;
}

test('a reporter that throws on the third result is reported once by name and dropped; the others see the whole run, which is recorded and ends with exit 3', async () => {
  const seen: RunEvent[] = [];
  let results = 0;
  const lines: string[] = [];
  const thrower = {
    name: 'thrower',
    onTestFinished() {
      if (++results === 3) throw new Error('cannot format result 3');
    },
    closed: false,
    close() {
      this.closed = true;
    },
  };
  const { coordinator, summary, repository, run } = setup({ reporters: [thrower, { onEvent: (e) => seen.push(e) }], log: (line) => lines.push(line) });
  const worker = new FakeWorker({ name: 'w', slots: 2 });
  await coordinator.accept(worker.transport);
  const s = await drainUntilOver([worker], summary);
  assert.equal(results, 3, 'no event after its failure');
  assert.equal(thrower.closed, false, 'a failed reporter is not closed');
  assert.deepEqual(lines, ['reporter thrower failed on testFinished: cannot format result 3; it gets no more events, and the run goes on, is recorded, and ends with exit status 3']);
  assert.equal(seen.filter((e) => e.type === 'testFinished').length, TESTS.length, 'the other reporter saw every result');
  assert.equal(seen.at(-1)?.type, 'runFinished');
  assert.equal(s.exitCode, 3);
  assert.equal(s.infrastructureProblem, 'reporter thrower failed on testFinished: cannot format result 3');
  assert.deepEqual(s.counts, { success: TESTS.length });
  assert.equal(repository.results(run).length, TESTS.length, 'every result recorded');
  assert.equal(repository.run(run)?.complete, true);
  assert.equal(repository.run(run)?.exitStatus, 3);
});

test('a reporter whose async hook rejects, or whose close rejects or never ends, fails the run (exit 3, recorded) and the run still ends', async () => {
  const lines: string[] = [];
  const asyncHook = {
    name: 'async-hook',
    async onRunStarted(): Promise<void> {
      throw new Error('async trouble');
    },
  };
  const badClose = { name: 'junit out/j.xml', close: () => Promise.reject(new Error("ENOENT: no such file or directory, open 'out/j.xml'")) };
  const neverCloses = { name: 'stuck', close: () => new Promise<void>(() => {}) };
  const { clock, coordinator, summary, repository, run } = setup({ reporters: [asyncHook, badClose, neverCloses], log: (line) => lines.push(line) });
  const worker = new FakeWorker({ name: 'w' });
  await coordinator.accept(worker.transport);
  await spinUntil(() => lines.length === 1, 'the async failure to be reported');
  while (!summary()) {
    await worker.drain();
    await new Promise((r) => setImmediate(r));
    clock.advance(REPORTERS_CLOSE_WAIT_MS / 4);
  }
  const s = summary()!;
  assert.equal(s.exitCode, 3);
  assert.equal(s.infrastructureProblem, 'reporter async-hook failed on runStarted: async trouble', 'the first problem');
  assert.deepEqual(
    lines.map((l) => l.replace(/;.*/, '')),
    [
      'reporter async-hook failed on runStarted: async trouble',
      "reporter junit out/j.xml failed at its end: ENOENT: no such file or directory, open 'out/j.xml'",
      `reporter stuck failed at its end: it did not finish within ${REPORTERS_CLOSE_WAIT_MS / 1000} s`,
    ],
  );
  assert.equal(repository.results(run).length, TESTS.length);
  assert.equal(repository.run(run)?.exitStatus, 3, 'recorded with the exit status the run ends with');
});

test('a report that cannot be written at the end makes the recorded run and its exit status 3', async () => {
  const lines: string[] = [];
  const badClose = { name: 'json run.json', close: () => Promise.reject(new Error('EACCES: permission denied')) };
  const { coordinator, summary, repository, run } = setup({ reporters: [badClose], log: (line) => lines.push(line) });
  const worker = new FakeWorker({ name: 'w' });
  await coordinator.accept(worker.transport);
  const s = await drainUntilOver([worker], summary);
  assert.equal(s.exitCode, 3);
  assert.equal(s.infrastructureProblem, 'reporter json run.json failed at its end: EACCES: permission denied');
  assert.equal(repository.run(run)?.exitStatus, 3);
  assert.equal(lines.length, 1);
});

test('with no history the ETA is unknown until tests finish, then comes from what they took, not a second a test', async () => {
  const tests = Array.from({ length: 40 }, (_, i) => `pkg.mod${i % 4}.T.test_${i}`);
  const events: RunEvent[] = [];
  const { coordinator, summary } = setup({ reporters: [{ onEvent: (e) => events.push(e) }] }, tests);
  const started = events[0];
  assert.ok(started?.type === 'runStarted');
  assert.equal(started.estimatedWork, undefined, 'nothing to estimate from');
  assert.equal(started.unknown, 40);
  const worker = new FakeWorker({ name: 'w', slots: 2, duration: () => 0.05 });
  await coordinator.accept(worker.transport);
  await spinUntil(() => worker.queued > 0, 'dispatch');
  await worker.step(0);
  const firstStart = events.find((e) => e.type === 'testStarted');
  assert.ok(firstStart?.type === 'testStarted');
  assert.equal(firstStart.stats.etaMs, undefined, 'no test has finished');
  await worker.step(0);
  const firstDone = events.find((e) => e.type === 'testFinished');
  assert.ok(firstDone?.type === 'testFinished');
  // 39 tests left at the 0.05 s the first took, on 2 slots.
  assert.ok(Math.abs(firstDone.stats.etaMs! - (39 * 50) / 2) < 1e-6, String(firstDone.stats.etaMs));
  await drainUntilOver([worker], summary);
});

test('the summary holds the lower bound from measured durations, and a run with history is measured against the last run without', async () => {
  const tests = Array.from({ length: 8 }, (_, i) => `pkg.mod${i % 2}.T.test_${i}`);
  const repository = new MemoryRepository();
  const duration = (id: string) => (id.endsWith('_0') ? 0.4 : 0.1);
  const runOnce = async (wallMs: number) => {
    const { clock, coordinator, summary } = setup({ repository, selectionDigest: 'sel' }, tests);
    // One slot each: a fake worker's slots share its clock, so their durations would overlap.
    const workers = [new FakeWorker({ name: 'a', duration }), new FakeWorker({ name: 'b', duration })];
    for (const worker of workers) await coordinator.accept(worker.transport);
    await spinUntil(() => workers.every((w) => w.queued > 0), 'dispatch');
    clock.advance(wallMs);
    return drainUntilOver(workers, summary);
  };
  const cold = await runOnce(1000);
  // Work 1.1 s on 2 slots: max(0.55, longest 0.4).
  assert.ok(Math.abs(cold.lowerBoundMs! - 550) < 1e-6, String(cold.lowerBoundMs));
  assert.equal(cold.unknown, 8);
  assert.equal(cold.baseline, undefined, 'a run without history has nothing to be measured against');
  const warm = await runOnce(600);
  assert.equal(warm.unknown, 0);
  assert.deepEqual(warm.baseline, { run: cold.run, wallMs: 1000 });
  assert.equal(warm.wallMs, 600);
});

test('slots of one machine are equally fast: a long test goes out at once, where slots of unknown machines first show their speed', async () => {
  const tests = Array.from({ length: 8 }, (_, i) => `pkg.mod${i % 2}.T.test_${i}`);
  const long = tests[0]!;
  const repository = new MemoryRepository();
  const duration = (id: string) => (id === long ? 4 : 0.1);
  const firstRuns = async (options: Partial<CoordinatorOptions>) => {
    const { coordinator, summary } = setup({ repository, ...options }, tests);
    const worker = new FakeWorker({ name: 'w', slots: 2, duration });
    await coordinator.accept(worker.transport);
    await spinUntil(() => worker.queued > 0, 'dispatch');
    const sent = worker.runs.flatMap((r) => r.tests);
    await drainUntilOver([worker], summary);
    return sent;
  };
  await firstRuns({ oneMachine: true });
  // With history now: 4 s of the run's 4.7 s is one test.
  assert.ok((await firstRuns({ oneMachine: true })).includes(long), 'on one machine the long test starts at once');
  assert.ok(!(await firstRuns({})).includes(long), 'speeds unknown: it waits for the slots\' first results');
});

test('a slot that continues on a fresh test server is told to reporters and recorded with the run, naming the slot', async () => {
  const tests = Array.from({ length: 6 }, (_, i) => `pkg.T.test_${i}`);
  const { repository, events, coordinator, run, summary } = setup({}, tests);
  const worker = new FakeWorker({ name: 'w', slots: 2 });
  await coordinator.accept(worker.transport);
  await spinUntil(() => worker.queued > 0, 'dispatch');
  const told = worker.startedProcess(1);
  await drainUntilOver([worker], summary);
  const started = events.filter((e) => e.type === 'processStarted');
  assert.deepEqual(started.map(({ type, at, ...rest }) => rest), [{ worker: 'w/1', cause: 'fresh', askedMs: told.askedMs, readyMs: told.readyMs, fromMs: told.fromMs }]);
  assert.deepEqual(repository.processStarts(run).map((p) => [p.worker, p.cause, timestampToMillis(p.asked), timestampToMillis(p.ready), timestampToMillis(p.from)]),
    [['w/1', 'fresh', told.askedMs, told.readyMs, told.fromMs]]);
});

test('the bound a run records counts its groups as units: higher than its tests alone allow', async () => {
  const tests = Array.from({ length: 8 }, (_, i) => `pkg.mod${i % 2}.T.test_${i}`);
  const duration = (id: string) => (id.endsWith('_0') ? 0.4 : 0.1);
  const { repository, coordinator, run, summary } = setup({ segments: resolvePlan(undefined, tests, { groupRegex: '^(pkg\\.mod\\d)\\.' }) }, tests);
  const workers = [new FakeWorker({ name: 'a', duration }), new FakeWorker({ name: 'b', duration })];
  for (const worker of workers) await coordinator.accept(worker.transport);
  const s = await drainUntilOver(workers, summary);
  // mod0 (0.4 + 3 × 0.1) must run on one slot: 0.7 s, where each test alone would allow max(1.1 / 2, 0.4) = 0.55 s.
  assert.ok(Math.abs(s.lowerBoundMs! - 700) < 1e-6, String(s.lowerBoundMs));
  assert.ok(Math.abs(repository.run(run)!.lowerBound! - 0.7) < 1e-9, String(repository.run(run)!.lowerBound));
});

/** Runs two one-slot workers `a` and `b` with these outcomes to the end of the run. */
async function withRetries(options: Partial<CoordinatorOptions>, outcomes: FakeWorkerOptions['outcomes']) {
  const setUp = setup(options);
  const a = new FakeWorker({ name: 'a', outcomes });
  const b = new FakeWorker({ name: 'b', outcomes });
  await setUp.coordinator.accept(a.transport);
  await setUp.coordinator.accept(b.transport);
  while (!setUp.summary()) {
    await Promise.all([a.drain(), b.drain()]);
    await new Promise((r) => setImmediate(r));
  }
  return { ...setUp, a, b, s: setUp.summary()! };
}

test('--retries: a test that fails and then passes is tried again at once on a fresh process of the other slot, and counts as a pass', async () => {
  const flaky = TESTS[4]!;
  let attempts = 0;
  const { events, repository, run, a, b, s } = await withRetries({ retries: 2 }, new Map([[flaky, () => (++attempts === 1 ? 'fail' : 'success')]]));
  assert.deepEqual([...finishedIds(events)].sort(), [...TESTS].sort(), 'one result per test');
  const retried = events.flatMap((e) => (e.type === 'testRetried' ? [e] : []));
  assert.equal(retried.length, 1);
  assert.deepEqual([retried[0]!.result.id, retried[0]!.result.status, retried[0]!.result.attempt, retried[0]!.retriesLeft], [flaky, 'fail', 1, 1]);
  const failedOn = retried[0]!.result.worker;
  const other = failedOn === 'a/0' ? b : a;
  assert.deepEqual(other.runs.filter((r) => r.fresh), [{ tests: [flaky], slot: 0, fresh: true }], 'a Run of its own, for a fresh process, on the other slot');
  const result = events.find((e) => e.type === 'testFinished' && e.result.id === flaky);
  assert.ok(result?.type === 'testFinished');
  assert.deepEqual([result.result.status, result.result.attempt, result.result.worker], ['success', 2, other === a ? 'a/0' : 'b/0']);
  assert.deepEqual(result.result.failedAttempts?.map((f) => [f.status, f.worker, f.attempt]), [['fail', failedOn, 1]]);
  assert.equal(s.exitCode, 0);
  assert.deepEqual(s.flaky.map((f) => f.id), [flaky]);
  assert.deepEqual([s.failures, s.retriedAttempts, s.counts], [[], 1, { success: 12 }]);
  // The repository: one result per test, the flaky one at attempt 2, and its failed attempt apart.
  const stored = repository.results(run);
  assert.equal(stored.length, TESTS.length);
  assert.deepEqual(stored.filter((r) => r.attempt !== undefined).map((r) => [r.testId, r.status, r.attempt]), [[flaky, 'success', 2]]);
  assert.deepEqual(repository.attempts(run).map((r) => [r.testId, r.status, r.worker, r.attempt]), [[flaky, 'fail', failedOn, 1]]);
  assert.equal(repository.run(run)?.exitStatus, 0);
});

test('--flaky-fails: a test that passed only when tried again fails the run', async () => {
  let attempts = 0;
  const { repository, run, s } = await withRetries({ retries: 1, flakyFails: true }, new Map([[TESTS[0]!, () => (++attempts === 1 ? 'fail' : 'success')]]));
  assert.deepEqual([s.exitCode, s.flaky.length, s.failures.length], [1, 1, 0]);
  assert.equal(repository.run(run)?.exitStatus, 1);
});

test('--retries N: a test that always fails ends failed after N + 1 attempts, each after the first on the slot it did not fail on', async () => {
  const broken = TESTS[7]!;
  const { events, repository, run, s } = await withRetries({ retries: 3 }, new Map([[broken, 'fail' as const]]));
  const attempts = events.flatMap((e) => (e.type === 'testRetried' ? [e.result] : []));
  assert.deepEqual(attempts.map((r) => r.attempt), [1, 2, 3]);
  assert.deepEqual(events.flatMap((e) => (e.type === 'testRetried' ? [e.retriesLeft] : [])), [2, 1, 0]);
  const final = s.failures.find((f) => f.id === broken)!;
  assert.equal(final.attempt, 4);
  const workers = [...attempts.map((r) => r.worker), final.worker];
  for (let i = 1; i < workers.length; i++) assert.notEqual(workers[i], workers[i - 1], `attempt ${i + 1} ran where attempt ${i} failed: ${workers.join(', ')}`);
  assert.deepEqual(final.failedAttempts?.map((r) => r.attempt), [1, 2, 3]);
  assert.deepEqual([s.exitCode, s.flaky, s.retriedAttempts], [1, [], 3]);
  assert.equal(finishedIds(events).filter((id) => id === broken).length, 1);
  assert.equal(repository.attempts(run).length, 3);
  assert.equal(repository.results(run).filter((r) => r.testId === broken).length, 1);
  // Each attempt's place in its worker's sequence follows the order the worker ran them.
  for (const worker of ['a/0', 'b/0']) {
    const seqs = [...repository.results(run), ...repository.attempts(run)].filter((r) => r.worker === worker).map((r) => r.seq).sort((x, y) => x - y);
    assert.deepEqual(seqs, seqs.map((_, i) => i));
  }
});

test('without --retries a failure is final, and nothing is tried again', async () => {
  const { events, a, b, s } = await withRetries({}, new Map([[TESTS[2]!, 'fail' as const]]));
  assert.ok(!events.some((e) => e.type === 'testRetried'));
  assert.ok(![...a.runs, ...b.runs].some((r) => r.fresh));
  assert.deepEqual([s.exitCode, s.failures.map((f) => [f.id, f.attempt])], [1, [[TESTS[2], undefined]]]);
});
