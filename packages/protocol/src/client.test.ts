import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestServerClient } from './client.js';
import { ProtocolError } from './errors.js';
import type { Message } from './messages.js';
import { RawPeer } from './test-support/raw-peer.js';
import { memoryPair } from './transports/memory.js';

/**
 * A minimal third-party server written from the draft spec alone: version 1 only, no
 * Error, no Cancel; it runs tests in the order asked and ignores messages it does not know.
 */
function draftServer(peer: RawPeer, m: Message): void {
  const ts = { seconds: 1_700_000_000, nanos: 0 };
  if (m.msg === 'Hello') peer.send({ msg: 'Hello', max: 1, min: 1 });
  if (m.msg === 'List') {
    for (const id of m.tests ?? ['t.a', 't.b']) peer.sendPacket({ testId: id, status: 'exists' });
    peer.send({ msg: 'Done', nonce: m.nonce });
  }
  if (m.msg === 'Run') {
    for (const id of m.tests ?? ['t.a', 't.b']) {
      peer.sendPacket({ testId: id, status: 'inprogress', timestamp: ts });
      peer.sendPacket({ testId: id, mimeType: 'text/plain', file: { name: 'stdout', content: new TextEncoder().encode(id) }, eof: true });
      peer.sendPacket({ testId: id, status: id.endsWith('fail') ? 'fail' : 'success', timestamp: ts });
    }
    peer.sendPacket({ file: { name: 'between-tests', content: new Uint8Array([1]) } });
    peer.send({ msg: 'Done', nonce: m.nonce });
  }
}

test('a version 1 server written from the draft alone: List and Run work, Cancel degrades, Ping is refused', async () => {
  const [a, b] = memoryPair();
  const raw = new RawPeer(b, (m, peer) => draftServer(peer, m));
  const strays: string[] = [];
  const client = await TestServerClient.connect(a, { log: () => undefined, onOutput: (o) => strays.push(o.attachment.name) });
  assert.equal(client.version, 1);
  assert.equal(client.slots, 1);
  assert.deepEqual(await client.list(), ['t.a', 't.b']);
  const results = await client.run(['t.fail', 't.a'], { timeout: 5 }).all();
  assert.deepEqual(results.map((r) => [r.id, r.status, Buffer.from(r.attachments[0]!.content).toString()]), [['t.fail', 'fail', 't.fail'], ['t.a', 'success', 't.a']]);
  assert.deepEqual(strays, ['between-tests']);
  assert.deepEqual(await client.cancel(['t.a']), []);
  await assert.rejects(client.ping(), (e: unknown) => e instanceof ProtocolError && e.code === 'BATON_PROTOCOL_UNSUPPORTED');
  // Version 1 has no timeout field and no Cancel or Ping: none went on the wire.
  assert.deepEqual(raw.messages.map((m) => m.msg), ['Hello', 'List', 'Run']);
  assert.equal((await raw.next('Run')).timeout, undefined);
  const closing = client.goodbye();
  await raw.next('Goodbye');
  raw.close();
  assert.equal(await closing, undefined);
});

test('results of concurrent Runs on a server with slots go to the Run that asked for them', async () => {
  const [a, b] = memoryPair();
  const runs: Extract<Message, { msg: 'Run' }>[] = [];
  const raw = new RawPeer(b, (m, peer) => {
    if (m.msg === 'Hello') peer.send({ msg: 'Hello', max: 2, min: 1, slots: 2 });
    if (m.msg === 'Run') runs.push(m);
    if (runs.length === 2 && m.msg === 'Run') {
      // Interleaved, as two slots would produce them.
      for (const [id, status] of [['x1', 'inprogress'], ['y1', 'inprogress'], ['y1', 'success'], ['x1', 'fail'], ['x2', 'success']] as const) {
        peer.sendPacket({ testId: id, status });
      }
      peer.send({ msg: 'Done', nonce: runs[1]!.nonce });
      peer.send({ msg: 'Done', nonce: runs[0]!.nonce });
    }
  });
  const client = await TestServerClient.connect(a, { log: () => undefined, heartbeat: false });
  assert.equal(client.slots, 2);
  const x = client.run(['x1', 'x2']);
  const y = client.run(['y1']);
  assert.deepEqual((await y.all()).map((r) => r.id), ['y1']);
  assert.deepEqual((await x.all()).map((r) => [r.id, r.status]), [['x1', 'fail'], ['x2', 'success']]);
  raw.close();
  const closed = await client.channel.closed;
  assert.equal(closed.error?.code, 'BATON_PROTOCOL_PEER_LOST');
});
