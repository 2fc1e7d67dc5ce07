import { Socket } from 'node:net';
import { RPC_FDS_ENV, streamTransport, type Transport } from '@baton/protocol';
import { WorkerError } from './errors.js';

/**
 * The channel a parent process handed this worker on two descriptors named in
 * `$BATON_RPC_FDS` ("READ_FD,WRITE_FD"), as `spawnTestServer` does. A CLI can so start a
 * local worker as a child with `spawnTestServer({ command: node, args: [bin, 'worker', …] })`
 * and drive it like any test server, death reports included. Rejects with
 * `BATON_WORKER_BAD_OPTION` when the variable is missing or malformed.
 */
export function inheritedTransport(env: NodeJS.ProcessEnv = process.env): Transport {
  const match = /^(\d+),(\d+)$/.exec(env[RPC_FDS_ENV] ?? '');
  if (match === null) {
    throw new WorkerError('BATON_WORKER_BAD_OPTION', `$${RPC_FDS_ENV} must name the channel's descriptors as "READ_FD,WRITE_FD", not '${env[RPC_FDS_ENV] ?? ''}'`);
  }
  const input = new Socket({ fd: Number(match[1]), readable: true, writable: false });
  const output = new Socket({ fd: Number(match[2]), readable: false, writable: true });
  return streamTransport(input, output);
}
