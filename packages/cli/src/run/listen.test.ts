import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectWebSocket } from '@baton/protocol';
import { checkListen, listenForPeers, parseListen } from './listen.js';

test('--listen binds loopback unless an interface is named', () => {
  assert.deepEqual(parseListen('7700'), { host: '127.0.0.1', port: 7700 });
  assert.deepEqual(parseListen(':7700'), { host: '127.0.0.1', port: 7700 });
  assert.deepEqual(parseListen('0.0.0.0:7700'), { host: '0.0.0.0', port: 7700 });
  assert.deepEqual(parseListen('[::1]:7700'), { host: '::1', port: 7700 });
  assert.throws(() => parseListen('host:port'), (e: Error & { code?: string }) => e.code === 'BATON_CLI_USAGE' && /--listen takes HOST:PORT/.test(e.message));
  // Beyond loopback only with a token.
  assert.deepEqual(checkListen(':0', undefined), { host: '127.0.0.1', port: 0 });
  assert.throws(() => checkListen('0.0.0.0:0', undefined), (e: Error & { code?: string }) => e.code === 'BATON_PROTOCOL_TOKEN_REQUIRED');
});

test('a listening coordinator logs a refused token once, naming the address and not the token', async (t) => {
  const lines: string[] = [];
  const listener = await listenForPeers({ listen: '0', token: 'the-right-secret-0123456789', tlsCert: undefined, tlsKey: undefined, cwd: process.cwd(), log: (l) => lines.push(l), onTransport: () => assert.fail('no peer gets in') });
  t.after(() => listener.close());
  assert.match(listener.url, /^ws:\/\/127\.0\.0\.1:\d+\/baton\/rpc$/);
  await assert.rejects(connectWebSocket(listener.url, { token: 'a-wrong-secret-9876543210' }), (e: Error & { code?: string }) => e.code === 'BATON_PROTOCOL_AUTH');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^refused a connection from 127\.0\.0\.1:\d+: it sent a wrong bearer token \(HTTP 401 Unauthorized\)$/);
});
