// Shared process helpers for the end-to-end benchmarks: every measured process is a real
// child (baton's CLI, Debian's stestr), timed from outside, with the same environment.
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './_table.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** baton's CLI entry point in this checkout (built by `npm run bench`). */
export const BIN = join(ROOT, 'packages', 'cli', 'bin', 'baton.js');
/** Every Python process is Debian's interpreter (what Debian's stestr runs), so that an interpreter shim on PATH is part of neither tool's time. */
export const PYTHON = '/usr/bin/python3';
export const STESTR = '/usr/bin/stestr';

/**
 * What every measured process runs with: BATON_PYTHON set to {@link PYTHON}, `extra`, and
 * Python's default bytecode caching, whatever this shell says (some sandboxes set
 * PYTHONDONTWRITEBYTECODE, and then every test server and every stestr worker compiles the
 * suite from source at each start, ~0.1 s here, which is neither tool's doing).
 */
export function benchEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, BATON_PYTHON: PYTHON, ...extra };
  delete env['PYTHONDONTWRITEBYTECODE'];
  return env;
}

export interface Timed {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Epoch ms just before spawn and at exit (comparable with the JSON report's ISO times). */
  readonly startedAt: number;
  readonly exitedAt: number;
  /** Wall seconds on the monotonic clock. */
  readonly wall: number;
}

/**
 * Runs `command` to its end, timing it from just before spawn to its exit. With `shown`,
 * its output goes to this process's terminal as it comes (a live display stays live)
 * instead of being collected.
 */
export function timed(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = benchEnv(), shown = false): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const t0 = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', shown ? 'inherit' : 'pipe', shown ? 'inherit' : 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, startedAt, exitedAt: Date.now(), wall: (performance.now() - t0) / 1000 }));
  });
}

/** Throws, with the tail of the process's output, unless it exited with one of `expected`. */
export function check(what: string, r: Timed, expected: number[]): void {
  if (r.code !== null && expected.includes(r.code)) return;
  throw new Error(`${what} exited ${r.code} (expected ${expected.join(' or ')})\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`);
}

/** Median wall milliseconds of 7 starts of `command`. */
function startMs(command: string, args: string[]): number {
  const env = benchEnv();
  const times = Array.from({ length: 7 }, () => {
    const t0 = performance.now();
    spawnSync(command, args, { stdio: 'ignore', env });
    return performance.now() - t0;
  });
  return Math.round(median(times));
}

/**
 * Two lines that say what machine the figures come from: cores, load, and how fast
 * interpreters start right now (start-up is CPU work that scales with how busy this
 * shared machine is at the time); `note` ends the first line.
 */
export function machineLines(bench: string, note = ''): string {
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  return (
    `${bench}: node ${process.version}, ${PYTHON}, ${availableParallelism()} cores, load average ${load} at the start${note}\n` +
    `  machine speed now: \`node -e 0\` ${startMs(process.execPath, ['-e', '0'])} ms, \`python3 -c pass\` ${startMs(PYTHON, ['-c', 'pass'])} ms (median of 7 starts); Python writes and reads bytecode caches (PYTHONDONTWRITEBYTECODE unset)`
  );
}

/** The version of Debian's stestr, as Python's package metadata says. */
export function stestrVersion(): string {
  return spawnSync(PYTHON, ['-c', 'import importlib.metadata as m; print(m.version("stestr"))'], { encoding: 'utf8' }).stdout.trim();
}
