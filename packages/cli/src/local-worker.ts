#!/usr/bin/env node
// The entry point of a local worker process that `baton run -j N` starts: a worker
// serving its parent over the descriptors in $BATON_RPC_FDS. It is not `baton worker`
// so that each of the N processes starts without the command-line parser and the
// coordinator's dependencies: worker start-up is part of every run's wall time.
// Usage: local-worker.js NAME SLOTS [PYTHON] (in the project root; PYTHON is the
// interpreter the coordinator resolved, see withResolvedPython).
import { inheritedTransport, WorkerServer } from '@baton/worker';
import { loadProjectConfig } from './config.js';
import { adapterFor } from './run/adapter.js';

const [name = 'local', slots = '1', python] = process.argv.slice(2);
const log = (line: string): void => void process.stderr.write(`${line}\n`);
try {
  const config = loadProjectConfig(process.cwd());
  const adapter = python !== undefined && config.adapter.kind === 'python' ? { ...config, adapter: { ...config.adapter, python } } : config;
  const worker = await WorkerServer.start({ adapter: adapterFor(adapter), slots: Number(slots), name, log });
  try {
    await worker.serve(inheritedTransport());
  } finally {
    await worker.close();
  }
  process.exit(0);
} catch (error) {
  log(`cannot serve: ${(error as Error).message}`);
  process.exit(3);
}
