// Runs python-subunit's command-line tools (Debian's python3-subunit, installed by .ci/run)
// on bytes, for interop tests that hold baton to what the real tools say.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's interpreter, which has python3-subunit (a pyenv python3 on PATH may not). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export interface ToolResult {
  stdout: Buffer;
  stderr: string;
  status: number | null;
}

/** Runs a tool, failing loudly (not skipping) when it is missing: CI must install it. */
export function runTool(command: string, args: string[], input: Uint8Array, env: NodeJS.ProcessEnv = {}): ToolResult {
  const r = spawnSync(command, args, { input, env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) {
    throw new Error(`cannot run ${command} (${r.error.message}); install Debian's python3-subunit, as .ci/run does`);
  }
  return { stdout: r.stdout, stderr: r.stderr.toString('utf8'), status: r.status };
}

/** Runs a Python snippet with Debian's interpreter. */
export function runPython(code: string, input: Uint8Array, env: NodeJS.ProcessEnv = {}): ToolResult {
  if (!existsSync(DEBIAN_PYTHON)) throw new Error(`${DEBIAN_PYTHON} not found; install python3-subunit`);
  return runTool(DEBIAN_PYTHON, ['-c', code], input, env);
}

/** `subunit2csv --no-passthrough`, parsed by Python's csv module (ids may hold commas and quotes). */
export function subunitCsv(stream: Uint8Array): { test: string; status: string; start: string; stop: string }[] {
  const csv = runTool('subunit2csv', ['--no-passthrough'], stream);
  const rows = runPython('import csv, json, sys; print(json.dumps(list(csv.reader(sys.stdin))))', csv.stdout);
  const [header, ...data] = JSON.parse(rows.stdout.toString('utf8')) as string[][];
  if (header?.join(',') !== 'test,status,start_time,stop_time') throw new Error(`unexpected subunit2csv header ${header}`);
  return data.map(([test, status, start, stop]) => ({ test: test!, status: status!, start: start!, stop: stop! }));
}

/** Microseconds since the epoch of a python-subunit time ("2026-11-21 23:41:13.440154+00:00"). */
export function pythonTimeToMicros(text: string): number {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00:00$/.exec(text);
  if (!m) throw new Error(`unexpected time ${JSON.stringify(text)}`);
  return Date.parse(`${m[1]}T${m[2]}Z`) * 1000 + Number((m[3] ?? '').padEnd(6, '0'));
}
