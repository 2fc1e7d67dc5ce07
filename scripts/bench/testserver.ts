// `npm run bench -- testserver [--rounds N]`: no-op tests per second through one
// long-lived Python test server (packages/worker/python), against what test servers replace:
// starting `python3 -m subunit.run` (Debian's python3-subunit) per test and per batch of
// 50. Every mode runs in each round, alternating, so machine noise hits all alike.
// Then the start-up of a worker's slots: test servers forked from one fork server that
// discovered the suite once (`pythonAdapter`) against one spawned per slot (`fork: false`).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnTestServer, type TestServerClient } from '@baton/protocol';
import { aggregate, decodeAll } from '@baton/subunit';
import { PYTHON_ADAPTER_DIR, WorkerServer, pythonAdapter } from '@baton/worker';
import { median, rate, ratio, table } from './_table.js';

const PYTHON = '/usr/bin/python3';
const CLASSES = 40;
const PER_CLASS = 50;
/** Tests started one process each per round: each costs a whole interpreter start. */
const PER_TEST_PROCESSES = 6;
const BATCH = 50;
/** Batches of 50 started as one process each per round. */
const BATCH_PROCESSES = 4;
/** Slots of the start-up comparison: a small worker and `baton run -j 8`. */
const SLOT_COUNTS = [2, 8];

function parseArgs(args: string[]): { rounds: number } {
  const i = args.indexOf('--rounds');
  return { rounds: i === -1 ? 3 : Number(args[i + 1]) };
}

/** A suite of CLASSES × PER_CLASS no-op unittest tests; returns its ids. */
function writeSuite(dir: string): string[] {
  mkdirSync(join(dir, 'noop'));
  writeFileSync(join(dir, 'noop', '__init__.py'), '');
  const ids: string[] = [];
  for (let c = 0; c < CLASSES; c++) {
    const body = [`import unittest\n\n\nclass Noop${c}(unittest.TestCase):`];
    for (let t = 0; t < PER_CLASS; t++) {
      body.push(`    def test_${t}(self):\n        pass\n`);
      ids.push(`noop.test_noop${c}.Noop${c}.test_${t}`);
    }
    writeFileSync(join(dir, 'noop', `test_noop${c}.py`), body.join('\n'));
  }
  return ids;
}

/** Runs `python3 -m subunit.run ids…` and checks every test reported success. */
function subunitRun(cwd: string, ids: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-m', 'subunit.run', ...ids], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.once('error', reject);
    child.once('close', (code) => {
      const { results } = aggregate(decodeAll(Buffer.concat(out)).packets);
      const passed = results.filter((r) => r.status === 'success').length;
      if (code !== 0 || passed !== ids.length) {
        reject(new Error(`subunit.run exited ${code} with ${passed}/${ids.length} passed (is python3-subunit installed?): ${Buffer.concat(err).toString()}`));
      } else {
        resolve();
      }
    });
  });
}

async function serverRun(client: TestServerClient, ids: string[], perRun: number): Promise<void> {
  for (let at = 0; at < ids.length; at += perRun) {
    const results = await client.run(ids.slice(at, at + perRun)).all();
    if (results.some((r) => r.status !== 'success')) throw new Error('a no-op test did not pass through the test server');
  }
}

async function timed(work: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await work();
  return (performance.now() - t0) / 1000;
}

/**
 * CPU seconds of this process's children that have been waited for (and of theirs: a fork
 * server's test servers), from /proc/self/stat's cutime and cstime.
 */
function childCpuSeconds(ticksPerSecond: number): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of stat(5), counted from the state (field 3) here.
  return (Number(fields[13]) + Number(fields[14])) / ticksPerSecond;
}

interface Startup {
  /** Seconds until every slot's test server said Hello and the tests were listed. */
  readonly ready: number;
  /** CPU seconds of the Python processes, from start to close. */
  readonly cpu: number;
}

/** A WorkerServer with `slots` Python test servers, forked or spawned, started and closed. */
async function startWorker(dir: string, slots: number, fork: boolean, ticksPerSecond: number): Promise<Startup> {
  const cpu0 = childCpuSeconds(ticksPerSecond);
  let worker: WorkerServer | undefined;
  const adapter = pythonAdapter({ testPath: 'noop', topDir: '.', cwd: dir, python: PYTHON, env: { ...process.env, PYTHONPATH: PYTHON_ADAPTER_DIR }, fork });
  const ready = await timed(async () => {
    worker = await WorkerServer.start({ adapter, slots, log: (line) => console.warn(line) });
  });
  await worker!.close();
  return { ready, cpu: childCpuSeconds(ticksPerSecond) - cpu0 };
}

async function startupComparison(dir: string, tests: number, rounds: number): Promise<void> {
  const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const runs = new Map<string, Startup[]>();
  for (let round = 0; round < rounds; round++) {
    for (const slots of SLOT_COUNTS) {
      // Alternating which goes first, so that neither always meets a warmer page cache.
      for (const fork of round % 2 === 0 ? [true, false] : [false, true]) {
        const key = `${slots}/${fork}`;
        runs.set(key, [...(runs.get(key) ?? []), await startWorker(dir, slots, fork, ticksPerSecond)]);
      }
    }
  }
  const rows: (string | number)[][] = [['slots', 'test servers', 'ready s', 'Python CPU s', '× spawned (ready)', '× spawned (CPU)']];
  for (const slots of SLOT_COUNTS) {
    const spawned = runs.get(`${slots}/false`)!;
    const forked = runs.get(`${slots}/true`)!;
    const ready = (r: Startup[]) => median(r.map((x) => x.ready));
    const cpu = (r: Startup[]) => median(r.map((x) => x.cpu));
    rows.push([slots, 'spawned, one per slot', ready(spawned).toFixed(3), cpu(spawned).toFixed(2), ratio(1), ratio(1)]);
    rows.push([slots, 'forked from a fork server', ready(forked).toFixed(3), cpu(forked).toFixed(2), ratio(ready(spawned) / ready(forked)), ratio(cpu(spawned) / cpu(forked))]);
  }
  console.log(`\nworker start-up: WorkerServer.start until every slot's test server said Hello and the ${tests} tests were listed; ${rounds} rounds, median shown`);
  console.log(table(rows));
  console.log(
    `reference: pythonAdapter(…, fork: false), a test server spawned per slot, each importing and discovering the suite; ` +
      `× is how many times faster (or cheaper) forking is. CPU from /proc/self/stat cutime+cstime, start to close.`,
  );
}

export default async function bench(args: string[]): Promise<void> {
  const { rounds } = parseArgs(args);
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-testserver-'));
  try {
    const ids = writeSuite(dir);
    console.log(
      `testserver benchmark: ${ids.length} no-op unittest tests, ${rounds} alternating rounds, median shown; ` +
        `${PER_TEST_PROCESSES} tests per round one process each, ${BATCH_PROCESSES} batches of ${BATCH} per round one process each`,
    );
    const startup: number[] = [];
    const modes = {
      server: [] as number[],
      serverBatch: [] as number[],
      serverOne: [] as number[],
      perBatch: [] as number[],
      perTest: [] as number[],
    };
    const oneByOne = ids.slice(0, 500);
    for (let round = 0; round < rounds; round++) {
      let client: TestServerClient | undefined;
      startup.push(
        await timed(async () => {
          client = await spawnTestServer({
            command: PYTHON,
            args: ['-m', 'baton_server', '--test-path', 'noop', '--top-dir', '.'],
            cwd: dir,
            env: { ...process.env, PYTHONPATH: PYTHON_ADAPTER_DIR },
          });
        }),
      );
      modes.server.push(await timed(() => serverRun(client!, ids, ids.length)));
      modes.serverBatch.push(await timed(() => serverRun(client!, ids, BATCH)));
      modes.serverOne.push(await timed(() => serverRun(client!, oneByOne, 1)));
      await client!.goodbye();
      modes.perBatch.push(
        await timed(async () => {
          for (let b = 0; b < BATCH_PROCESSES; b++) await subunitRun(dir, ids.slice(b * BATCH, (b + 1) * BATCH));
        }),
      );
      modes.perTest.push(
        await timed(async () => {
          for (let t = 0; t < PER_TEST_PROCESSES; t++) await subunitRun(dir, [ids[t]!]);
        }),
      );
    }
    const perSecond = (n: number, seconds: number[]) => n / median(seconds);
    const baseline = perSecond(PER_TEST_PROCESSES, modes.perTest);
    const row = (name: string, n: number, seconds: number[]) => [name, n, median(seconds).toFixed(3), rate(perSecond(n, seconds)), ratio(perSecond(n, seconds) / baseline)];
    console.log(
      table([
        ['mode', 'tests', 'seconds', 'tests/s', '× per-test process'],
        row('baton test server, one Run of all tests', ids.length, modes.server),
        row(`baton test server, Runs of ${BATCH}`, ids.length, modes.serverBatch),
        row('baton test server, one Run per test', oneByOne.length, modes.serverOne),
        row(`python3 -m subunit.run per batch of ${BATCH}`, BATCH * BATCH_PROCESSES, modes.perBatch),
        row('python3 -m subunit.run per test', PER_TEST_PROCESSES, modes.perTest),
      ]),
    );
    console.log(
      `reference: ${PYTHON} with Debian's python3-subunit 1.4.0 for subunit.run and the same interpreter for baton_server; ` +
        `server start (spawn, discovery of ${ids.length} tests, Hello) ${(median(startup) * 1000).toFixed(0)} ms`,
    );
    await startupComparison(dir, ids.length, rounds);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
