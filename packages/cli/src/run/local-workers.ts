import { WorkerServer, isolatedAdapter } from '@baton/worker';
import type { ProjectConfig } from '../config.js';
import { adapterFor } from './adapter.js';

/** The name local slots go by (`local/0`, `local/1`, …). */
export const LOCAL_WORKER_NAME = 'local';

/**
 * `-j N`: a worker inside this process with N slots, each keeping its own long-lived test
 * server (a child process, where tests run and crash). Nothing else is started: a worker
 * process per slot would add a node start-up per slot to every run and a relay hop to every
 * result, for no isolation the test servers do not already give. A slot whose test server
 * dies or times out records that test and carries on with a fresh server, as any worker's does.
 * Resolves once every slot's server is up and the tests are listed (`worker.tests`); the
 * coordinator drives it through `worker.link()`.
 */
export function startLocalWorker(jobs: number, config: ProjectConfig, log: (line: string) => void, isolated = false): Promise<WorkerServer> {
  // --isolated: every test in a fresh process of its own (isolatedAdapter).
  const adapter = isolated ? isolatedAdapter(adapterFor(config)) : adapterFor(config);
  return WorkerServer.start({ adapter, slots: jobs, name: LOCAL_WORKER_NAME, log });
}
