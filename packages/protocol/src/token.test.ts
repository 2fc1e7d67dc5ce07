import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopback, requireTokenBeyondLoopback } from './token.js';

test('a listener beyond loopback needs a token; on loopback, by any of its names, it does not', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) {
    assert.equal(isLoopback(host), true, host);
    requireTokenBeyondLoopback(host, false);
  }
  for (const host of ['0.0.0.0', '::', '10.0.0.7', 'build-7.example', '127.0.0.1.example', '']) {
    assert.equal(isLoopback(host), false, host);
    requireTokenBeyondLoopback(host, true);
    assert.throws(() => requireTokenBeyondLoopback(host, false), (e: Error & { code?: string }) => e.code === 'BATON_PROTOCOL_TOKEN_REQUIRED');
  }
});
