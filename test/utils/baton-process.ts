// Runs the built baton CLI as real processes, the way users and CI do, and builds small
// Python projects in temporary directories for it to run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../packages/cli/src/test-support/run-baton.js';

export const BATON_BIN: string = fileURLToPath(new URL('../../packages/cli/bin/baton.js', import.meta.url));

export interface Finished {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Buffer;
}

/** A running baton process whose output is collected; `exited` settles when it ends. */
export interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<Finished>;
  /** Resolves with the first match of `re` in stdout+stderr so far or later; rejects on exit or after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

/** `ownGroup`: baton leads a process group of its own, which a test can signal as a terminal would. */
export function startBaton(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, options: { readonly ownGroup?: boolean } = {}): Running {
  const child = spawn(process.execPath, [BATON_BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: options.ownGroup === true });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const watchers = new Set<() => void>();
  const text = () => Buffer.concat(out).toString('utf8') + Buffer.concat(err).toString('utf8');
  child.stdout!.on('data', (d: Buffer) => {
    out.push(d);
    for (const w of watchers) w();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err.push(d);
    for (const w of watchers) w();
  });
  const exited = new Promise<Finished>((resolve) => {
    child.once('close', (status, signal) => {
      for (const w of watchers) w();
      const stdoutBytes = Buffer.concat(out);
      resolve({ status, signal, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    exited,
    waitFor(re, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`no ${re} within ${ms} ms; output so far:\n${text()}`)), ms);
        const check = () => {
          const m = text().match(re);
          if (m) finish(undefined, m);
          else if (done) finish(new Error(`exited without ${re}; output:\n${text()}`));
        };
        const finish = (error?: Error, m?: RegExpMatchArray) => {
          clearTimeout(timer);
          watchers.delete(check);
          if (error) reject(error);
          else resolve(m!);
        };
        watchers.add(check);
        check();
      });
    },
  };
}

/** Runs baton to completion (killing it after `ms`). */
export async function runBaton(cwd: string, args: readonly string[], ms = 120_000): Promise<Finished> {
  const running = startBaton(cwd, args);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), ms);
  try {
    return await running.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** A temporary project made of `files` (path → content), removed when the test process exits. */
export function makeProject(files: Record<string, string>, prefix = 'baton-e2e-'): string {
  const dir = tempDir(prefix);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

export const STESTR_CONF = '[DEFAULT]\ntest_path=./tests\ntop_dir=./\n';

/** A Python unittest module from test methods (name → body lines). */
export function unittestModule(className: string, methods: Record<string, string>, header = ''): string {
  const body = Object.entries(methods)
    .map(([name, code]) => `    def ${name}(self):\n${code.split('\n').map((l) => `        ${l}`).join('\n')}\n`)
    .join('\n');
  return `import os, sys, time, signal, unittest\n${header}\n\nclass ${className}(unittest.TestCase):\n${body}`;
}
