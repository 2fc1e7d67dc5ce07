// Runs the built CLI (packages/cli/bin/baton.js, the bundle) as a real process, the way users and CI do.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built entry point. */
export const BIN: string = fileURLToPath(new URL('../../bin/baton.js', import.meta.url));

/** What a finished baton process left behind. */
export interface BatonResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Buffer;
}

/** Runs `baton ARGS` in `cwd` to completion, feeding `input` to its stdin. */
export function baton(cwd: string, args: readonly string[], input?: string | Uint8Array): BatonResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, input: input ?? '', maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), stdoutBytes: r.stdout };
}

/** Starts `baton ARGS` without waiting, stdin piped. */
export function startBaton(cwd: string, args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
}

const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A fresh temporary project directory with `baton init` done. */
export function initProject(prefix = 'baton-cli-'): string {
  const dir = tempDir(prefix);
  const r = baton(dir, ['init']);
  if (r.status !== 0) throw new Error(`baton init failed: ${r.stderr}`);
  return dir;
}
