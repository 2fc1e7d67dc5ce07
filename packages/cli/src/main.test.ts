import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CliIo } from './context.js';
import { main } from './main.js';
import { tempDir } from './test-support/run-baton.js';

function io(cwd: string) {
  const out = { stdout: '', stderr: '' };
  const value: CliIo = {
    stdout: { write: (s) => (out.stdout += String(s)) },
    stderr: { write: (s) => (out.stderr += String(s)) },
    stdin: Object.assign((async function* () {})(), { isTTY: true }),
    cwd,
    now: () => 0,
    signals: new EventEmitter(),
    env: {},
  };
  return { io: value, out };
}

describe('main', () => {
  it('runs a command in-process and returns its status, without exiting', async () => {
    const dir = tempDir('baton-main-');
    const { io: a, out } = io(dir);
    assert.equal(await main(['init'], a), 0);
    assert.equal(out.stdout, `Initialised an empty baton repository: ${join(dir, '.baton', 'baton.db')}\n`);
    const { io: b, out: outB } = io(dir);
    assert.equal(await main(['last'], b), 2);
    assert.equal(outB.stderr, 'baton: profile default has no runs yet; `baton load` records one\n');
  });

  it('refuses `baton load` with nothing to read: no files and a terminal on stdin', async () => {
    const { io: a, out } = io(tempDir('baton-main-'));
    assert.equal(await main(['load'], a), 2);
    assert.equal(out.stderr, 'baton: no input: name subunit files or a .stestr/ directory, or pipe a stream into `baton load -`\n');
  });

  it('prints help and the version to stdout', async () => {
    const { io: a, out } = io(tmpdir());
    assert.equal(await main(['--help'], a), 0);
    assert.match(out.stdout, /^baton <command> \[options\]\n/);
    const { io: b, out: outB } = io(tmpdir());
    assert.equal(await main(['--version'], b), 0);
    assert.equal(outB.stdout, '0.1.0\n');
  });
});

/** Runs `baton ARGS` in-process in `cwd`: its status and what it wrote. */
async function run(args: readonly string[], cwd: string): Promise<{ status: number; stdout: string; stderr: string }> {
  const { io: value, out } = io(cwd);
  const status = await main(args, value);
  return { status, ...out };
}

/** A project a run would accept: a .stestr.conf and its (empty) test directory. */
function stestrProject(): string {
  const dir = tempDir('baton-usage-');
  writeFileSync(join(dir, '.stestr.conf'), '[DEFAULT]\ntest_path=./tests\n');
  mkdirSync(join(dir, 'tests'));
  return dir;
}

describe('usage mistakes', () => {
  it('are said the way baton says things: options with their dashes, each once, and the help of the command named', async () => {
    const dir = tempDir('baton-usage-');
    const cases: [string[], string][] = [
      [['run', '--blacklist-file', 'x'], 'unknown option --blacklist-file\nRun `baton run --help` for usage.'],
      [['run', '-x'], 'unknown option -x\nRun `baton run --help` for usage.'],
      [['run', '--plan.x', '3'], 'unknown option --plan.x\nRun `baton run --help` for usage.'],
      [['frob'], 'unknown command "frob": the commands are run, list, coordinator, worker, init, load, last, failing, flaky, slowest, stats, history, bisect, serve, timings, simulate\nRun `baton --help` for usage.'],
      [['last', 'extra', '--bogus'], 'unexpected argument "extra"; unknown option --bogus\nRun `baton last --help` for usage.'],
      [['history'], 'history needs a verb or a test id; history takes list, show [RUN], remove RUN…|all, or TEST_ID (--test ID for a test named like a verb)'],
      [['timings'], 'name a timings command: export FILE or import FILE\nRun `baton timings --help` for usage.'],
      [['timings', 'export'], 'missing FILE: baton timings export FILE (- for stdout)'],
      [['simulate'], 'missing --workload\nRun `baton simulate --help` for usage.'],
      [['failing', '--json', '--subunit'], '--subunit and --json cannot be used together\nRun `baton failing --help` for usage.'],
      [['run', '--plan-unnamed', 'x'], '--plan-unnamed takes "refuse" or "append", not "x"\nRun `baton run --help` for usage.'],
      [['run', '--junit'], '--junit needs a value\nRun `baton run --help` for usage.'],
      [['run', '--json', ''], '--json needs a value, not an empty string\nRun `baton run --help` for usage.'],
      [[], 'name a command: run, list, coordinator, worker, init, load, last, failing, flaky, slowest, stats, history, bisect, serve, timings, simulate\nRun `baton --help` for usage.'],
    ];
    for (const [args, message] of cases) {
      const r = await run(args, dir);
      assert.deepEqual([r.status, r.stderr, r.stdout], [2, `baton: ${message}\n`, ''], args.join(' '));
    }
    assert.deepEqual(readdirSync(dir), [], 'nothing written');
  });

  it('refuses a bad number naming the option and what was typed, before anything starts', async () => {
    const dir = stestrProject();
    const cases: [string[], string][] = [
      [['run', '-j', 'abc'], '-j takes a whole number of local workers from 0 to 1024, not "abc"'],
      [['run', '-j', '1.5'], '-j takes a whole number of local workers from 0 to 1024, not "1.5"'],
      [['run', '-j', '-1'], '-j takes a whole number of local workers from 0 to 1024, not "-1"'],
      [['run', '-j', '99999'], '-j takes a whole number of local workers from 0 to 1024, not "99999"'],
      [['run', '--timeout', 'abc'], '--timeout takes a positive number of seconds up to 2147483, not "abc"'],
      [['run', '--timeout', '0'], '--timeout takes a positive number of seconds up to 2147483, not "0"'],
      [['run', '--timeout', '1e400'], '--timeout takes a positive number of seconds up to 2147483, not "1e400"'],
      [['run', '--wait', '-1'], '--wait takes a number of seconds from 0 up to 2147483, not "-1"'],
      [['run', '--min-workers', '0'], '--min-workers takes a whole number of workers, 1 or more, not "0"'],
      [['simulate', '--workload', 'w.json', '--workers', '0'], '--workers takes a whole number of workers from 1 to 10000, not "0"'],
      [['simulate', '--workload', 'w.json', '--workers', '-1'], '--workers takes a whole number of workers from 1 to 10000, not "-1"'],
      [['simulate', '--workload', 'w.json', '--workers', 'abc'], '--workers takes a whole number of workers from 1 to 10000, not "abc"'],
      [['simulate', '--workload', 'w.json', '--workers', '1.5'], '--workers takes a whole number of workers from 1 to 10000, not "1.5"'],
      [['slowest', '-n', '0'], '-n takes a whole number of tests, 1 or more, not "0"'],
      [['worker', '--connect', 'ws://h:1', '--slots', '0x10'], '--slots takes a whole number of slots from 1 to 1024, not "0x10"'],
    ];
    for (const [args, message] of cases) {
      const r = await run(args, dir);
      assert.deepEqual([r.status, r.stderr], [2, `baton: ${message}\nRun \`baton ${args[0]} --help\` for usage.\n`], args.join(' '));
    }
    assert.equal(existsSync(join(dir, '.baton')), false, 'no repository created');
  });

  it('refuses addresses it could never use, and a worker count the run can never reach, with nothing started or created', async () => {
    const dir = stestrProject();
    const cases: [string[], string][] = [
      [['run', '-j', '1', '--listen', '127.0.0.1:99999'], '--listen takes HOST:PORT with a port from 0 to 65535 (e.g. 127.0.0.1:7700, or 0.0.0.0:7700 for every interface), not "127.0.0.1:99999"'],
      [['run', '-j', '0', '--worker', 'TestPass'], '--worker takes a ws:// or wss:// URL such as ws://HOST:7701, not "TestPass"'],
      [['run', '-j', '0', '--worker', 'http://h:7701'], '--worker takes a ws:// or wss:// URL such as ws://HOST:7701, not "http://h:7701"'],
      [['worker', '--connect', 'h:7700'], '--connect takes a ws:// or wss:// URL such as ws://HOST:7701, not "h:7700"'],
      [['run', '-j', '1', '--min-workers', '3', '--wait', '1'], '--min-workers 3 can never be met: this run has 1 worker (-j N is one worker, each --worker URL one more); --listen HOST:PORT lets more connect'],
      [['run', '-j', '1', '--tls-cert', 'c.pem', '--tls-key', 'k.pem'], '--tls-cert and --tls-key serve wss:// to workers that connect: they go with --listen HOST:PORT'],
      [['run', '-j', '1', '--subunit', '--json', '-'], '--subunit and --json - would all write to stdout: send all but one to a file'],
      [['run', '-j', '1', '--junit', 'r.xml', '--json', './r.xml'], '--junit and --json both name ./r.xml: give each report its own file'],
    ];
    for (const [args, message] of cases) {
      const r = await run(args, dir);
      assert.deepEqual([r.status, r.stderr], [2, `baton: ${message}\n`], args.join(' '));
    }
    assert.equal(existsSync(join(dir, '.baton')), false, 'no repository created');
  });

  it('names the option of a file it cannot read or write, before anything starts', async () => {
    const dir = stestrProject();
    mkdirSync(join(dir, 'adir'));
    const cases: [string[], string][] = [
      [['run', '-j', '1', '--load-list', 'nope.txt'], '--load-list nope.txt: no such file or directory'],
      [['run', '-j', '1', '--plan', 'nope.json'], '--plan nope.json: no such file or directory'],
      [['run', '-j', '1', '--token-file', 'adir'], '--token-file adir: is a directory'],
      [['run', '-j', '1', '--junit', '/nonexistent/dir/j.xml'], '--junit /nonexistent/dir/j.xml: its directory /nonexistent/dir does not exist; nothing was run'],
      [['run', '-j', '1', '--json', 'adir'], '--json adir: is a directory; nothing was run'],
      [['simulate', '--workload', 'nope.json'], '--workload nope.json: no such file or directory'],
      [['timings', 'import', 'nope.json'], 'timings import nope.json: no such file or directory'],
    ];
    for (const [args, message] of cases) {
      const r = await run(args, dir);
      assert.deepEqual([r.status, r.stderr], [2, `baton: ${message}\n`], args.join(' '));
    }
    assert.equal(existsSync(join(dir, '.baton')), false, 'no repository created');
  });

  it('takes the last value of an option given twice, and every value of one that repeats', async () => {
    const dir = tempDir('baton-usage-');
    writeFileSync(join(dir, 'w.json'), JSON.stringify({ tests: [{ id: 'a', duration: 1 }, { id: 'b', duration: 2 }], workers: 4 }));
    const r = await run(['simulate', '--workload', 'nope.json', '--workload', 'w.json', '--workers', '1', '--workers', '2', '--json'], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).workers, 2);
  });
});
