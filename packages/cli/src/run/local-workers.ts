import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CHILD_RPC_FDS, RPC_FDS_ENV, streamTransport, type Transport } from '@baton/protocol';

/** The local worker's entry point (see local-worker.ts). */
const ENTRY = fileURLToPath(new URL('../local-worker.js', import.meta.url));
/** How long a local worker gets to exit after its channel closed before it is killed. */
export const LOCAL_WORKER_EXIT_MS = 10_000;

export interface LocalWorker {
  readonly name: string;
  readonly transport: Transport;
  readonly process: ChildProcess;
}

/**
 * Starts `count` worker processes (`local-worker.js`) in the project root,
 * each with one slot and its own long-lived test server, connected to this process by a
 * pair of dedicated pipes, never their stdout. Their stderr goes to `log`, a line at a
 * time.
 */
export function startLocalWorkers(count: number, root: string, python: string | undefined, log: (line: string) => void): LocalWorker[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `local-${i}`;
    const child = spawn(process.execPath, [ENTRY, name, '1', ...(python === undefined ? [] : [python])], {
      cwd: root,
      env: { ...process.env, [RPC_FDS_ENV]: CHILD_RPC_FDS },
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    let partial = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line) log(`[${name}] ${line}`);
    });
    child.once('error', (error) => log(`[${name}] cannot start: ${error.message}`));
    return { name, transport: streamTransport(child.stdio[4] as Readable, child.stdio[3] as Writable), process: child };
  });
}

/** Waits for local workers to exit, killing those that take longer than LOCAL_WORKER_EXIT_MS. */
export async function stopLocalWorkers(workers: readonly LocalWorker[]): Promise<void> {
  await Promise.all(
    workers.map(async ({ process: child, transport }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      transport.close();
      const timer = setTimeout(() => child.kill('SIGKILL'), LOCAL_WORKER_EXIT_MS);
      await once(child, 'exit');
      clearTimeout(timer);
    }),
  );
}
