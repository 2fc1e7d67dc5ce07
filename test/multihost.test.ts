// A multi-host run: `baton coordinator` in one network namespace, listening on its own
// address, and two `baton worker --connect` processes in two other namespaces, each
// reaching it over a veth pair (the coordinator's ends are bridged, so both workers dial
// the same ws://10.77.0.1:PORT). Needs root and iproute2; skipped with the reason printed
// where `ip netns add` is not allowed.
//
//      ns …w1  10.77.0.2 eth0 ──veth── w1 ┐
//                                         ├ br0 10.77.0.1  ns …c  (baton coordinator)
//      ns …w2  10.77.0.3 eth0 ──veth── w2 ┘
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../packages/cli/bin/baton.js', import.meta.url));
const COORDINATOR_IP = '10.77.0.1';
/** Every wait is bounded by this; the whole test takes a few seconds when it works. */
const WAIT_MS = 45_000;
const PASSING = 36;

/** Unique per run, and short: interface and namespace names stay within 15 characters. */
const tag = `bt${(process.pid % 46_656).toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
const NS = { c: `${tag}c`, w1: `${tag}w1`, w2: `${tag}w2` };

const created: string[] = [];
const processes: ChildProcess[] = [];

function ip(args: string[]): { ok: boolean; output: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error) return { ok: false, output: r.error.message };
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

function must(args: string[]): void {
  const r = ip(args);
  if (!r.ok) throw new Error(`ip ${args.join(' ')}: ${r.output}`);
}

/** Why this machine cannot run the test, or undefined when it can (the namespaces then exist). */
function setUpNetwork(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces are Linux only (this is ${process.platform})`;
  const version = ip(['-V']);
  if (!version.ok) return `iproute2 is not usable: ${version.output}`;
  const first = ip(['netns', 'add', NS.c]);
  if (!first.ok) return `\`ip netns add\` failed (needs root and kernel support): ${first.output}`;
  created.push(NS.c);
  for (const ns of [NS.w1, NS.w2]) {
    must(['netns', 'add', ns]);
    created.push(ns);
  }
  for (const ns of Object.values(NS)) must(['-n', ns, 'link', 'set', 'lo', 'up']);
  const bridge = ip(['-n', NS.c, 'link', 'add', 'br0', 'type', 'bridge']);
  if (!bridge.ok) return `cannot create a bridge in a namespace: ${bridge.output}`;
  must(['-n', NS.c, 'addr', 'add', `${COORDINATOR_IP}/24`, 'dev', 'br0']);
  must(['-n', NS.c, 'link', 'set', 'br0', 'up']);
  for (const [i, worker] of [NS.w1, NS.w2].entries()) {
    const end = `w${i + 1}`;
    // Both ends are created inside namespaces, so nothing is named in the host's.
    must(['-n', NS.c, 'link', 'add', end, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', worker]);
    must(['-n', NS.c, 'link', 'set', end, 'master', 'br0']);
    must(['-n', NS.c, 'link', 'set', end, 'up']);
    must(['-n', worker, 'addr', 'add', `10.77.0.${i + 2}/24`, 'dev', 'eth0']);
    must(['-n', worker, 'link', 'set', 'eth0', 'up']);
  }
  return undefined;
}

function tearDown(): void {
  for (const child of processes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  // Deleting a namespace deletes the veth ends and the bridge inside it.
  for (const ns of created.splice(0)) ip(['netns', 'del', ns]);
}

interface Exited {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

interface Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<Exited>;
  output(): string;
  /** The first match of `re` in the output so far or later; rejects on exit or timeout. */
  waitFor(re: RegExp): Promise<RegExpMatchArray>;
}

/** `baton ARGS` inside namespace `ns`, its stdout and stderr collected together. */
function batonIn(ns: string, cwd: string, args: string[]): Proc {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  processes.push(child);
  let text = '';
  const watchers = new Set<() => void>();
  const onData = (d: Buffer) => {
    text += d.toString('utf8');
    for (const w of watchers) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let ended = false;
  const exited = new Promise<Exited>((resolve) => {
    child.once('close', (status, signal) => {
      ended = true;
      for (const w of watchers) w();
      resolve({ status, signal, output: text });
    });
  });
  return {
    child,
    exited,
    output: () => text,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const done = (error?: Error, m?: RegExpMatchArray) => {
          clearTimeout(timer);
          watchers.delete(check);
          if (error) reject(error);
          else resolve(m!);
        };
        const timer = setTimeout(() => done(new Error(`${ns}: no ${re} within ${WAIT_MS} ms; output:\n${text}`)), WAIT_MS);
        const check = () => {
          const m = text.match(re);
          if (m) done(undefined, m);
          else if (ended) done(new Error(`${ns}: exited without ${re}; output:\n${text}`));
        };
        watchers.add(check);
        check();
      }),
  };
}

/** Waits for a process to end, killing it (and failing) after WAIT_MS. */
async function exitOf(name: string, p: Proc): Promise<Exited> {
  const timer = setTimeout(() => p.child.kill('SIGKILL'), WAIT_MS);
  try {
    const r = await p.exited;
    if (r.signal === 'SIGKILL') assert.fail(`${name} did not end within ${WAIT_MS} ms; output:\n${r.output}`);
    return r;
  } finally {
    clearTimeout(timer);
  }
}

/** A unittest project: PASSING quick tests in three modules and one failing test. */
function project(): { dir: string; ids: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'baton-multihost-'));
  mkdirSync(join(dir, 'tests'));
  writeFileSync(join(dir, '.stestr.conf'), '[DEFAULT]\ntest_path=./tests\ntop_dir=./\n');
  writeFileSync(join(dir, 'tests', '__init__.py'), '');
  const ids: string[] = [];
  for (let m = 0; m < 3; m++) {
    const lines = ['import time', 'import unittest', '', '', `class TestPart${m}(unittest.TestCase):`];
    for (let i = 0; i < PASSING / 3; i++) {
      const name = `test_${String(i).padStart(2, '0')}`;
      // A few milliseconds each, so that both workers are busy at once.
      lines.push(`    def ${name}(self):`, `        time.sleep(0.0${(i % 4) + 1})`);
      ids.push(`tests.test_part${m}.TestPart${m}.${name}`);
    }
    if (m === 2) {
      lines.push('    def test_fails(self):', '        self.assertEqual(1, 2)');
      ids.push(`tests.test_part${m}.TestPart${m}.test_fails`);
    }
    writeFileSync(join(dir, 'tests', `test_part${m}.py`), `${lines.join('\n')}\n`);
  }
  return { dir, ids: ids.sort() };
}

describe('multi-host run over network namespaces', () => {
  after(tearDown);

  it('runs every test once across two workers in other namespaces and refuses a wrong token', async (t) => {
    let reason: string | undefined;
    try {
      reason = setUpNetwork();
    } catch (error) {
      reason = (error as Error).message;
    }
    if (reason !== undefined) {
      tearDown();
      console.log(`# multihost skipped: ${reason}`);
      t.skip(reason);
      return;
    }
    const { dir, ids } = project();
    try {
      writeFileSync(join(dir, 'token'), `${'a1b2c3d4'.repeat(4)}\n`);
      writeFileSync(join(dir, 'wrong-token'), `${'ffee'.repeat(8)}\n`);
      const report = join(dir, 'report.json');

      const coordinator = batonIn(NS.c, dir, ['coordinator', '--listen', `${COORDINATOR_IP}:0`, '--token-file', 'token', '--min-workers', '2', '--wait', '45', '--json', report]);
      const [, url] = await coordinator.waitFor(/listening for workers at (ws:\/\/10\.77\.0\.1:\d+)\/\S*/);

      // A worker with the wrong token is refused at once: no retry, a non-zero exit, a message about the token.
      const intruder = batonIn(NS.w2, dir, ['worker', '--connect', url!, '--token-file', 'wrong-token', '--wait', '20']);
      const refused = await exitOf('the wrong-token worker', intruder);
      assert.notEqual(refused.status, 0, `the wrong-token worker exited 0:\n${refused.output}`);
      assert.match(refused.output, /token/i);
      assert.doesNotMatch(refused.output, /ffee/, 'the token is never printed');
      t.diagnostic(`wrong token: exit ${refused.status}: ${refused.output.trim().split('\n').at(-1)}`);

      const workers = [NS.w1, NS.w2].map((ns) => batonIn(ns, dir, ['worker', '--connect', url!, '--token-file', 'token', '--wait', '20']));
      const ran = await exitOf('the coordinator', coordinator);
      assert.equal(ran.status, 1, `the coordinator should exit 1 (one test fails):\n${ran.output}`);
      const ends = await Promise.all(workers.map((w, i) => exitOf(`worker ${i + 1}`, w)));
      for (const [i, end] of ends.entries()) assert.equal(end.status, 0, `worker ${i + 1} after the run:\n${end.output}`);

      const doc = JSON.parse(readFileSync(report, 'utf8')) as { exitCode: number; results: { id: string; status: string; worker: string }[] };
      assert.equal(doc.exitCode, 1);
      assert.deepEqual(doc.results.map((r) => r.id).sort(), ids, 'every test recorded exactly once');
      assert.deepEqual(doc.results.filter((r) => r.status !== 'success').map((r) => [r.id, r.status]), [['tests.test_part2.TestPart2.test_fails', 'fail']]);
      // A remote worker is named host:pid; slots add /N. `ip netns exec` execs node, so the pids are the children's.
      const hosts = new Set(doc.results.map((r) => r.worker.replace(/\/\d+$/, '')));
      t.diagnostic(`workers: ${[...hosts].join(', ')}`);
      assert.equal(hosts.size, 2, `results from both workers: ${[...hosts].join(', ')}`);
      const pids = workers.map((w) => String(w.child.pid));
      for (const host of hosts) assert.ok(pids.some((pid) => host.endsWith(`:${pid}`)), `${host} is one of the workers (pids ${pids.join(', ')})`);

      const last = spawnSync(process.execPath, [BIN, 'last', '--json'], { cwd: dir, encoding: 'utf8' });
      const counts = (JSON.parse(last.stdout) as { profiles: { default: { run: { counts: Record<string, number> } } } }).profiles.default.run.counts;
      assert.deepEqual(counts, { success: PASSING, fail: 1 }, 'the repository holds each result once');
    } finally {
      tearDown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
