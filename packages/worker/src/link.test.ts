// A WorkerServer linked in-process (`baton run -j N`), with the real Python reference test
// server in each slot: what a coordinator sees through the link must be what it would see
// through a channel.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { memoryPair, WORKER_LEAVING, type WorkerLink } from '@baton/protocol';
import type { StrayOutput, TestResult } from '@baton/subunit';
import type { AdapterFactory } from './adapter.js';
import { WorkerServer } from './server.js';
import { pythonTestServer, testServerAdapter } from './testserver-adapter.js';
import { SUITE_DIR, T, signalPath } from './test-support/coordinator.js';

const signal = signalPath();
const adapter = testServerAdapter(pythonTestServer({ testPath: 'tests', cwd: SUITE_DIR, env: { ...process.env, BATON_WORKER_SIGNAL: signal } }));
let worker: WorkerServer;

before(async () => {
  worker = await WorkerServer.start({ adapter, slots: 2, name: 'inproc', log: () => undefined });
});
after(() => worker.close());

/** A link with every hook recorded, in order. */
function linked(): { link: WorkerLink; events: string[]; results: Map<string, TestResult>; outputs: StrayOutput[]; notices: string[] } {
  const link = worker.link();
  const events: string[] = [];
  const results = new Map<string, TestResult>();
  const outputs: StrayOutput[] = [];
  const notices: string[] = [];
  link.setHooks({
    onTestStart: (id) => events.push(`start ${id}`),
    onResult: (result) => {
      events.push(`result ${result.id}`);
      results.set(result.id, result);
    },
    onOutput: (output) => outputs.push(output),
    onNotice: (code) => notices.push(code),
  });
  return { link, events, results, outputs, notices };
}

test('the link says what Hello would, and the worker serves no one else meanwhile', async () => {
  const { link } = linked();
  assert.deepEqual({ name: link.peer.name, slots: link.slots, digest: link.peer.digest }, worker.hello);
  assert.throws(() => worker.link(), (e: Error & { code?: string }) => e.code === 'BATON_WORKER_BUSY');
  const [a] = memoryPair();
  await assert.rejects(worker.serve(a), (e: Error & { code?: string }) => e.code === 'BATON_WORKER_BUSY');
  await link.goodbye();
  assert.equal(await link.ended, undefined, 'a goodbye is not a loss');
  // Free again once the link ended.
  const again = worker.link();
  await again.goodbye();
});

test('Runs on two slots: starts before results, routed and tagged by slot as a channel would send them', async () => {
  const { link, events, results } = linked();
  const slow = link.submit([T.waits, T.d], { slot: 0 });
  await until(() => events.includes(`start ${T.waits}`));
  await link.submit([T.c, T.a], { slot: 1 });
  assert.equal(results.has(T.waits), false, 'slot 1 finished while slot 0 still runs');
  writeFileSync(signal, '');
  await slow;
  for (const [id, slot] of [[T.c, '1'], [T.a, '1'], [T.waits, '0'], [T.d, '0']] as const) {
    const result = results.get(id)!;
    assert.equal(result.status, 'success', id);
    assert.equal(result.routeCode, slot);
    assert.ok(result.tags.includes(`worker-${slot}`), `${id} tags ${result.tags.join(',')}`);
    assert.ok(events.indexOf(`start ${id}`) < events.indexOf(`result ${id}`));
  }
  await assert.rejects(link.submit([T.a], { slot: 2 }), (e: Error & { code?: string }) => e.code === 'BATON_PROTOCOL_BAD_MESSAGE' && /slots 0\.\.1/.test(e.message));
  await link.goodbye();
});

test('fd-level output of a test comes as stray output on its slot', async () => {
  const { link, outputs } = linked();
  await link.submit([T.fdOutput], { slot: 1 });
  await until(() => outputs.some((o) => Buffer.from(o.attachment.content).toString().includes('stray on fd 1')));
  assert.equal(outputs.find((o) => o.attachment.name === 'stdout')?.routeCode, '1');
  await link.goodbye();
});

test('cancel takes back what has not started; leaving announces itself and ends the link once idle', async () => {
  const { link, results, events, notices } = linked();
  const run = link.submit([T.a, T.b, T.c, T.d], { slot: 0 });
  const taken = await link.cancel([T.c, T.d]);
  await run;
  assert.deepEqual(new Set([...results.keys(), ...taken]), new Set([T.a, T.b, T.c, T.d]), 'every test ran or was taken back');
  assert.ok(taken.every((id) => !events.includes(`start ${id}`)), 'a cancelled test never started');

  worker.leave('the machine is going away');
  assert.deepEqual(notices, [WORKER_LEAVING]);
  assert.equal(await link.ended, undefined);
  await assert.rejects(link.submit([T.a], {}), (e: Error & { code?: string }) => e.code === 'BATON_PROTOCOL_NOT_READY');
});

test('leaving in the middle of a unit: a Cancel of whole units gives back none of the unit that runs, which finishes before the link ends', async () => {
  const own = signalPath();
  const leaving = await WorkerServer.start({
    adapter: testServerAdapter(pythonTestServer({ testPath: 'tests', cwd: SUITE_DIR, env: { ...process.env, BATON_WORKER_SIGNAL: own } })),
    slots: 1,
    name: 'leaving',
    log: () => undefined,
  });
  try {
    const link = leaving.link();
    const events: string[] = [];
    const notices: string[] = [];
    link.setHooks({
      onTestStart: (id) => events.push(`start ${id}`),
      onResult: (result) => events.push(`${result.status} ${result.id}`),
      onNotice: (code) => notices.push(code),
    });
    const unit = link.submit([T.waits, T.a, T.b], { slot: 0 });
    const next = link.submit([T.c, T.d], { slot: 0 });
    await until(() => events.includes(`start ${T.waits}`));
    leaving.leave('the machine is going away');
    assert.deepEqual(notices, [WORKER_LEAVING]);
    // What a coordinator does on that notice: it takes back the units that have not started.
    assert.deepEqual(await link.cancel([T.waits, T.a, T.b, T.c, T.d], { groups: [3, 2] }), [T.c, T.d]);
    await next;
    writeFileSync(own, '');
    await unit;
    assert.equal(await link.ended, undefined);
    assert.deepEqual(events, [`start ${T.waits}`, `success ${T.waits}`, `start ${T.a}`, `success ${T.a}`, `start ${T.b}`, `success ${T.b}`]);
  } finally {
    await leaving.close();
  }
});

test("a link made to close on goodbye starts stopping the slots' test servers before the goodbye returns", async () => {
  const closed: number[] = [];
  // The real adapters, with their closes recorded.
  const recording: AdapterFactory = async (context) => {
    const real = await adapter(context);
    return {
      list: () => real.list(),
      run: (tests, options) => real.run(tests, options),
      cancel: (tests) => real.cancel(tests),
      kill: () => real.kill(),
      close: () => {
        closed.push(context.slot);
        return real.close();
      },
    };
  };
  const kept = await WorkerServer.start({ adapter: recording, slots: 2, name: 'kept', log: () => undefined });
  await kept.link().goodbye();
  assert.deepEqual(closed, [], 'a plain link leaves the worker serving');
  const once = await WorkerServer.start({ adapter: recording, slots: 2, name: 'once', log: () => undefined });
  const link = once.link({ closeOnGoodbye: true });
  // A test on each slot: both adapters are up, as at the end of a run.
  await Promise.all([link.submit([T.a], { slot: 0 }), link.submit([T.b], { slot: 1 })]);
  const goodbye = link.goodbye();
  assert.deepEqual(closed.sort(), [0, 1], 'both slots were closing before the goodbye was awaited');
  await goodbye;
  assert.equal(once.close(), once.close(), 'a later close is the same close');
  await Promise.all([once.close(), kept.close()]);
  assert.deepEqual(closed.sort(), [0, 0, 1, 1]);
});

test('start waits for slot 0 only: a Run on a slot still starting waits for it, and a first start that fails is retried', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let slot1Starts = 0;
  const logs: string[] = [];
  const gated: AdapterFactory = async (context) => {
    if (context.slot === 1 && ++slot1Starts === 1) {
      await gate;
      throw new Error('slot 1 could not start this time');
    }
    return adapter(context);
  };
  const own = await WorkerServer.start({ adapter: gated, slots: 2, name: 'gated', log: (line) => logs.push(line) });
  try {
    assert.equal(own.hello.slots, 2);
    const link = own.link();
    const results = new Map<string, TestResult>();
    link.setHooks({ onResult: (result) => results.set(result.id, result) });
    await link.submit([T.a], { slot: 0 });
    const waiting = link.submit([T.b], { slot: 1 });
    assert.equal(results.has(T.b), false, 'slot 1 holds its Run while its adapter starts');
    release();
    await waiting;
    assert.equal(results.get(T.b)?.status, 'success');
    assert.equal(slot1Starts, 2, 'the failed first start was retried');
    assert.ok(logs.some((line) => line.includes('slot 1 could not start this time')), logs.join('\n'));
    await link.goodbye();
  } finally {
    release();
    await own.close();
  }
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; !check(); i++) {
    if (i > 1000) assert.fail('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
