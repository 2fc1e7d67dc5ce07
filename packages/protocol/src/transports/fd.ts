import type { Readable, Writable } from 'node:stream';
import type { Transport } from '../transport.js';

/**
 * The environment variable that tells a test server where its channel is:
 * "READ_FD,WRITE_FD" (the server reads commands from the first and writes to the second).
 */
export const RPC_FDS_ENV = 'BATON_RPC_FDS';

/** The descriptors `spawnTestServer` gives a child: stdin, stdout and stderr stay 0-2. */
export const CHILD_RPC_FDS = '3,4';

/**
 * A transport over a pair of byte streams, such as the dedicated pipes of a local test
 * server (`child.stdio[4]` in, `child.stdio[3]` out). Never use the child's stdout or
 * stdin: tests print and read there.
 */
export function streamTransport(input: Readable, output: Writable): Transport {
  let closed = false;
  let closeCb: ((error?: Error) => void) | undefined;
  let reported = false;
  const report = (error?: Error): void => {
    closed = true;
    if (reported) return;
    reported = true;
    closeCb?.(error);
  };
  input.once('end', () => report());
  input.once('close', () => report());
  input.on('error', (error) => report(error));
  // A peer that exits while we write makes EPIPE here; the input's end reports the close.
  output.on('error', (error) => report(error));
  return {
    send(bytes) {
      if (closed) return Promise.reject(new Error('the channel stream is closed'));
      return new Promise((resolve, reject) => {
        output.write(bytes, (error) => (error ? reject(error) : resolve()));
      });
    },
    onData(cb) {
      input.on('data', (chunk: Buffer) => cb(chunk));
    },
    onClose(cb) {
      closeCb = cb;
    },
    close() {
      if (closed) return;
      closed = true;
      // After our last bytes are out, stop reading too: the close is reported at once
      // instead of whenever the peer gets round to closing its end.
      output.end(() => input.destroy());
    },
  };
}
