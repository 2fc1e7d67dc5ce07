// The fault injection of issue 12 (`npm run chaos`, and its slice in test/chaos.test.ts):
// real `baton run`, `baton coordinator` and `baton worker` processes on a generated
// Python suite, with processes killed (kill -9) while they work, a network cut that
// closes nothing, a hanging test and a test server that breaks its channel. Every
// scenario checks what a user relies on (each selected test ends with exactly one final
// result, a killed test is recorded naming its worker, the exit status says what
// happened, nothing is left running) and adds what it saw to a `ChaosTally`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS } from '@baton/protocol';
import { mulberry32, type Rng } from '@baton/scheduler';
import { ResultAggregator, StreamDecoder, type TestResult } from '@baton/subunit';
import { BATON_BIN, makeProject, startBaton, type Finished, type Running } from './baton-process.js';
import { readJson, type JsonReport } from './projects.js';

/** A run (or a worker) not over this long after it should be is a stall: killed and reported. */
export const STALL_MS = 90_000;
/** How long processes of a finished run may take to go away before they count as orphans. */
export const ORPHAN_GRACE_MS = 5_000;
/** What the scenarios injected and saw. */
export class ChaosTally {
  /** Faults injected, by kind. */
  readonly faults = new Map<string, number>();
  /** Detection times in milliseconds, by what was detected. */
  readonly detections = new Map<string, number[]>();
  runs = 0;
  /** Selected tests over every checked run. */
  selected = 0;
  /** Selected tests that ended with no final result. */
  lost = 0;
  /** Final results beyond the first of a test. */
  duplicated = 0;
  /** Processes of a finished run still alive after ORPHAN_GRACE_MS. */
  readonly orphans: string[] = [];
  /** Runs and workers that did not end by themselves. */
  readonly stalls: string[] = [];
  /** Anything else that broke a promise baton makes. */
  readonly problems: string[] = [];
  /** What was seen that is worth saying but breaks nothing. */
  readonly notes: string[] = [];

  fault(kind: string): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  detected(kind: string, ms: number): void {
    const list = this.detections.get(kind) ?? [];
    list.push(ms);
    this.detections.set(kind, list);
  }

  get injected(): number {
    let n = 0;
    for (const v of this.faults.values()) n += v;
    return n;
  }
}

// ---------------------------------------------------------------------------------------
// Processes, as /proc shows them.

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly cmdline: string;
  readonly cwd: string | undefined;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      let cwd: string | undefined;
      try {
        cwd = readlinkSync(`/proc/${name}/cwd`);
      } catch {
        cwd = undefined;
      }
      // A zombie has no command line: it is dead, only not reaped yet.
      if (cmdline !== '') out.push({ pid: Number(name), ppid, cmdline, cwd });
    } catch {
      // It ended while we looked.
    }
  }
  return out;
}

function descendants(root: number, all: readonly Proc[] = processes()): Proc[] {
  const found: Proc[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/**
 * The fork servers a baton process started (`--fork-server`, once a launcher such as
 * pyenv's shell shim has exec'd Python) and the test servers they forked (the same
 * command line as their parent): a shim still starting is neither.
 */
function pythonServers(root: number, tree: readonly Proc[]): { forkServers: Proc[]; servers: Proc[] } {
  const python = (p: Proc) => p.cmdline.includes('baton_server') && p.cmdline.includes('--fork-server') && !/^(\S*\/)?(ba|da)?sh /.test(p.cmdline);
  const forkServers = tree.filter((p) => p.ppid === root && python(p));
  const servers = tree.filter((p) => forkServers.some((f) => f.pid === p.ppid && f.cmdline === p.cmdline));
  return { forkServers, servers };
}

/** Processes working for the project in `dir`: started there, or naming it. */
function processesOf(dir: string): Proc[] {
  return processes().filter((p) => p.pid !== process.pid && (p.cwd === dir || p.cwd?.startsWith(`${dir}/`) || p.cmdline.includes(dir)));
}

/** The processes of `dir` still alive after the grace: each is an orphan (and is killed). */
async function orphansOf(dir: string, what: string, tally: ChaosTally): Promise<void> {
  const until = Date.now() + ORPHAN_GRACE_MS;
  let left = processesOf(dir);
  while (left.length > 0 && Date.now() < until) {
    await sleep(100);
    left = processesOf(dir);
  }
  for (const p of left) {
    tally.orphans.push(`${what}: pid ${p.pid} (${p.cmdline.slice(0, 160)})`);
    kill(p.pid);
  }
}

function kill(pid: number): boolean {
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A process's end, or undefined if it has not ended within `ms`. */
async function within(ms: number, exited: Promise<Finished>): Promise<Finished | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([exited, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  clearTimeout(timer);
  return r;
}

/** Ends a process that stalled, recording it with the tail of its output. */
async function stalled(tally: ChaosTally, what: string, running: Running): Promise<Finished> {
  running.child.kill('SIGKILL');
  const f = await running.exited;
  tally.stalls.push(`${what} did not end within ${STALL_MS / 1000} s; its output ends:\n${(f.stdout + f.stderr).slice(-3000)}`);
  return f;
}

function baton(dir: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string; bytes: Buffer } {
  const r = spawnSync(process.execPath, [BATON_BIN, ...args], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), bytes: r.stdout };
}

// ---------------------------------------------------------------------------------------
// The suite.

/** A generated suite: its directory, its test ids, and where its tests leave their markers. */
export interface Suite {
  readonly dir: string;
  readonly ids: readonly string[];
  readonly markers: string;
}

/**
 * `modules` × `classes` × `tests` tests of seeded durations in [min, max] seconds. Each
 * test leaves a marker named by its process id, holding its id, while it runs: what a
 * kill hit is read from there.
 */
export function chaosSuite(seed: number, shape: { modules: number; classes: number; tests: number; min: number; max: number }, extra: Record<string, string> = {}): Suite {
  const rng = mulberry32(seed);
  const files: Record<string, string> = {
    '.stestr.conf': '[DEFAULT]\ntest_path=./tests\ntop_dir=./\n',
    'tests/__init__.py': [
      'import os, time',
      '',
      'def work(name, seconds):',
      '    markers = os.environ.get("CHAOS_MARKERS")',
      '    path = markers and os.path.join(markers, str(os.getpid()))',
      '    if path:',
      '        with open(path + ".new", "w") as f:',
      '            f.write(name)',
      '        os.rename(path + ".new", path)',
      '    time.sleep(seconds)',
      '    if path:',
      '        os.remove(path)',
      '',
    ].join('\n'),
    ...extra,
  };
  const ids: string[] = [];
  for (let m = 0; m < shape.modules; m++) {
    const lines = ['import unittest', 'from tests import work', ''];
    for (let c = 0; c < shape.classes; c++) {
      lines.push(`class Chaos${c}(unittest.TestCase):`);
      for (let t = 0; t < shape.tests; t++) {
        const name = `test_${String(t).padStart(2, '0')}`;
        const id = `tests.test_m${m}.Chaos${c}.${name}`;
        lines.push(`    def ${name}(self):`, `        work("${id}", ${(shape.min + rng.next() * (shape.max - shape.min)).toFixed(3)})`, '');
        ids.push(id);
      }
    }
    files[`tests/test_m${m}.py`] = lines.join('\n');
  }
  const dir = makeProject(files, 'baton-chaos-');
  const markers = join(dir, 'markers');
  mkdirSync(markers);
  return { dir, ids, markers };
}

/** The test running in process `pid` now, if it is one of the suite's. */
function runningIn(suite: Suite, pid: number): string | undefined {
  try {
    const id = readFileSync(join(suite.markers, String(pid)), 'utf8');
    rmSync(join(suite.markers, String(pid)), { force: true });
    return id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Checks of a finished run.

/** A kill, and the test its process (or one under it) was running then. */
interface Kill {
  readonly kind: string;
  readonly pid: number;
  /** The worker whose process it was: `local`, or a remote worker's `--name`. */
  readonly worker: string;
  readonly running: readonly string[];
}

/** The exit status a run with these results must end with (README, "Exit statuses"). */
function expectedStatus(report: JsonReport, selected: number): number {
  const distinct = new Set(report.results.map((r) => r.id)).size;
  if (report.notRun.length > 0 || distinct < selected || report.results.some((r) => r.infrastructure === 'lost')) return 3;
  return report.results.every((r) => r.status === 'success' || r.status === 'skip') ? 0 : 1;
}

/**
 * The promises of a run that ended: each selected test exactly once in the report and in
 * the repository; each test a kill hit recorded as crashed or lost naming the worker; the
 * exit status the results call for.
 */
function checkRun(tally: ChaosTally, what: string, suite: Suite, run: Finished, kills: readonly Kill[], reportFile: string): JsonReport | undefined {
  tally.runs++;
  tally.selected += suite.ids.length;
  let report: JsonReport;
  try {
    report = readJson(reportFile);
  } catch (error) {
    tally.problems.push(`${what}: no report (${(error as Error).message}); exit ${run.status}; output ends:\n${(run.stdout + run.stderr).slice(-2000)}`);
    tally.lost += suite.ids.length;
    return undefined;
  }
  const selected = new Set(suite.ids);
  const mine = report.results.filter((r) => selected.has(r.id));
  const distinct = new Set(mine.map((r) => r.id));
  tally.lost += suite.ids.length - distinct.size;
  tally.duplicated += mine.length - distinct.size;
  if (distinct.size < suite.ids.length) tally.problems.push(`${what}: ${suite.ids.length - distinct.size} tests have no result; exit ${run.status}; output ends:\n${(run.stdout + run.stderr).slice(-2500)}`);
  if (mine.length > distinct.size) tally.problems.push(`${what}: ${mine.length - distinct.size} results doubled`);
  const last = baton(suite.dir, ['last', '--json']);
  const counts = (JSON.parse(last.stdout) as { profiles: { default: { run: { counts: Record<string, number>; complete: boolean } } } }).profiles.default.run;
  const stored = Object.values(counts.counts).reduce((a, b) => a + b, 0);
  const extras = report.results.length - mine.length;
  if (stored !== suite.ids.length + extras) tally.problems.push(`${what}: the repository holds ${stored} results of a run of ${suite.ids.length} tests (${extras} fixture results)`);
  const expected = expectedStatus(report, suite.ids.length);
  if (run.status !== expected || report.exitCode !== expected) {
    tally.problems.push(`${what}: exit status ${run.status} (report: ${report.exitCode}), yet its results call for ${expected}; output ends:\n${(run.stdout + run.stderr).slice(-1500)}`);
  }
  const byId = new Map(mine.map((r) => [r.id, r]));
  for (const k of kills) {
    for (const id of k.running) {
      const r = byId.get(id);
      if (r === undefined) continue; // counted lost above
      const text = r.attachments.map((a) => a.text ?? '').join('\n');
      const named = text.includes(`worker ${k.worker}`);
      if (k.kind.startsWith('worker') && r.infrastructure !== 'lost' && named === false && r.worker.split('/')[0] !== k.worker) {
        // The worker died before it passed on the start of this test (or the result of the
        // one before): the coordinator blamed the test it thought was running, which
        // `lost` names, and this one ran again elsewhere. One result each, as promised.
        tally.notes.push(`${what}: worker ${k.worker} killed while it ran ${id}, which had not reached the coordinator as started: it ran again on ${r.worker} (${r.status})`);
        continue;
      }
      const how = k.kind.startsWith('worker') ? 'lost' : 'crashed';
      if (r.status !== 'fail' || r.infrastructure !== how || !named) {
        tally.problems.push(`${what}: ${id} was running in pid ${k.pid} (${k.kind}) when it was killed, yet it is recorded ${r.status}${r.infrastructure ? ` (${r.infrastructure})` : ''} on ${r.worker}: ${text.slice(0, 300)}`);
      }
    }
  }
  return report;
}

// ---------------------------------------------------------------------------------------
// 1. Killed test servers, fork servers and workers.

export interface KillOptions {
  readonly seed: number;
  /** Stop once this many kills were made (a run in progress finishes first). */
  readonly kills: number;
  /** Slots of the local run, or of each remote worker. */
  readonly jobs: number;
  /** Milliseconds between kills: uniform in [min, max]. */
  readonly gapMs: readonly [number, number];
  /** Kills in one run at most, so that each run ends. */
  readonly perRun: number;
  readonly deadline: number;
  readonly shape: { modules: number; classes: number; tests: number; min: number; max: number };
  readonly log?: (line: string) => void;
}

/**
 * `baton run -j N` runs over and over while random test servers (and, now and then, the
 * fork server) are killed with SIGKILL.
 */
export async function killLocal(tally: ChaosTally, o: KillOptions): Promise<number> {
  const rng = mulberry32(o.seed);
  let made = 0;
  for (let round = 0; made < o.kills && Date.now() < o.deadline; round++) {
    const suite = chaosSuite(o.seed * 1000 + round, o.shape);
    const run = startBaton(suite.dir, ['run', '-j', String(o.jobs), '--json', 'run.json'], { CHAOS_MARKERS: suite.markers });
    const kills: Kill[] = [];
    let over = false;
    void run.exited.then(() => (over = true));
    await run.waitFor(/worker local joined/, STALL_MS).catch(() => undefined);
    while (!over && kills.length < o.perRun && made + kills.length < o.kills) {
      await sleep(gap(rng, o.gapMs));
      if (over) break;
      const tree = descendants(run.child.pid!);
      const { forkServers, servers } = pythonServers(run.child.pid!, tree);
      // Every sixth kill is of the fork server.
      const fork = (made + kills.length) % 6 === 5 && forkServers.length > 0;
      const pool = fork ? forkServers : servers;
      if (pool.length === 0) continue;
      const victim = pool[Math.floor(rng.next() * pool.length)]!;
      const kind = fork ? 'fork server killed (baton run -j)' : 'test server killed (baton run -j)';
      if (!kill(victim.pid)) continue;
      // Read after the kill: a marker left by a dead process names the test it was running
      // then, while one read before it may name a test that finished in between. A fork
      // server runs no test; its children go on.
      const running = fork ? [] : [runningIn(suite, victim.pid)].filter((x): x is string => x !== undefined);
      kills.push({ kind, pid: victim.pid, worker: 'local', running });
      tally.fault(kind);
    }
    made += kills.length;
    const done = (await within(STALL_MS, run.exited)) ?? (await stalled(tally, `local run ${round + 1}`, run));
    const what = `local run ${round + 1} (${kills.length} kills)`;
    checkRun(tally, what, suite, done, kills, join(suite.dir, 'run.json'));
    await orphansOf(suite.dir, what, tally);
    o.log?.(`${what}: exit ${done.status}`);
  }
  return made;
}

/**
 * `baton coordinator` with two `baton worker --connect`s at a time; random workers and
 * random test servers of workers are killed with SIGKILL, and each worker killed is
 * replaced by a new one, as a CI fleet would.
 */
export async function killRemote(tally: ChaosTally, o: KillOptions): Promise<number> {
  const rng = mulberry32(o.seed);
  let made = 0;
  for (let round = 0; made < o.kills && Date.now() < o.deadline; round++) {
    const suite = chaosSuite(o.seed * 1000 + round, o.shape);
    const env = { CHAOS_MARKERS: suite.markers };
    const coordinator = startBaton(suite.dir, ['coordinator', '--listen', '127.0.0.1:0', '--min-workers', '2', '--wait', '30', '--json', 'run.json']);
    const [, url] = await coordinator.waitFor(/listening for workers at (ws:\/\/\S+)/);
    const workers: { name: string; running: Running; killed: boolean }[] = [];
    const addWorker = () => {
      const name = `r${round + 1}w${workers.length + 1}`;
      workers.push({ name, running: startBaton(suite.dir, ['worker', '--connect', url!, '--slots', String(o.jobs), '--name', name, '--wait', '10'], env), killed: false });
    };
    addWorker();
    addWorker();
    const kills: Kill[] = [];
    let over = false;
    void coordinator.exited.then(() => (over = true));
    await coordinator.waitFor(/worker \S+ joined/, STALL_MS).catch(() => undefined);
    while (!over && kills.length < o.perRun && made + kills.length < o.kills) {
      await sleep(gap(rng, o.gapMs));
      if (over) break;
      const alive = workers.filter((w) => !w.killed && w.running.child.exitCode === null);
      if (alive.length === 0) continue;
      const target = alive[Math.floor(rng.next() * alive.length)]!;
      const all = processes();
      const tree = descendants(target.running.child.pid!, all);
      const { servers } = pythonServers(target.running.child.pid!, tree);
      // Every other kill is of a whole worker.
      if ((made + kills.length) % 2 === 1 || servers.length === 0) {
        const running = tree.map((p) => runningIn(suite, p.pid)).filter((x): x is string => x !== undefined);
        if (!kill(target.running.child.pid!)) continue;
        target.killed = true;
        kills.push({ kind: 'worker killed (baton worker --connect)', pid: target.running.child.pid!, worker: target.name, running });
        tally.fault('worker killed (baton worker --connect)');
        addWorker();
      } else {
        const victim = servers[Math.floor(rng.next() * servers.length)]!;
        if (!kill(victim.pid)) continue;
        // After the kill, as in killLocal.
        const running = [runningIn(suite, victim.pid)].filter((x): x is string => x !== undefined);
        kills.push({ kind: 'test server killed (remote worker)', pid: victim.pid, worker: target.name, running });
        tally.fault('test server killed (remote worker)');
      }
    }
    made += kills.length;
    const what = `remote run ${round + 1} (${kills.length} kills)`;
    const done = (await within(STALL_MS, coordinator.exited)) ?? (await stalled(tally, `the coordinator of ${what}`, coordinator));
    for (const w of workers) {
      const end = (await within(30_000, w.running.exited)) ?? (await stalled(tally, `worker ${w.name} of ${what}`, w.running));
      // A worker the run said goodbye to exits 0; one that came too late (the run was
      // over) says so and exits 3. Anything else is a problem.
      if (!w.killed && end.status !== 0 && end.status !== 3) tally.problems.push(`${what}: worker ${w.name} exited ${end.status}:\n${end.stderr.slice(-1000)}`);
    }
    const problems = tally.problems.length;
    checkRun(tally, what, suite, done, kills, join(suite.dir, 'run.json'));
    if (tally.problems.length > problems) {
      // What each worker went through: whether one was missing when the run needed it.
      const ends = await Promise.all(workers.map(async (w) => `${w.name}${w.killed ? ' (killed)' : ''}: exit ${(await w.running.exited).status}; ${(await w.running.exited).stderr.trim().split('\n').slice(-3).join(' | ')}`));
      tally.problems.push(`${what}: its workers: ${kills.map((k) => `${k.kind} ${k.worker}`).join(', ')}\n${ends.join('\n')}`);
    }
    await orphansOf(suite.dir, what, tally);
    o.log?.(`${what}: exit ${done.status}`);
  }
  return made;
}

function gap(rng: Rng, [min, max]: readonly [number, number]): number {
  return min + rng.next() * (max - min);
}

// ---------------------------------------------------------------------------------------
// 2. A killed coordinator (6. its workers go too).

/** The ids of the results a subunit stream carried, as they arrive. */
function streamResults(running: Running): { results: string[] } {
  const seen: string[] = [];
  const aggregator = new ResultAggregator({ result: (r) => seen.push(r.id) });
  const decoder = new StreamDecoder({ packet: (p) => aggregator.packet(p), bytes: () => undefined, error: () => undefined });
  running.child.stdout!.on('data', (d: Buffer) => decoder.push(d));
  return { results: seen };
}

function storedResults(dir: string): TestResult[] {
  const out: TestResult[] = [];
  const aggregator = new ResultAggregator({ result: (r) => out.push(r) });
  const decoder = new StreamDecoder({ packet: (p) => aggregator.packet(p) });
  decoder.push(baton(dir, ['last', '--subunit']).bytes);
  decoder.end();
  return out;
}

export interface CoordinatorKillOptions extends Pick<KillOptions, 'seed' | 'deadline' | 'shape' | 'log'> {
  /** Coordinators to kill. */
  readonly count: number;
}

/**
 * `baton run -j 2 --subunit` (even rounds) or `baton coordinator --subunit` with two
 * workers (odd rounds) on a suite with no history, killed with SIGKILL after a random
 * number of results. Then: no process of the run is left; every worker exited 3 saying
 * the coordinator went away; the repository opens, the run is marked incomplete and holds
 * every result the stream carried before the write window; the next run's estimates come
 * from exactly those results.
 */
export async function killCoordinator(tally: ChaosTally, o: CoordinatorKillOptions): Promise<void> {
  const rng = mulberry32(o.seed);
  for (let round = 0; round < o.count && Date.now() < o.deadline; round++) {
    const suite = chaosSuite(o.seed * 1000 + round, o.shape);
    const remote = round % 2 === 1;
    const what = `coordinator kill ${round + 1} (${remote ? 'baton coordinator, 2 workers' : 'baton run -j 2'})`;
    const coordinator = remote
      ? startBaton(suite.dir, ['coordinator', '--listen', '127.0.0.1:0', '--min-workers', '2', '--wait', '30', '--subunit'])
      : startBaton(suite.dir, ['run', '-j', '2', '--subunit']);
    const stream = streamResults(coordinator);
    const workers: Running[] = [];
    if (remote) {
      const [, url] = await coordinator.waitFor(/listening for workers at (ws:\/\/\S+)/);
      for (const n of [1, 2]) workers.push(startBaton(suite.dir, ['worker', '--connect', url!, '--name', `k${round + 1}w${n}`, '--wait', '10']));
    }
    const after = 5 + Math.floor(rng.next() * Math.min(40, suite.ids.length - 10));
    const until = Date.now() + STALL_MS;
    while (stream.results.length < after && coordinator.child.exitCode === null && Date.now() < until) await sleep(5);
    if (coordinator.child.exitCode !== null || stream.results.length < after) {
      tally.problems.push(`${what}: the run ended or stalled before ${after} results (${stream.results.length})`);
      coordinator.child.kill('SIGKILL');
      await Promise.all([coordinator.exited, ...workers.map((w) => w.exited)]);
      continue;
    }
    const killedAt = performance.now();
    kill(coordinator.child.pid!);
    tally.fault('coordinator killed');
    await coordinator.exited;
    const received = stream.results.slice();
    for (const [i, w] of workers.entries()) {
      const end = await within(STALL_MS, w.exited);
      if (end === undefined) {
        await stalled(tally, `worker ${i + 1} of ${what} after its coordinator was killed`, w);
        continue;
      }
      tally.detected('coordinator gone: worker exits', performance.now() - killedAt);
      if (end.status !== 3 || !/coordinator/i.test(end.stderr)) {
        tally.problems.push(`${what}: worker ${i + 1} exited ${end.status} (3 expected, with a message naming the coordinator):\n${end.stderr.slice(-800)}`);
      }
    }
    await orphansOf(suite.dir, what, tally);
    tally.runs++;
    tally.selected += suite.ids.length;

    // The killed run has no end: `last` says it was cut short, and exits 3.
    const last = baton(suite.dir, ['last', '--json']);
    if (last.status !== 3) {
      tally.problems.push(`${what}: baton last exits ${last.status} on the repository the kill left (3 expected: the run has no end): ${last.stderr}`);
      continue;
    }
    const run = (JSON.parse(last.stdout) as { profiles: { default: { run: { complete: boolean; state: string } } } }).profiles.default.run;
    if (run.complete || run.state !== 'stopped') tally.problems.push(`${what}: the killed run is marked ${run.complete ? 'complete' : run.state}, not cut short`);
    const stored = storedResults(suite.dir);
    const storedIds = new Set(stored.map((r) => r.id));
    if (stored.length !== storedIds.size) {
      tally.duplicated += stored.length - storedIds.size;
      tally.problems.push(`${what}: ${stored.length - storedIds.size} results doubled in the repository`);
    }
    // Every result the coordinator streamed was staged in its journal first, so none is lost.
    const missing = received.filter((id) => !storedIds.has(id));
    if (missing.length > 0) {
      tally.lost += missing.length;
      tally.problems.push(`${what}: ${missing.length} results the coordinator streamed before the kill are not in the repository (${missing.slice(0, 3).join(', ')})`);
    }

    // The next run: it knows the duration of every test the killed one recorded.
    const next = baton(suite.dir, ['run', '-j', '2', '--json', 'next.json']);
    const timed = stored.filter((r) => r.start !== undefined && r.stop !== undefined).length;
    const unknown = Number(/(\d+) tests? with no history/.exec(next.stdout)?.[1] ?? 0);
    if (unknown !== suite.ids.length - timed) {
      tally.problems.push(`${what}: the next run says ${unknown} tests have no history; the killed run recorded ${timed} of ${suite.ids.length} with durations:\n${next.stdout.slice(0, 400)}`);
    }
    checkRun(tally, `the run after ${what}`, suite, { status: next.status, signal: null, stdout: next.stdout, stderr: next.stderr, stdoutBytes: next.bytes }, [], join(suite.dir, 'next.json'));
    await orphansOf(suite.dir, `the run after ${what}`, tally);
    o.log?.(`${what}: killed after ${received.length} results, ${stored.length} stored; next run: ${unknown} of ${suite.ids.length} without history, exit ${next.status}`);
  }
}

// ---------------------------------------------------------------------------------------
// 3. A silent network cut.

/** A loopback TCP proxy that can stop forwarding without closing anything. */
class Proxy {
  private readonly server: Server;
  private readonly pairs: [Socket, Socket][] = [];
  constructor(target: number) {
    this.server = createServer((inbound) => {
      const outbound = createConnection(target, '127.0.0.1');
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      const drop = () => {
        inbound.destroy();
        outbound.destroy();
      };
      inbound.on('error', drop);
      outbound.on('error', drop);
      this.pairs.push([inbound, outbound]);
    });
  }
  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as { port: number }).port)));
  }
  /** Stops forwarding both ways; the sockets stay open and nothing is sent on them. */
  cut(): void {
    for (const [a, b] of this.pairs) {
      a.unpipe(b);
      b.unpipe(a);
      a.pause();
      b.pause();
    }
  }
  /** Closes every socket and the listener. */
  close(): void {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.server.close();
  }
}

/**
 * Two workers, one of them through a proxy that stops forwarding mid-run: the coordinator
 * must call it lost within the heartbeat timeout and run its tests elsewhere.
 */
export async function networkCut(tally: ChaosTally, o: { seed: number; log?: (line: string) => void }): Promise<void> {
  const suite = chaosSuite(o.seed, { modules: 2, classes: 2, tests: 10, min: 0.2, max: 0.6 });
  const env = { CHAOS_MARKERS: suite.markers };
  const what = 'network cut';
  const coordinator = startBaton(suite.dir, ['coordinator', '--listen', '127.0.0.1:0', '--min-workers', '2', '--wait', '30', '--json', 'run.json']);
  const [, url, port] = await coordinator.waitFor(/listening for workers at (ws:\/\/127\.0\.0\.1:(\d+)\S*)/);
  const proxy = new Proxy(Number(port));
  const proxied = url!.replace(`:${port}`, `:${await proxy.listen()}`);
  const cut = startBaton(suite.dir, ['worker', '--connect', proxied, '--name', 'cut', '--wait', '10'], env);
  const direct = startBaton(suite.dir, ['worker', '--connect', url!, '--name', 'direct', '--wait', '10'], env);
  try {
    // Cut while the worker runs a test.
    const until = Date.now() + STALL_MS;
    let running: string[] = [];
    while (running.length === 0 && Date.now() < until && coordinator.child.exitCode === null) {
      await sleep(20);
      running = descendants(cut.child.pid!)
        .map((p) => {
          try {
            return readFileSync(join(suite.markers, String(p.pid)), 'utf8');
          } catch {
            return '';
          }
        })
        .filter(Boolean);
    }
    proxy.cut();
    const cutAt = performance.now();
    const cutWall = Date.now();
    tally.fault('network cut (proxy stops forwarding)');
    const bound = HEARTBEAT_INTERVAL_MS + HEARTBEAT_TIMEOUT_MS + 5_000;
    const heard = await coordinator.waitFor(/BATON_PROTOCOL_HEARTBEAT_TIMEOUT/, STALL_MS).then(
      () => performance.now() - cutAt,
      () => undefined,
    );
    if (heard !== undefined) tally.detected('network cut: the coordinator\'s heartbeat times out', heard);
    const done = (await within(STALL_MS, coordinator.exited)) ?? (await stalled(tally, `the coordinator of ${what}`, coordinator));
    if (heard === undefined || heard > bound) {
      tally.problems.push(`${what}: the coordinator's heartbeat did not time out within ${bound / 1000} s of the cut; its output ends:\n${(done.stdout + done.stderr).slice(-1500)}`);
    }
    const report = checkRun(tally, what, suite, done, [], join(suite.dir, 'run.json'));
    if (report !== undefined) {
      const lost = report.results.filter((r) => r.infrastructure === 'lost');
      const onCut = lost.find((r) => r.worker.startsWith('cut/'));
      if (running.length > 0 && onCut === undefined) tally.problems.push(`${what}: the test the cut worker was running (${running.join(', ')}) is not recorded lost on it`);
      if (onCut !== undefined) {
        // Its stop is when the coordinator gave up on the worker, and put back what it held.
        const rescheduled = Date.parse(onCut.stop) - cutWall;
        tally.detected('network cut: its test recorded lost, its work rescheduled', rescheduled);
        if (rescheduled > bound) tally.problems.push(`${what}: the cut worker's tests were given up ${(rescheduled / 1000).toFixed(1)} s after the cut, beyond the heartbeat's ${bound / 1000} s`);
      }
      const afterCut = report.results.filter((r) => r.worker.startsWith('direct/')).length;
      if (afterCut === 0) tally.problems.push(`${what}: the other worker ran nothing`);
    }
    // The cut worker hears nothing more from its coordinator: does it notice by itself?
    const alone = await within(5_000, cut.exited);
    tally.notes.push(
      `${what}: ${running.length > 0 ? `cut while running ${running.join(', ')}; ` : ''}${heard === undefined ? 'no heartbeat timeout' : `heartbeat timeout after ${(heard / 1000).toFixed(1)} s`}; ` +
        `${/lost worker cut/.test(done.stdout) ? 'the progress said "lost worker cut"' : 'the progress never said the worker was lost'}; ` +
        `the cut worker ${alone === undefined ? 'was still waiting 5 s after the run ended (nothing tells it; the proxy then closed its socket)' : `exited ${alone.status} by itself`}`,
    );
    proxy.close();
    const cutEnd = alone ?? (await within(30_000, cut.exited)) ?? (await stalled(tally, `the cut worker after its socket closed`, cut));
    if (cutEnd.status !== 3) tally.problems.push(`${what}: the cut worker exited ${cutEnd.status} once its socket closed (3 expected):\n${cutEnd.stderr.slice(-600)}`);
    const directEnd = (await within(30_000, direct.exited)) ?? (await stalled(tally, 'the direct worker', direct));
    if (directEnd.status !== 0) tally.problems.push(`${what}: the direct worker exited ${directEnd.status}:\n${directEnd.stderr.slice(-600)}`);
    await orphansOf(suite.dir, what, tally);
    o.log?.(`${what}: exit ${done.status}; ${tally.notes.at(-1)}`);
  } finally {
    proxy.close();
    for (const p of [coordinator, cut, direct]) p.child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------
// 4. A hanging test.

/**
 * A test that blocks SIGALRM and sleeps for ten minutes, among quick ones on one slot,
 * with `--timeout 2`: it is recorded as timed out, and the same slot runs the rest.
 */
export async function hangingTest(tally: ChaosTally, o: { seed: number; log?: (line: string) => void }): Promise<void> {
  const hang = 'tests.test_hang.Hang.test_a_hangs';
  const suite = chaosSuite(o.seed, { modules: 1, classes: 1, tests: 6, min: 0.01, max: 0.05 }, {
    'tests/test_hang.py': 'import signal, time, unittest\n\nclass Hang(unittest.TestCase):\n    def test_a_hangs(self):\n        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\n        time.sleep(600)\n\n    def test_b_after(self):\n        pass\n',
  });
  const ids = [...suite.ids, hang, 'tests.test_hang.Hang.test_b_after'];
  const what = 'hanging test';
  const run = startBaton(suite.dir, ['run', '-j', '1', '--timeout', '2', '--json', 'run.json']);
  tally.fault('hanging test (--timeout 2)');
  const done = (await within(STALL_MS, run.exited)) ?? (await stalled(tally, what, run));
  const report = checkRun(tally, what, { ...suite, ids }, done, [], join(suite.dir, 'run.json'));
  if (report !== undefined) {
    const r = report.results.find((x) => x.id === hang);
    const text = r?.attachments.map((a) => a.text ?? '').join('\n') ?? '';
    if (r === undefined || r.status !== 'fail' || r.infrastructure !== 'timeout' || !/timed out after 2 s/.test(text)) {
      tally.problems.push(`${what}: ${hang} is recorded ${r?.status} (${r?.infrastructure}): ${text.slice(0, 300)}`);
    } else {
      tally.detected('hanging test: recorded timed out (test start to result)', Date.parse(r.stop) - Date.parse(r.start));
      const later = report.results.filter((x) => x.id !== hang && Date.parse(x.start) >= Date.parse(r.stop));
      if (later.length === 0 || !later.every((x) => x.status === 'success' && x.worker === r.worker)) {
        tally.problems.push(`${what}: the slot did not go on after the timeout: ${later.map((x) => `${x.id} ${x.status} ${x.worker}`).join('; ')}`);
      }
    }
  }
  await orphansOf(suite.dir, what, tally);
  o.log?.(`${what}: exit ${done.status}`);
}

// ---------------------------------------------------------------------------------------
// 5. A broken channel.

const BREAKERS = `import gc, os, socket, time, unittest
from baton_server.subunit_v2 import encode_packet


def channel():
    # The forked test server's own channel to its worker.
    from baton_server.channel import Channel
    return next(o for o in gc.get_objects() if isinstance(o, Channel))


class Break(unittest.TestCase):
    def test_garbage(self):
        ch = channel()
        with ch._lock:
            os.write(ch._write_fd, bytes(range(256)) * 16)

    def test_half_message(self):
        ch = channel()
        packet = encode_packet(test_id="testrepository-rpc", mime_type="application/json", file_name="message",
                               file_bytes=b'{"msg":"Done","nonce":"1"}', eof=True)
        with ch._lock:
            os.write(ch._write_fd, packet[: len(packet) // 2])
            socket.socket(fileno=os.dup(ch._write_fd)).shutdown(socket.SHUT_WR)
        time.sleep(0.5)
`;

/**
 * Two tests that break their test server's channel, among quick ones on one slot: one
 * writes 4 KiB of garbage into it, one writes half a message and closes it. The run goes
 * on, every test once; the half message is a crash naming the test, and the server is
 * replaced.
 */
export async function brokenChannel(tally: ChaosTally, o: { seed: number; log?: (line: string) => void }): Promise<void> {
  const suite = chaosSuite(o.seed, { modules: 1, classes: 1, tests: 6, min: 0.01, max: 0.05 }, { 'tests/test_break.py': BREAKERS });
  const garbage = 'tests.test_break.Break.test_garbage';
  const half = 'tests.test_break.Break.test_half_message';
  const ids = [...suite.ids, garbage, half];
  const what = 'broken channel';
  const run = startBaton(suite.dir, ['run', '-j', '1', '--json', 'run.json']);
  tally.fault('broken channel: 4 KiB of garbage');
  tally.fault('broken channel: closed mid-message');
  const done = (await within(STALL_MS, run.exited)) ?? (await stalled(tally, what, run));
  const report = checkRun(tally, what, { ...suite, ids }, done, [], join(suite.dir, 'run.json')) as (JsonReport & { processes?: { restarts: number } }) | undefined;
  if (report !== undefined) {
    const h = report.results.find((x) => x.id === half);
    const text = h?.attachments.map((a) => a.text ?? '').join('\n') ?? '';
    if (h?.status !== 'fail' || h.infrastructure !== 'crashed' || !text.includes(half)) {
      tally.problems.push(`${what}: ${half} is recorded ${h?.status} (${h?.infrastructure}): ${text.slice(0, 300)}`);
    }
    const g = report.results.find((x) => x.id === garbage);
    if (g?.status !== 'fail' || g.infrastructure !== 'crashed') tally.problems.push(`${what}: ${garbage} is recorded ${g?.status} (${g?.infrastructure}), not as a crash of its test server`);
    const complaints = done.stderr.split('\n').filter((l) => /non-subunit|corrupt/.test(l));
    // One line for each of the two broken channels, not one per damaged chunk.
    if (complaints.length > 2) tally.problems.push(`${what}: two broken channels were told in ${complaints.length} lines, not one each`);
    tally.notes.push(
      `${what}: half a message then close → ${h?.infrastructure}, "${text.split('\n')[0]?.slice(0, 160)}", ${report.processes?.restarts ?? '?'} restart(s); ` +
        `4 KiB of garbage → ${g?.status}${g?.infrastructure ? ` (${g.infrastructure})` : ''}, ${complaints.length} log lines, e.g. "${complaints[0] ?? ''}"`,
    );
  }
  await orphansOf(suite.dir, what, tally);
  o.log?.(`${what}: exit ${done.status}; ${tally.notes.at(-1)}`);
}

// ---------------------------------------------------------------------------------------
// The table.

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The report `npm run chaos` ends with. */
export function chaosTable(t: ChaosTally, seconds: number): string {
  const rows: string[] = [];
  const width = 58;
  const row = (a: string, b: string | number) => rows.push(`  ${a.padEnd(width)} ${b}`);
  rows.push(`faults injected (${t.injected} in ${t.runs} runs, ${seconds.toFixed(0)} s)`);
  for (const [kind, n] of [...t.faults].sort()) row(kind, n);
  rows.push('results');
  row('selected tests, over every run', t.selected);
  row('tests lost (no final result)', t.lost);
  row('tests duplicated (more than one final result)', t.duplicated);
  rows.push('processes');
  row('orphans (alive 5 s after their run ended)', t.orphans.length);
  rows.push('detection times                                              median      max');
  for (const [kind, ms] of [...t.detections].sort()) row(kind, `${(median(ms) / 1000).toFixed(2).padStart(7)} s ${(Math.max(...ms) / 1000).toFixed(2).padStart(7)} s   (${ms.length})`);
  rows.push('stalls');
  row(`runs or workers not over ${STALL_MS / 1000} s after they should be`, t.stalls.length);
  row('other broken promises', t.problems.length);
  return rows.join('\n');
}
