// Workers and coordinators over real loopback WebSockets: a worker dialling a
// coordinator's acceptor with a token (and refused with a wrong one), and a coordinator
// dialling a listening worker.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TestServerClient, WS_PATH, WebSocketAcceptor, connectWebSocket } from '@baton/protocol';
import { WorkerServer, listenWorker, pythonTestServer, runWorker, testServerAdapter } from '@baton/worker';

const suite = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/python-worker');
const adapter = testServerAdapter(pythonTestServer({ testPath: 'tests', cwd: suite }));
const A = 'tests.test_quick.Quick.test_a';
const TOKEN = 'a-shared-secret';

/** A coordinator's acceptor on port 0 that runs `A` on the first worker and says Goodbye. */
async function coordinator(): Promise<{ url: string; session: Promise<{ slots: number; status: string | undefined }>; close(): void }> {
  let resolve!: (value: { slots: number; status: string | undefined }) => void;
  const session = new Promise<{ slots: number; status: string | undefined }>((r) => {
    resolve = r;
  });
  const acceptor = new WebSocketAcceptor({
    token: TOKEN,
    onTransport: async (transport) => {
      const worker = await TestServerClient.connect(transport, { log: () => undefined, expectToken: TOKEN });
      const [result] = await worker.run([A]).all();
      await worker.goodbye();
      resolve({ slots: worker.slots, status: result?.status });
    },
  });
  const http = createServer();
  http.on('upgrade', acceptor.handleUpgrade);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}${WS_PATH}`,
    session,
    close: () => {
      acceptor.close();
      http.close();
    },
  };
}

test('a worker dials the coordinator with its token, runs what it is sent and ends on Goodbye', async (t) => {
  const c = await coordinator();
  t.after(c.close);
  const ended = await runWorker({ adapter, slots: 2, log: () => undefined, connect: { url: c.url, token: TOKEN } });
  assert.deepEqual(ended, { state: 'closed' });
  assert.deepEqual(await c.session, { slots: 2, status: 'success' });
});

test('a wrong token is refused at once with BATON_WORKER_AUTH', async (t) => {
  const c = await coordinator();
  t.after(c.close);
  await assert.rejects(runWorker({ adapter, log: () => undefined, connect: { url: c.url, token: 'wrong', waitMs: 60_000 } }), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'BATON_WORKER_AUTH');
    assert.match(error.message, /refused this worker's token: pass the token the coordinator was started with/);
    return true;
  });
});

test('a coordinator that never comes up ends the dialling after the wait', async () => {
  const http = createServer();
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  await new Promise<void>((r) => http.close(() => r()));
  const retries: number[] = [];
  await assert.rejects(
    runWorker({ adapter, log: () => undefined, connect: { url: `ws://127.0.0.1:${port}${WS_PATH}`, waitMs: 300, backoffMs: 50, onRetry: (_e, ms) => retries.push(ms) } }),
    (error: Error & { code?: string }) => error.code === 'BATON_WORKER_CONNECT_TIMEOUT' && /within 0\.3 s/.test(error.message),
  );
  assert.ok(retries.length >= 2, `retried ${retries.length} times`);
  assert.deepEqual(retries.slice(0, 2), [50, 100]);
});

test('a listening worker serves a coordinator that dials it, and needs a token beyond loopback', async (t) => {
  const worker = await WorkerServer.start({ adapter, slots: 1, log: () => undefined });
  t.after(() => worker.close());
  await assert.rejects(listenWorker(worker, { host: '0.0.0.0', port: 0 }), (e: Error & { code?: string }) => e.code === 'BATON_PROTOCOL_TOKEN_REQUIRED');
  const listener = await listenWorker(worker, { host: '127.0.0.1', port: 0, token: TOKEN });
  t.after(() => listener.close());
  const client = await TestServerClient.connect(await connectWebSocket(listener.url, { token: TOKEN }), { log: () => undefined, expectToken: TOKEN });
  assert.equal(client.peer.digest, worker.hello.digest);
  assert.deepEqual(await client.list([A]), [A]);
  // One coordinator at a time.
  await assert.rejects(connectWebSocket(listener.url, { token: TOKEN }), /HTTP 503/);
  await client.goodbye();
});
