// The TypeScript client driving the Python reference test server (packages/worker/python) as
// real processes over the dedicated-descriptor channel.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  NoCommonVersionError,
  PeerDiedError,
  ProtocolError,
  RPC_TEST_ID,
  TIMEOUT_ATTACHMENT,
  decodeMessage,
  encodeMessage,
  isRpcPacket,
  spawnTestServer,
  type Message,
  testListDigest,
  type SpawnTestServerOptions,
  type TestServerClient,
} from '@baton/protocol';
import { StreamDecoder, TEXT_MIME_TYPE, encodePacket, type TestResult } from '@baton/subunit';
import { PYTHON_ADAPTER_DIR } from '@baton/worker';
import { tempDir } from '../packages/cli/src/test-support/run-baton.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const suite = join(root, 'test/fixtures/python-suite');
const python = process.env['BATON_TEST_PYTHON'] ?? 'python3';
const signalFile = join(tempDir('baton-protocol-'), 'go');

const T = {
  pass: 'tests.test_outcomes.Outcomes.test_pass',
  fail: 'tests.test_outcomes.Outcomes.test_fail',
  error: 'tests.test_outcomes.Outcomes.test_error',
  skip: 'tests.test_outcomes.Outcomes.test_skip',
  xfail: 'tests.test_outcomes.Outcomes.test_xfail',
  uxsuccess: 'tests.test_outcomes.Outcomes.test_uxsuccess',
  subtests: 'tests.test_outcomes.Outcomes.test_subtests',
  prints: 'tests.test_outcomes.Outcomes.test_prints',
  brokenFixture: 'tests.test_outcomes.BrokenFixture.test_never_runs',
  garbage: 'tests.test_hostile.Hostile.test_binary_garbage',
  exit: 'tests.test_hostile.Hostile.test_exit',
  waits: 'tests.test_hostile.Hostile.test_waits_for_signal_file',
  sleeps: 'tests.test_hostile.Hostile.test_sleeps_forever',
  ignoresAlarm: 'tests.test_hostile.Hostile.test_ignores_alarm',
  a: 'tests.test_quick.Quick.test_a',
  b: 'tests.test_quick.Quick.test_b',
  c: 'tests.test_quick.Quick.test_c',
};

const clients: TestServerClient[] = [];
// A failed assertion must not leave a server process holding the test run open.
after(() => clients.forEach((c) => c.close()));

async function start(serverArgs: string[] = [], options: Partial<SpawnTestServerOptions> = {}): Promise<TestServerClient> {
  const client = await spawnTestServer({
    command: python,
    args: ['-m', 'baton_server', '--test-path', 'tests', '--top-dir', '.', ...serverArgs],
    cwd: suite,
    env: { ...process.env, PYTHONPATH: PYTHON_ADAPTER_DIR, BATON_FIXTURE_SIGNAL: signalFile },
    log: () => undefined,
    ...options,
  });
  clients.push(client);
  return client;
}

const text = (r: TestResult | undefined, name: string): string | undefined => {
  const a = r?.attachments.find((x) => x.name === name);
  return a && Buffer.from(a.content).toString('utf8');
};

/** Collects results until the run ends, returning them with the error that ended it. */
async function drain(results: AsyncIterable<TestResult>): Promise<{ results: TestResult[]; error: unknown }> {
  const out: TestResult[] = [];
  try {
    for await (const r of results) out.push(r);
  } catch (error) {
    return { results: out, error };
  }
  return { results: out, error: undefined };
}

test('Hello, List, Run and Goodbye against the Python server', async () => {
  const client = await start();
  assert.equal(client.version, 2);
  assert.equal(client.slots, 1);
  assert.match(client.peer.name ?? '', /^python-unittest .* pid \d+$/);

  const ids = await client.list();
  assert.ok(ids.includes(T.pass) && ids.includes(T.c), ids.join('\n'));
  assert.equal(client.peer.digest, testListDigest(ids));
  assert.deepEqual(await client.list([T.b, 'no.such.test', T.a]), [T.b, T.a]);

  // Discovery order, the only order a test server process runs tests in.
  const order = [T.brokenFixture, T.error, T.fail, T.pass, T.prints, T.skip, T.subtests, T.uxsuccess, T.xfail, T.a, T.b, T.c];
  const results = await client.run(order).all();
  const byId = new Map(results.map((r) => [r.id, r]));
  assert.deepEqual(
    results.filter((r) => order.includes(r.id)).map((r) => r.id),
    order,
  );
  assert.deepEqual(
    order.map((id) => byId.get(id)?.status),
    ['fail', 'fail', 'fail', 'success', 'success', 'skip', 'fail', 'uxsuccess', 'xfail', 'success', 'success', 'success'],
  );
  assert.match(text(byId.get(T.fail), 'traceback') ?? '', /AssertionError: 1 != 2/);
  assert.match(text(byId.get(T.error), 'traceback') ?? '', /RuntimeError: boom/);
  assert.match(text(byId.get(T.xfail), 'traceback') ?? '', /AssertionError: False is not true/);
  assert.equal(text(byId.get(T.skip), 'reason'), 'not today');
  assert.match(text(byId.get(T.subtests), 'traceback (i=1)') ?? '', /AssertionError: 1 == 1/);
  assert.equal(text(byId.get(T.prints), 'stdout'), 'to stdout\n');
  assert.equal(text(byId.get(T.prints), 'stderr'), 'to stderr\n');
  // The Python server spells the text mime type as @baton/subunit does.
  assert.equal(byId.get(T.prints)!.attachments.find((a) => a.name === 'stdout')?.mimeType, TEXT_MIME_TYPE);
  assert.equal(text(byId.get(T.brokenFixture), 'reason'), 'not run: setUpClass (tests.test_outcomes.BrokenFixture) failed: RuntimeError: setUpClass broke');
  assert.match(text(byId.get('setUpClass (tests.test_outcomes.BrokenFixture)'), 'traceback') ?? '', /Traceback .*\n.*setUpClass\n[^]*RuntimeError: setUpClass broke/);
  const timed = byId.get(T.pass)!;
  assert.ok(timed.start && timed.stop && timed.start.seconds > 1.6e9 && timed.stop.seconds >= timed.start.seconds);

  assert.deepEqual(await client.goodbye(), { exitCode: 0, signal: null });
  assert.equal(client.channel.state, 'closed');
});

test('binary garbage on stdout is captured as an attachment and never reaches the channel', async () => {
  const strays: string[] = [];
  const client = await start([], { onStdout: (d) => strays.push(d.toString('latin1')) });
  const results = await client.run([T.garbage, T.a]).all();
  assert.deepEqual(results.map((r) => [r.id, r.status]), [[T.garbage, 'success'], [T.a, 'success']]);
  const stdout = results[0]!.attachments.find((a) => a.name === 'stdout')!;
  assert.equal(stdout.mimeType, 'application/octet-stream');
  assert.equal(
    Buffer.from(stdout.content).toString('hex'),
    'b32903150c666f7267652e742e746573746494bf14' + 'b329ff00' + Buffer.from('garbage').toString('hex') + 'fe' + Buffer.from('and text\n').toString('hex'),
  );
  assert.deepEqual(await client.goodbye(), { exitCode: 0, signal: null });
  // Output written to file descriptor 1 directly bypasses sys.stdout: the worker gets it as stray output.
  assert.equal(strays.join(''), 'fd-level \u00b3 noise\n');
});

test('a test that kills its server: the client names the test that was running and how the server died', async () => {
  const client = await start();
  const { results, error } = await drain(client.run([T.garbage, T.exit, T.b]));
  assert.deepEqual(results.map((r) => [r.id, r.status]), [[T.garbage, 'success']]);
  assert.ok(error instanceof PeerDiedError, String(error));
  assert.equal(error.code, 'BATON_PROTOCOL_PEER_DIED');
  assert.deepEqual(error.running, [T.exit]);
  assert.deepEqual(error.exit, { exitCode: 3, signal: null });
  assert.equal(error.message, `the test server died (exit code 3) while running ${T.exit}`);
  assert.equal(client.channel.state, 'lost');
  await assert.rejects(client.list(), (e: unknown) => e === error);
});

test('Ping is answered and Cancel takes back unstarted tests while a long test runs', async () => {
  let started!: () => void;
  const waiting = new Promise<void>((resolve) => (started = resolve));
  const client = await start([], { onTestStart: (id) => id === T.waits && started() });
  const run = client.run([T.waits, T.a, T.b, T.c]);
  await waiting;
  for (let i = 0; i < 3; i++) assert.ok((await client.ping()) >= 0);
  assert.deepEqual(client.running, [T.waits]);
  const taken = await client.cancel([T.c, T.waits, 'no.such.test', T.b]);
  assert.deepEqual(taken.sort(), [T.b, T.c]);
  writeFileSync(signalFile, '');
  const results = await run.all();
  assert.deepEqual(results.map((r) => [r.id, r.status]), [[T.waits, 'success'], [T.a, 'success']]);
  await client.goodbye();
});

test('a process never goes back in discovery order: a test at or before one it ran fails unrun, naming both', async () => {
  const client = await start();
  assert.deepEqual((await client.run([T.b]).all()).map((r) => [r.id, r.status]), [[T.b, 'success']]);
  const results = await client.run([T.a, T.b, T.c]).all();
  assert.deepEqual(results.map((r) => [r.id, r.status]), [[T.a, 'fail'], [T.b, 'fail'], [T.c, 'success']]);
  assert.equal(
    text(results[0], 'reason'),
    `not run: out of discovery order: this test server process already ran ${T.b}, which discovery lists at or after ${T.a}; a process runs its tests in discovery order only (the worker should have sent this test to a fresh test server)`,
  );
  await client.goodbye();
});

test('Cancel takes back each group whole or not at all: nothing of a group whose first test runs', async () => {
  let started!: () => void;
  const waiting = new Promise<void>((resolve) => (started = resolve));
  const signal = join(tempDir('baton-protocol-'), 'go');
  const client = await start([], { onTestStart: (id) => id === T.waits && started(), env: { ...process.env, PYTHONPATH: PYTHON_ADAPTER_DIR, BATON_FIXTURE_SIGNAL: signal } });
  const run = client.run([T.waits, T.a, T.b, T.c]);
  await waiting;
  assert.deepEqual(await client.cancel([T.waits, T.a, T.b, T.c], { groups: [2, 2] }), [T.b, T.c]);
  await assert.rejects(
    client.channel.request({ msg: 'Cancel', tests: [T.a], groups: [2] }),
    (e: unknown) => e instanceof ProtocolError && e.code === 'BATON_PROTOCOL_BAD_MESSAGE' && /Cancel\.groups must add up to the 1 tests of the Cancel, not 2/.test(e.message),
  );
  writeFileSync(signal, '');
  assert.deepEqual((await run.all()).map((r) => [r.id, r.status]), [[T.waits, 'success'], [T.a, 'success']]);
  await client.goodbye();
});

test('a per-test timeout fails the stuck test and the server carries on', async () => {
  const client = await start();
  const results = await client.run([T.sleeps, T.a], { timeout: 0.3 }).all();
  assert.deepEqual(results.map((r) => [r.id, r.status]), [[T.sleeps, 'fail'], [T.a, 'success']]);
  assert.equal(text(results[0], TIMEOUT_ATTACHMENT), 'timed out after 0.3s');
  assert.match(text(results[0], 'traceback') ?? '', /TestTimeout: the test exceeded its timeout/);
  assert.ok((await client.ping()) >= 0);
  await client.goodbye();
});

test('a test the server cannot interrupt is killed after the grace period', async () => {
  const client = await start([], { killGraceMs: 100 });
  const { results, error } = await drain(client.run([T.ignoresAlarm, T.a], { timeout: 0.2 }));
  assert.deepEqual(results, []);
  assert.ok(error instanceof PeerDiedError, String(error));
  assert.deepEqual(error.running, [T.ignoresAlarm]);
  assert.deepEqual(error.exit, { exitCode: null, signal: 'SIGKILL' });
  assert.match(error.message, new RegExp(`^the test server was killed: test ${T.ignoresAlarm} ran past its timeout of 0.2s and did not stop \\(signal SIGKILL\\)`));
});

for (const [what, serverArgs, clientVersions, message] of [
  ['client newer than server', [], { min: 3, max: 4 }, 'this end speaks versions 3..4, the peer speaks versions 1..2'],
  ['server newer than client', ['--min-version', '3', '--max-version', '3'], undefined, 'this end speaks versions 1..2, the peer speaks version 3'],
] as const) {
  test(`version skew (${what}) is refused with both ranges named`, async () => {
    await assert.rejects(start([...serverArgs], clientVersions ? { versions: clientVersions } : {}), (e: unknown) => {
      assert.ok(e instanceof NoCommonVersionError, String(e));
      assert.equal(e.code, 'BATON_PROTOCOL_NO_COMMON_VERSION');
      assert.ok(e.message.includes(message), e.message);
      return true;
    });
  });
}

test('a version 1 server works at version 1; Cancel degrades and Ping is refused clearly', async () => {
  const client = await start(['--max-version', '1']);
  assert.equal(client.version, 1);
  assert.equal(client.peer.max, 1);
  assert.deepEqual(await client.list([T.a]), [T.a]);
  const results = await client.run([T.a, T.b]).all();
  assert.deepEqual(results.map((r) => r.id), [T.a, T.b]);
  assert.deepEqual(await client.cancel([T.c]), []);
  await assert.rejects(client.ping(), (e: unknown) => e instanceof ProtocolError && e.code === 'BATON_PROTOCOL_UNSUPPORTED');
  assert.deepEqual(await client.goodbye(), { exitCode: 0, signal: null });
});

test('a command that is not a test server: no Hello in time, exit before Hello, cannot start', async () => {
  await assert.rejects(
    start([], { command: python, args: ['-c', 'import time; time.sleep(600)'], helloTimeoutMs: 200 }),
    (e: unknown) => e instanceof ProtocolError && e.code === 'BATON_PROTOCOL_HELLO_TIMEOUT' && /no Hello from the peer within 200 ms/.test(e.message),
  );
  await assert.rejects(start([], { command: python, args: ['-c', 'import sys; sys.stderr.write("No module named baton_server\\n"); sys.exit(5)'] }), (e: unknown) => {
    assert.ok(e instanceof PeerDiedError, String(e));
    assert.equal(e.message, 'the test server exited before its Hello (exit code 5)\n--- stderr tail ---\nNo module named baton_server');
    return true;
  });
  await assert.rejects(
    start([], { command: join(suite, 'no-such-command') }),
    (e: unknown) => e instanceof ProtocolError && e.code === 'BATON_PROTOCOL_SPAWN_FAILED' && /ENOENT/.test(e.message),
  );
});

test('the Python server answers malformed, unknown and oversized messages with Error, and exits when its channel closes', async () => {
  const child = spawn(python, ['-m', 'baton_server', '--test-path', 'tests', '--top-dir', '.'], {
    cwd: suite,
    env: { ...process.env, PYTHONPATH: PYTHON_ADAPTER_DIR, BATON_RPC_FDS: '3,4' },
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
  });
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d));
  const received: Message[] = [];
  let wake: (() => void) | undefined;
  const decoder = new StreamDecoder({
    packet: (p) => {
      if (!isRpcPacket(p)) return;
      const decoded = decodeMessage(p);
      assert.ok(decoded.ok);
      received.push(decoded.message);
      wake?.();
    },
  });
  child.stdio[4]!.on('data', (d: Buffer) => decoder.push(d));
  const until = async (n: number): Promise<Message[]> => {
    while (received.length < n) await new Promise<void>((resolve) => (wake = resolve));
    return received.slice(0, n);
  };
  const send = (bytes: Uint8Array): void => void (child.stdio[3] as NodeJS.WritableStream).write(bytes);
  const json = (text: string): Uint8Array =>
    encodePacket({ testId: RPC_TEST_ID, mimeType: 'application/json', file: { name: 'message', content: new TextEncoder().encode(text) }, eof: true });

  send(encodeMessage({ msg: 'Run', nonce: 'too-early' }));
  send(encodeMessage({ msg: 'Hello', min: 1, max: 2 }));
  send(json('{"msg": "Run", "nonce": '));
  send(json('{"msg": "Explode", "nonce": "u1"}'));
  send(json(JSON.stringify({ msg: 'List', nonce: 'big', tests: ['x'.repeat(1024 * 1024)] })));
  send(json('{"msg": "Cancel", "nonce": "c1", "tests": "all"}'));
  send(encodeMessage({ msg: 'Ping', nonce: 'still-alive' }));
  const replies = await until(7);
  assert.deepEqual(
    replies.map((m) => (m.msg === 'Error' ? `Error ${m.code} ${m.nonce ?? '-'}` : m.msg)),
    [
      'Error BATON_PROTOCOL_BAD_MESSAGE too-early',
      'Hello',
      'Error BATON_PROTOCOL_BAD_MESSAGE -',
      'Error BATON_PROTOCOL_UNKNOWN_MESSAGE u1',
      'Error BATON_PROTOCOL_TOO_LARGE -',
      'Error BATON_PROTOCOL_BAD_MESSAGE c1',
      'Pong',
    ],
  );
  (child.stdio[3] as NodeJS.WritableStream).end();
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  assert.deepEqual([code, signal], [0, null]);
  const log = Buffer.concat(stderr).toString();
  assert.match(log, /^baton_server: BATON_PROTOCOL_UNKNOWN_MESSAGE: Explode is not a message this server takes at protocol version 2$/m);
  assert.match(log, /^baton_server: BATON_PROTOCOL_TOO_LARGE: message of \d+ bytes exceeds the limit of 1048576 bytes$/m);
});
