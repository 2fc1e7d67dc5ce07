import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';

/**
 * The tags a forked test server opens its three connections with (python/baton_server/
 * `forkserver.py` TAGS): its stdout, its stderr and its RPC channel.
 */
const TAGS = { 'out\n': 'stdout', 'err\n': 'stderr', 'rpc\n': 'rpc' } as const;
const TAG_BYTES = 4;

export type ChildSockets = Record<(typeof TAGS)[keyof typeof TAGS], Socket>;

/** A Unix socket that one forked test server connects its streams to. */
export interface ChildListener {
  /** Resolves once all three streams connected, each with its tag read off. */
  readonly sockets: Promise<ChildSockets>;
  /** Stops listening (removing the socket file) and drops streams not handed out. */
  close(): void;
}

/**
 * Listens on `path` for the connections of one forked test server. The path lies in a
 * directory only this user can enter, so whoever connects is that child (or another
 * process of ours, which has no reason to).
 */
export async function listenForChild(path: string): Promise<ChildListener> {
  const server = createServer();
  const pending = new Set<Socket>();
  let handedOut = false;
  const sockets = new Promise<ChildSockets>((resolve) => {
    const got: Partial<ChildSockets> = {};
    server.on('connection', (socket) => {
      pending.add(socket);
      // A child killed while it writes may reset its streams: that ends them like a close,
      // and its exit report tells what happened.
      socket.on('error', () => undefined);
      const onReadable = (): void => {
        const tag = socket.read(TAG_BYTES) as Buffer | null;
        if (tag === null) return;
        socket.off('readable', onReadable);
        const stream = TAGS[tag.toString('latin1') as keyof typeof TAGS];
        if (stream === undefined || got[stream] !== undefined) {
          socket.destroy();
          return;
        }
        // With the 'readable' listener gone, the stream flows to whoever adds 'data'.
        got[stream] = socket;
        if (got.stdout && got.stderr && got.rpc) {
          handedOut = true;
          resolve(got as ChildSockets);
        }
      };
      socket.on('readable', onReadable);
    });
  });
  server.listen(path);
  await once(server, 'listening');
  return {
    sockets,
    close() {
      server.close();
      if (!handedOut) for (const socket of pending) socket.destroy();
    },
  };
}
