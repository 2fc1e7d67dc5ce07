import { connectWebSocket, sleep, systemClock, type Clock, type CloseInfo, type ProtocolError, type Transport } from '@baton/protocol';
import { WorkerError } from './errors.js';
import { WorkerServer, type ServeOptions, type WorkerServerOptions } from './server.js';

/** How long a worker keeps dialling a coordinator that is not up yet (`--wait`). */
export const CONNECT_WAIT_MS = 60_000;
/** The first pause between dials; it doubles up to CONNECT_BACKOFF_MAX_MS. */
export const CONNECT_BACKOFF_MS = 200;
export const CONNECT_BACKOFF_MAX_MS = 5_000;

export interface DialOptions {
  /** `ws://HOST:PORT/baton/rpc` or `wss://…` (the path is protocol's WS_PATH). */
  readonly url: string;
  /** The coordinator's shared secret, sent as a bearer token on the upgrade. */
  readonly token?: string;
  /** @default CONNECT_WAIT_MS */
  readonly waitMs?: number;
  /** @default CONNECT_BACKOFF_MS */
  readonly backoffMs?: number;
  /** @default CONNECT_BACKOFF_MAX_MS */
  readonly maxBackoffMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Each failed dial, before the pause. */
  readonly onRetry?: (error: ProtocolError, delayMs: number) => void;
  /** Stops dialling (`baton worker` got Ctrl-C): the dial rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Dials a coordinator, retrying with exponential backoff while it is not up yet. Rejects
 * with `BATON_WORKER_AUTH` at once when the token is refused (retrying cannot help), and
 * with `BATON_WORKER_CONNECT_TIMEOUT` once `waitMs` passed without a connection, and
 * with `signal`'s reason as soon as it is aborted.
 */
export async function dialCoordinator(options: DialOptions): Promise<Transport> {
  const clock = options.clock ?? systemClock;
  const waitMs = options.waitMs ?? CONNECT_WAIT_MS;
  const maxBackoffMs = options.maxBackoffMs ?? CONNECT_BACKOFF_MAX_MS;
  const deadline = clock.now() + waitMs;
  let delay = options.backoffMs ?? CONNECT_BACKOFF_MS;
  const { signal } = options;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const transport = await connectWebSocket(options.url, options.token === undefined ? {} : { token: options.token });
      if (signal?.aborted) {
        transport.close();
        signal.throwIfAborted();
      }
      return transport;
    } catch (error) {
      signal?.throwIfAborted();
      const cause = error as ProtocolError;
      if (cause.code === 'BATON_PROTOCOL_AUTH') {
        throw new WorkerError(
          'BATON_WORKER_AUTH',
          `the coordinator at ${options.url} refused this worker's token: pass the token the coordinator was started with (--token-file)`,
          { cause },
        );
      }
      const left = deadline - clock.now();
      if (left <= 0) {
        throw new WorkerError(
          'BATON_WORKER_CONNECT_TIMEOUT',
          `no coordinator accepted a connection at ${options.url} within ${waitMs / 1000} s (last error: ${cause.message}); is it running, and is --wait long enough?`,
          { cause },
        );
      }
      const pause = Math.min(delay, left);
      options.onRetry?.(cause, pause);
      await sleep(clock, pause, signal);
      delay = Math.min(delay * 2, maxBackoffMs);
    }
  }
}

/** Where `runWorker` gets its coordinator channel. */
export type WorkerConnection =
  /** `baton worker --connect`: dial out, retrying until the coordinator is up. */
  | { readonly connect: DialOptions }
  /** A transport already connected (a loopback WebSocket, fd pipes, memoryPair). */
  | { readonly transport: Transport };

export type RunWorkerOptions = WorkerServerOptions & WorkerConnection & { readonly serve?: ServeOptions };

/**
 * A whole worker's life for one coordinator: starts the adapters of every slot, connects,
 * serves until Goodbye or the channel's loss, then stops the adapters. Resolves with how
 * the channel ended (`lost` with the error when the coordinator refused this worker or
 * vanished); rejects with a WorkerError when it could not start or connect.
 */
export async function runWorker(options: RunWorkerOptions): Promise<CloseInfo> {
  const worker = await WorkerServer.start(options);
  // The token the worker dials with is the one the coordinator's Hello must carry, and ours.
  const token = 'connect' in options ? options.connect.token : undefined;
  const serve = token === undefined ? options.serve : { expectToken: token, ...options.serve };
  try {
    const transport = 'transport' in options ? options.transport : await dialCoordinator(options.connect);
    return await worker.serve(transport, serve);
  } finally {
    await worker.close();
  }
}
