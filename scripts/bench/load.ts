// `npm run bench -- load [--connections 200,1000] [--tests 100000] [--slots 1] [--repeat 1]
//   [--timeout 600] [--cpu-prof DIR] [--keep]`
//
// The load test of issue 12: one coordinator, N worker connections over real WebSockets,
// 100,000 no-op tests. The coordinator (the real Coordinator, a real SQLite repository,
// a WebSocket server on 127.0.0.1 port 0, as `baton run --listen` wires them) runs in a
// process of its own, and the N workers in another (protocol peers that answer every Run
// at once, heartbeats included), so that the coordinator's CPU time and peak memory are
// its own. Per configuration: wall, tests/s, the coordinator's CPU per test, its peak
// RSS, and the results stored (counted in SQL: one row per test, no duplicates). A run
// that does not end within `--timeout` seconds is reported as a hang and the bench fails.
// `--cpu-prof DIR` profiles the coordinator process of each configuration.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { eachFlag } from './_args.js';
import { median, rate, table } from './_table.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Seconds the coordinator waits for all its connections before it gives up (exit 3). */
const CONNECT_WAIT_SECONDS = 120;

interface Options {
  connections: number[];
  tests: number;
  slots: number;
  repeat: number;
  timeout: number;
  cpuProf: string | undefined;
  keep: boolean;
}

function parseArgs(args: string[]): Options {
  const o: Options = { connections: [200, 1000], tests: 100_000, slots: 1, repeat: 1, timeout: 600, cpuProf: undefined, keep: false };
  eachFlag(args, (flag, v) => {
    const whole = (text: string) => {
      const n = Number(text);
      if (!(Number.isInteger(n) && n > 0)) throw new Error(`${flag} takes positive whole numbers, not ${text}`);
      return n;
    };
    switch (flag) {
      case '--connections': o.connections = v.text().split(',').map(whole); break;
      case '--tests': o.tests = whole(v.text()); break;
      case '--slots': o.slots = whole(v.text()); break;
      case '--repeat': o.repeat = whole(v.text()); break;
      case '--timeout': o.timeout = v.positive(); break;
      case '--cpu-prof': o.cpuProf = v.text(); break;
      case '--keep': o.keep = true; break;
      default: throw new Error(`unknown option ${flag}`);
    }
  });
  return o;
}

/** What the coordinator process reports at the end (see _load-coordinator.ts). */
interface Mark {
  readonly at: number;
  readonly cpuUs: number;
  readonly rss: number;
  readonly heap: number;
}
interface CoordinatorReport {
  readonly exitCode: number;
  readonly problem: string | undefined;
  readonly notRun: number;
  readonly counts: { joined: number; runs: number; dispatchedTests: number; reclaims: number; finished: number; gone: number; refused: number; logLines: number };
  readonly marks: Record<'start' | 'joined' | 'firstDispatch' | 'lastResult' | 'finished', Mark | undefined>;
  readonly peakRss: number;
  readonly peakHeap: number;
  readonly vmHwm: number | undefined;
  readonly stored: { rows: number; distinct: number; complete: boolean };
}
interface WorkersReport {
  readonly cpuUs: number;
  readonly results: number;
  readonly runs: number;
}

/** A child running one of this folder's scripts through tsx; its stdout read as JSON lines. */
function child(script: string, args: string[], nodeArgs: string[] = []): { process: ChildProcess; lines: AsyncIterator<string>; stderr: () => string } {
  const p = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(HERE, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return { process: p, lines: createInterface({ input: p.stdout! })[Symbol.asyncIterator](), stderr: () => stderr };
}

async function nextJson<T>(what: string, c: ReturnType<typeof child>): Promise<T> {
  const line = await c.lines.next();
  if (line.done) throw new Error(`${what} ended without a report (exit ${c.process.exitCode ?? c.process.signalCode})\n--- stderr\n${c.stderr().slice(-3000)}`);
  return JSON.parse(line.value) as T;
}

const exited = (p: ChildProcess): Promise<number | null> =>
  p.exitCode !== null || p.signalCode !== null ? Promise.resolve(p.exitCode) : new Promise((resolve) => p.once('exit', (code) => resolve(code)));

interface Measured {
  readonly coordinator: CoordinatorReport;
  readonly workers: WorkersReport;
}

/** One configuration: both processes, bounded by `timeout` seconds. */
async function once(o: Options, connections: number, dir: string, profileDir: string | undefined): Promise<Measured> {
  const profile = ['--expose-gc', ...(profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir])];
  const coordinator = child('_load-coordinator.ts', ['--tests', String(o.tests), '--connections', String(connections), '--dir', dir, '--wait', String(CONNECT_WAIT_SECONDS)], profile);
  let workers: ReturnType<typeof child> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`the run of ${connections} connections did not end within ${o.timeout} s: a hang\n--- coordinator stderr\n${coordinator.stderr().slice(-3000)}\n--- workers stderr\n${workers?.stderr().slice(-3000) ?? ''}`));
    }, o.timeout * 1000);
  });
  try {
    return await Promise.race([
      hang,
      (async () => {
        const { url } = await nextJson<{ url: string }>('the coordinator', coordinator);
        workers = child('_load-workers.ts', ['--url', url, '--connections', String(connections), '--tests', String(o.tests), '--slots', String(o.slots)]);
        const c = await nextJson<CoordinatorReport>('the coordinator', coordinator);
        const w = await nextJson<WorkersReport>('the workers', workers);
        // Both must end by themselves: a timer or socket left open after the run is a leak.
        const codes = await Promise.all([exited(coordinator.process), exited(workers.process)]);
        if (codes.some((code) => code !== 0)) throw new Error(`exit statuses ${codes.join(', ')}\n--- coordinator stderr\n${coordinator.stderr().slice(-3000)}\n--- workers stderr\n${workers.stderr().slice(-3000)}`);
        return { coordinator: c, workers: w };
      })(),
    ]);
  } finally {
    clearTimeout(timer);
    coordinator.process.kill('SIGKILL');
    workers?.process.kill('SIGKILL');
  }
}

/** Every selected test has exactly one stored result, and the run is complete and green. */
function verify(m: Measured, o: Options, connections: number): string[] {
  const c = m.coordinator;
  const problems: string[] = [];
  if (c.exitCode !== 0) problems.push(`exit status ${c.exitCode}${c.problem ? `: ${c.problem}` : ''}`);
  if (c.notRun > 0) problems.push(`${c.notRun} tests never ran`);
  if (c.stored.rows !== o.tests) problems.push(`${c.stored.rows} result rows stored, not ${o.tests}`);
  if (c.stored.distinct !== c.stored.rows) problems.push(`${c.stored.rows - c.stored.distinct} duplicated results stored`);
  if (!c.stored.complete) problems.push('the run is not marked complete');
  if (c.counts.joined !== connections) problems.push(`${c.counts.joined} of ${connections} workers joined`);
  if (m.workers.results !== c.counts.finished) problems.push(`the workers sent ${m.workers.results} results, the coordinator booked ${c.counts.finished}`);
  return problems;
}

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export default async function load(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const tmp = mkdtempSync(join(tmpdir(), 'baton-bench-load-'));
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`load: node ${process.version}, ${availableParallelism()} cores, load average ${load} at the start; ${rate(o.tests)} no-op tests, ${o.slots} slot(s) per connection; temp dir ${tmp}`);
  const rows: (string | number)[][] = [[
    'connections', 'run', 'tests', 'wall', 'connect', 'testing', 'end', 'tests/s', 'coord CPU/test', 'busy', 'workers CPU/test', 'RSS idle', 'RSS joined', 'heap/conn', 'peak RSS', 'peak heap', 'Runs', 'tests/Run', 'stored', 'dups',
  ]];
  const failures: string[] = [];
  try {
    for (const connections of o.connections) {
      const rates: number[] = [];
      for (let r = 1; r <= o.repeat; r++) {
        const dir = mkdtempSync(join(tmp, `${connections}-${r}-`));
        const profileDir = o.cpuProf === undefined ? undefined : join(o.cpuProf, `${connections}-${r}`);
        const m = await once(o, connections, dir, profileDir);
        const problems = verify(m, o, connections);
        if (problems.length > 0) failures.push(`${connections} connections, run ${r}: ${problems.join('; ')}`);
        const { marks, counts } = m.coordinator;
        const { start, joined, firstDispatch, lastResult, finished } = marks;
        if (!start || !joined || !firstDispatch || !lastResult || !finished) {
          failures.push(`${connections} connections, run ${r}: the run never reached every phase (${Object.keys(marks).join(', ')})`);
          continue;
        }
        // Testing: the first Run sent to the last result booked; the CPU of the coordinator
        // over that span, and through the end of the run (the last write, the Goodbyes).
        const testingMs = lastResult.at - firstDispatch.at;
        const cpuUs = finished.cpuUs - firstDispatch.cpuUs;
        const wallUs = (finished.at - firstDispatch.at) * 1000;
        rates.push(o.tests / (testingMs / 1000));
        rows.push([
          String(connections),
          String(r),
          rate(o.tests),
          secs(finished.at - start.at),
          secs(joined.at - start.at),
          secs(testingMs),
          secs(finished.at - lastResult.at),
          rate(o.tests / (testingMs / 1000)),
          `${(cpuUs / o.tests).toFixed(1)} µs`,
          `${Math.round((100 * cpuUs) / wallUs)}%`,
          `${(m.workers.cpuUs / o.tests).toFixed(1)} µs`,
          mib(start.rss),
          mib(joined.rss),
          `${((joined.heap - start.heap) / 1024 / connections).toFixed(0)} KiB`,
          mib(Math.max(m.coordinator.peakRss, m.coordinator.vmHwm ?? 0)),
          mib(m.coordinator.peakHeap),
          rate(counts.runs),
          (counts.dispatchedTests / counts.runs).toFixed(1),
          rate(m.coordinator.stored.distinct),
          String(m.coordinator.stored.rows - m.coordinator.stored.distinct),
        ]);
      }
      if (o.repeat > 1) rows.push([String(connections), 'median', '', '', '', '', '', rate(median(rates)), ...Array.from({ length: 12 }, () => '')]);
    }
  } finally {
    console.log(table(rows));
    console.log('  wall = coordinator start to the run recorded; connect = to the last worker admitted (both processes start in it); testing = first Run sent to the last result booked;');
    console.log('  end = last result to the run recorded (the last write, Goodbye to every worker); tests/s over testing.');
    console.log('  coord CPU/test = coordinator process CPU (user+sys) from the first Run to the end of the run (last write, Goodbyes) / tests; busy = that CPU / that wall.');
    console.log('  RSS idle = before any worker; joined = once all were admitted; heap/conn = (heap used then − before) / connections; peak = max of 50 ms samples and VmHWM;');
    console.log('  Runs = Run messages sent; stored = distinct tests with a result row in SQLite; dups = rows − distinct.');
    if (o.cpuProf !== undefined) console.log(`  coordinator CPU profiles in ${o.cpuProf}/<connections>-<run>`);
    if (o.keep) console.log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
  if (failures.length > 0) throw new Error(`load: ${failures.length} configuration(s) failed:\n${failures.join('\n')}`);
}
