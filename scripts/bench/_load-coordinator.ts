// The coordinator side of `npm run bench -- load`, in a process of its own: the real
// Coordinator over a real SQLite repository (in `--dir`), accepting workers over real
// WebSockets on 127.0.0.1, port 0, as `baton run --listen` does. It prints the URL as one
// JSON line, waits for `--connections` workers before dispatching (`--min-workers`), and
// once the run is over prints its measurements as another JSON line: phases, its own CPU
// time (process.cpuUsage, so the workers' process is not in it), peak RSS and heap, and
// what the repository holds for the run, counted in SQL.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { Coordinator, type RunEvent } from '@baton/coordinator';
import { testListDigest, WebSocketAcceptor, WS_PATH } from '@baton/protocol';
import { resolvePlan } from '@baton/scheduler';
import { initRepository } from '@baton/store';
import { loadTestIds, parseFlags } from './_load-shared.js';

/** How often RSS and heap are sampled for their peaks (VmHWM gives the kernel's own RSS peak too). */
const SAMPLE_MS = 50;
/** Protocol log lines echoed to stderr; the rest are only counted. */
const LOG_SHOWN = 10;

const flags = parseFlags(process.argv.slice(2), ['tests', 'connections', 'dir', 'wait']);
const tests = Number(flags['tests']);
const connections = Number(flags['connections']);
const ids = loadTestIds(tests);

let peakRss = 0;
let peakHeap = 0;
const sample = () => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
};
const sampler = setInterval(sample, SAMPLE_MS);

/** Wall (performance.now) and CPU (µs) at a moment of the run. */
interface Mark {
  readonly at: number;
  readonly cpuUs: number;
  readonly rss: number;
  readonly heap: number;
}
/** Node's `--expose-gc`, which load.ts passes: heap figures without garbage not yet collected. */
const gc = (globalThis as { gc?: () => void }).gc;
const mark = (collect = false): Mark => {
  if (collect) gc?.();
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return { at: performance.now(), cpuUs: cpu.user + cpu.system, rss: memory.rss, heap: memory.heapUsed };
};

const counts = { joined: 0, runs: 0, dispatchedTests: 0, reclaims: 0, finished: 0, gone: 0, refused: 0, logLines: 0 };
const marks: Partial<Record<'start' | 'joined' | 'firstDispatch' | 'lastResult' | 'finished', Mark>> = {};
const emit = (event: RunEvent): void => {
  switch (event.type) {
    case 'workerJoined':
      // Collected, so that the heap then less the heap at the start is what the connections hold.
      if (++counts.joined === connections) marks.joined = mark(true);
      return;
    case 'testsDispatched':
      marks.firstDispatch ??= mark();
      counts.runs++;
      counts.dispatchedTests += event.tests.length;
      return;
    case 'testsReclaimed':
      counts.reclaims++;
      return;
    case 'testFinished':
      if (++counts.finished === tests) marks.lastResult = mark();
      return;
    case 'workerGone':
      counts.gone++;
      return;
    case 'workerRefused':
      counts.refused++;
      process.stderr.write(`coordinator: refused ${event.worker}: ${event.reason}\n`);
      return;
    default:
      return;
  }
};
const log = (line: string): void => {
  if (++counts.logLines <= LOG_SHOWN) process.stderr.write(`coordinator: ${line}\n`);
};

const { repository } = initRepository({ cwd: flags['dir']! });
const coordinator = new Coordinator({
  segments: resolvePlan(undefined, ids),
  repository,
  profile: 'default',
  reporters: [{ onEvent: emit }],
  testListDigest: testListDigest(ids),
  discovery: ids,
  minWorkers: connections,
  waitMs: Number(flags['wait']) * 1000,
  log,
});
const acceptor = new WebSocketAcceptor({
  onTransport: (transport) => {
    coordinator.accept(transport).catch((error: Error) => log(`a worker's handshake failed: ${error.message}`));
  },
  log,
});
const server = createServer((_req, res) => res.writeHead(426).end());
server.on('upgrade', acceptor.handleUpgrade);
// Above node's default of 511, so that a burst of connections is not dropped to a SYN retry.
await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, resolve));
const port = (server.address() as AddressInfo).port;

sample();
marks.start = mark(true);
const run = coordinator.start();
process.stdout.write(`${JSON.stringify({ url: `ws://127.0.0.1:${port}${WS_PATH}` })}\n`);
const summary = await coordinator.finished;
marks.finished = mark();
clearInterval(sampler);
sample();
acceptor.close();
await new Promise<void>((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
});
repository.close();

const db = new Database(repository.file, { readonly: true });
const stored = db.prepare('SELECT COUNT(*) AS rows, COUNT(DISTINCT test) AS distinct_tests FROM results WHERE run = ?').get(run) as { rows: number; distinct_tests: number };
const complete = (db.prepare('SELECT complete FROM runs WHERE id = ?').get(run) as { complete: number }).complete === 1;
db.close();
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(
  `${JSON.stringify({
    exitCode: summary.exitCode,
    problem: summary.infrastructureProblem,
    notRun: summary.notRun.length,
    counts,
    marks,
    peakRss,
    peakHeap,
    vmHwm: hwm ? Number(hwm[1]) * 1024 : undefined,
    stored: { rows: stored.rows, distinct: stored.distinct_tests, complete },
  })}\n`,
);
