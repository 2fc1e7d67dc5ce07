import { createHash, timingSafeEqual } from 'node:crypto';
import { ProtocolError } from './errors.js';

/**
 * Whether `given` is the expected secret, in time that does not depend on where they
 * differ: both are hashed first, so the compared buffers always have equal lengths and
 * the comparison leaks neither the content nor the length of the secret.
 */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The rule of every baton listener (a coordinator's, a worker's, the dashboard's): one
 * that reaches beyond this machine needs a shared secret, so that nobody on the network
 * joins a run, drives a worker or reads the repository. Throws
 * `BATON_PROTOCOL_TOKEN_REQUIRED` for `host` beyond loopback without a token.
 */
export function requireTokenBeyondLoopback(host: string, hasToken: boolean): void {
  if (hasToken || isLoopback(host)) return;
  throw new ProtocolError(
    'BATON_PROTOCOL_TOKEN_REQUIRED',
    `listening on ${host} reaches beyond this machine: give a shared secret with --token-file, or listen on 127.0.0.1`,
  );
}
