// The whole command line under seeded fuzzing: every command with random and malformed
// arguments, option values at and past their edges, junk tokens, and a project whose
// configuration (.stestr.conf, .testr.conf, baton.json) and plan, workload, load-list,
// token and subunit files are valid, mutated or missing. Each case runs `main` in this
// process, as the `baton` binary does, with a real repository and real test servers. The
// properties: no stack trace and no internal error is ever printed, nothing escapes as an
// unhandled rejection, the exit status is 0, 1, 2 or 3, and a command that refuses its
// input (2) leaves the project and its repository as they were. A command that waits
// (a worker, a coordinator waiting for workers) gets Ctrl-C after RESCUE_MS and must end.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { main } from '../../packages/cli/src/main.js';
import { tempDir } from '../../packages/cli/src/test-support/run-baton.js';
import { syntheticBytes } from '../../packages/store/src/test-support/streams.js';
import { STESTR_CONF, unittestModule } from '../utils/baton-process.js';
import { assertExercised, caseCount, fuzzAsync, int, jsonCase, mutateBytes, mutateText, pick, summary, type Outcome, type Rng } from '../utils/fuzz.js';

/** A command that may wait for peers gets Ctrl-C this long after it started. */
const RESCUE_MS = 3_000;
/** After Ctrl-C, a command has this long to end. */
const END_MS = 20_000;
/** Any other command must end within this (generous: the machine is shared). */
const HANG_MS = 60_000;

/** Values of one kind of option: ones a command takes, and ones at and past its edges. */
interface Kind {
  readonly good: readonly string[];
  readonly edge: readonly string[];
}
const COUNTS: Kind = { good: ['1', '2'], edge: ['0', '-1', '1.5', 'abc', '', '1e3', '99999', '0x10', ' 1', 'NaN', 'Infinity', '9007199254740993'] };
const SECONDS: Kind = { good: ['0.5', '5', '30'], edge: ['0', '-1', 'abc', '1e400', '', '99999999999', '.5', '1.'] };
const INPUTS: Kind = {
  good: ['plan.json', 'ids.txt', 'good.subunit', 'token', 'w.json', 'timings.json'],
  edge: ['bad-plan.json', 'nope.json', 'adir', '', 'bad-ids.txt', 'bad.subunit', 'empty', 'short-token', 'bad-w.json', '/nonexistent/x', '-'],
};
const OUTPUTS: Kind = { good: ['out.json', 'out.xml', '-'], edge: ['/nonexistent/d/x.xml', 'adir', '', 'sub/none/x.json', 'good.subunit'] };
const URLS: Kind = { good: ['ws://127.0.0.1:1', 'ws://127.0.0.1:1/baton/rpc'], edge: ['TestPass', 'http://127.0.0.1:1', 'ws://', 'wss://127.0.0.1:1', 'ws://[::1]:1', '', 'ws://127.0.0.1:99999'] };
const LISTENS: Kind = { good: ['127.0.0.1:0', ':0', '0'], edge: ['127.0.0.1:99999', 'abc', '0.0.0.0:0', '[::1]:0', '', 'host:port', '-1'] };
// Without '' (the default address, a fixed port another process may hold).
const SERVES: Kind = { good: ['127.0.0.1:0', ':0', '0'], edge: ['127.0.0.1:99999', 'abc', '0.0.0.0:0', 'host:port', '-1'] };
const PROFILES: Kind = { good: ['default', 'py311'], edge: ['', 'x y', '🙂', '--json'] };
const FILTERS: Kind = { good: ['TestA', 'test_pass', '.*', 'tests\\.'], edge: ['[', '(?<', 'nomatch', '', '-'] };
const TEST_IDS: Kind = { good: ['tests.test_a.TestA.test_pass', 'pkg.module_1.TestCase0.test_1'], edge: ['nope', ''] };
const UNNAMED: Kind = { good: ['refuse', 'append'], edge: ['x', ''] };
const JUNK = ['--', '-', '--=x', '-jx', '--no-json', '--json=-', '---x', 'ünï', 'x'.repeat(3000), '--version', '-h', '--repo', '--repo=', '--worker', '-n', '--x.y', '--__proto__', '--constructor', 'constructor'];

type Values = Kind | 'flag';
const DIRS: Kind = { good: ['tests', '.'], edge: ['nope', 'adir', '', 'ids.txt', '/nonexistent'] };
/** Selection and configuration on the command line, and how a run is recorded and planned. */
const SELECTION_OPTIONS: Record<string, Values> = {
  '--include-list': INPUTS, '--exclude-list': INPUTS, '-E': FILTERS, '--exclude-regex': FILTERS, '--test-path': DIRS, '--top-dir': DIRS,
  '--group-regex': FILTERS, '--parallel-class': 'flag', '--combine': 'flag', '--random': 'flag', '--random-seed': COUNTS,
};
const RUN_OPTIONS: Record<string, Values> = {
  ...SELECTION_OPTIONS,
  '-j': COUNTS, '--jobs': COUNTS, '--plan': INPUTS, '--plan-unnamed': UNNAMED, '--load-list': INPUTS, '--failing': 'flag',
  '--profile': PROFILES, '--subunit': 'flag', '--junit': OUTPUTS, '--json': OUTPUTS, '--timeout': SECONDS, '--listen': LISTENS,
  '--token-file': INPUTS, '--tls-cert': INPUTS, '--tls-key': INPUTS, '--worker': URLS, '--min-workers': COUNTS, '--wait': SECONDS,
  '--serve': SERVES,
};
/** A command's options, its positional arguments, and how many of those it takes (one, or any number). */
interface Grammar {
  readonly options: Record<string, Values>;
  readonly positional?: Kind;
  readonly one?: boolean;
  /** Options it needs, given most of the time. */
  readonly needs?: readonly string[];
}
const GRAMMAR: Record<string, Grammar> = {
  run: { options: RUN_OPTIONS, positional: FILTERS },
  coordinator: { options: RUN_OPTIONS, positional: FILTERS },
  worker: {
    options: { '--connect': URLS, '--listen': LISTENS, '--token-file': INPUTS, '--tls-cert': INPUTS, '--tls-key': INPUTS, '--slots': COUNTS, '--name': PROFILES, '--wait': SECONDS, '--absent-ok': 'flag' },
  },
  init: { options: {} },
  load: { options: { '--profile': PROFILES, '--json': 'flag' }, positional: INPUTS },
  last: { options: { '--profile': PROFILES, '--json': 'flag', '--subunit': 'flag', '--trace': OUTPUTS } },
  failing: { options: { '--profile': PROFILES, '--list': 'flag', '--subunit': 'flag', '--json': 'flag' } },
  slowest: { options: { '--profile': PROFILES, '-n': COUNTS, '--count': COUNTS, '--all': 'flag', '--json': 'flag' } },
  stats: { options: { '--json': 'flag' } },
  history: { options: { '--profile': PROFILES, '--json': 'flag' }, positional: TEST_IDS, one: true },
  'timings export': { options: { '--profile': PROFILES }, positional: OUTPUTS, one: true },
  'timings import': { options: {}, positional: INPUTS, one: true },
  simulate: { options: { '--workload': INPUTS, '--workers': COUNTS, '--json': 'flag' }, needs: ['--workload'] },
};
const ALL_OPTIONS = Object.values(GRAMMAR).flatMap((g) => Object.keys(g.options));

/** A command line: mostly well formed, with values at the edges, then 0 to 3 token-level edits. */
function commandLine(r: Rng): string[] {
  const name = pick(r, Object.keys(GRAMMAR));
  const grammar = GRAMMAR[name]!;
  const args = name.split(' ');
  const value = (kind: Kind) => pick(r, r() < 0.6 ? kind.good : kind.edge);
  const option = (flag: string, values: Values) => (values === 'flag' ? [flag] : r() < 0.15 ? [`${flag}=${value(values)}`] : [flag, value(values)]);
  const own = Object.entries(grammar.options);
  for (let k = int(r, 4); k > 0 && own.length > 0; k--) args.push(...option(...pick(r, own)));
  for (const flag of grammar.needs ?? []) if (r() < 0.85) args.push(...option(flag, grammar.options[flag]!));
  if (grammar.positional) for (let k = grammar.one && r() < 0.85 ? 1 : int(r, 3); k > 0; k--) args.push(value(grammar.positional));
  // Commands that wait for peers mostly get a short --wait, so that few need Ctrl-C.
  if ((name === 'worker' || name === 'coordinator') && r() < 0.85) args.push('--wait', pick(r, ['0', '0.2', '1']));
  if (name === 'worker' && r() < 0.7) args.push('--connect', 'ws://127.0.0.1:1');
  if (name === 'coordinator' && r() < 0.7) args.push('--listen', '127.0.0.1:0');
  if (name === 'run' && r() < 0.5) args.push('-j', pick(r, ['0', '1', '2']));
  if (r() < 0.1) args.push('--repo', pick(r, ['.', 'adir', 'nope', '']));
  for (let k = r() < 0.7 ? 0 : 1 + int(r, 3); k > 0; k--) {
    const at = int(r, args.length + 1);
    switch (int(r, 4)) {
      case 0:
        args.splice(at, 0, pick(r, JUNK));
        break;
      case 1:
        // Another command's option, unknown here or valid with a value of the wrong kind.
        args.splice(at, 0, pick(r, ALL_OPTIONS), pick(r, [...COUNTS.edge, ...INPUTS.good]));
        break;
      case 2:
        args.splice(at, 1);
        break;
      default:
        if (args.length > 0) args.splice(at, 0, args[int(r, args.length)]!);
    }
  }
  return args;
}

const STESTR_SEEDS = [STESTR_CONF, '[DEFAULT]\ntest_path=./tests\ngroup_regex=([^\\.]*\\.)*\n', '[DEFAULT]\ntest_path=./tests\nparallel_class=true\n'];
const TESTR_SEEDS = [
  '[DEFAULT]\ntest_command=/usr/bin/python3 -m subunit.run discover -t ./ ./tests $LISTOPT $IDOPTION\ntest_id_option=--load-list $IDFILE\ntest_list_option=--list\n',
];
const JSON_SEEDS: unknown[] = [
  { python: { testPath: 'tests', topDir: '.' }, timeout: { multiple: 5, minimum: 60 }, profile: 'py311' },
  { python: { testPath: 'tests', fork: false }, groupRegex: '^(.*\\.TestA)\\.' },
  { testr: { testCommand: '/usr/bin/python3 -m subunit.run discover -t ./ ./tests $LISTOPT $IDOPTION', testIdOption: '--load-list $IDFILE', testListOption: '--list' } },
  { server: { command: ['./no-such-server'] } },
];
const JSON_TEXTS = JSON_SEEDS.map((s) => JSON.stringify(s, null, 2));
const CONFIG_FILES = ['.stestr.conf', '.testr.conf', 'baton.json'] as const;

/** The project's configuration for a case: a valid one, a mutated one, or none. */
function configuration(r: Rng): { file: (typeof CONFIG_FILES)[number]; text: string } | undefined {
  const choice = int(r, 20);
  if (choice < 10) return { file: '.stestr.conf', text: pick(r, STESTR_SEEDS) };
  if (choice < 12) return { file: 'baton.json', text: pick(r, JSON_TEXTS.slice(0, 2)) };
  if (choice < 13) return { file: '.testr.conf', text: TESTR_SEEDS[0]! };
  if (choice < 15) return { file: '.stestr.conf', text: mutateText(r, pick(r, STESTR_SEEDS), [...STESTR_SEEDS, ...TESTR_SEEDS]) };
  if (choice < 16) return { file: '.testr.conf', text: mutateText(r, TESTR_SEEDS[0]!, [...STESTR_SEEDS, ...TESTR_SEEDS]) };
  if (choice < 18) return { file: 'baton.json', text: jsonCase(r, JSON_SEEDS, JSON_TEXTS) };
  return undefined;
}

interface CliCase {
  /** Which project: one with a repository holding runs, or one with none. */
  readonly withHistory: boolean;
  readonly config: ReturnType<typeof configuration>;
  /** Bytes of bad.subunit: a mutation of good.subunit. */
  readonly badSubunit: Uint8Array;
  readonly args: string[];
}

const GOOD_SUBUNIT = syntheticBytes({ results: 20, failEvery: 4 });

function cliCase(r: Rng): CliCase {
  return { withHistory: r() < 0.6, config: configuration(r), badSubunit: mutateBytes(r, GOOD_SUBUNIT, [GOOD_SUBUNIT]), args: commandLine(r) };
}

/** A project with a tiny suite and every file the command lines name. */
function project(withHistory: boolean): string {
  const dir = tempDir('baton-fuzz-cli-');
  const files: Record<string, string | Uint8Array> = {
    'tests/__init__.py': '',
    'tests/test_a.py': unittestModule('TestA', { test_pass: 'pass', test_fail: 'self.assertEqual(1, 2)', test_skip: 'self.skipTest("no")' }),
    'plan.json': JSON.stringify({ version: 1, segments: [{ name: 'a', tests: ['tests.test_a.TestA.test_pass'] }, { name: 'b', tests: ['tests.test_a.TestA.test_fail', 'tests.test_a.TestA.test_skip'] }] }),
    'bad-plan.json': '{"version": 1, "segments": [{"tests": ["nope"]}',
    'ids.txt': 'tests.test_a.TestA.test_pass\n',
    'bad-ids.txt': 'tests.nope.T.test_x\n',
    'good.subunit': GOOD_SUBUNIT,
    empty: '',
    token: 'a-shared-secret-of-enough-length\n',
    'short-token': 'short\n',
    'w.json': JSON.stringify({ tests: [{ id: 'a', duration: 1 }, { id: 'b', duration: 2 }], workers: 2 }),
    'bad-w.json': JSON.stringify({ tests: [{ id: 'a', duration: 'x' }], workers: 0 }),
    'timings.json': JSON.stringify({ format: 'baton-timings', version: 1, profiles: { default: { 'tests.test_a.TestA.test_pass': { estimate: 0.1, count: 1 } } } }),
  };
  mkdirSync(join(dir, 'tests'));
  mkdirSync(join(dir, 'adir'));
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, path), content);
  // The repository of the project with history is made by the command line itself, as a user's would be.
  if (withHistory) writeFileSync(join(dir, '.stestr.conf'), STESTR_CONF);
  return dir;
}

/** What a refusal must leave as it was: every file's name and size, and each repository's rows. */
function fingerprint(dir: string): string {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      const rel = relative(dir, path);
      if (statSync(path).isDirectory()) {
        if (name === 'tests') continue;
        out.push(`${rel}/`);
        if (name === '.baton') out.push(repositoryRows(path));
        else walk(path);
      } else out.push(`${rel} ${statSync(path).size}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

function repositoryRows(batonDir: string): string {
  const file = join(batonDir, 'baton.db');
  if (!existsSync(file)) return '(no database)';
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const runs = db.prepare('SELECT * FROM runs ORDER BY id').all();
    const results = db.prepare('SELECT count(*) AS n, max(rowid) AS last FROM results').get();
    const timings = db.prepare('SELECT count(*) AS n, sum(count) AS total FROM timings').get();
    return JSON.stringify({ runs, results, timings });
  } finally {
    db.close();
  }
}

/** A line of a stack trace, or the CLI's word for a bug. */
const CRASH = /internal error|^\s+at .+[:(].*\d+:\d+\)?$|Error: .*\n\s+at /m;
/** Forms that may legitimately wait for peers or for Ctrl-C. */
const WAITING = /^(worker|coordinator|--listen|--worker|--wait|--min-workers)$|^--(listen|worker|wait)=/;

test('every command, with random and malformed arguments, configurations and files: no stack trace, exit 0-3, nothing changed by a refusal', async (t) => {
  // Each case gets a fresh copy of one of these, so that BATON_FUZZ_CASE=N reruns it alone.
  const templates = { history: project(true), none: project(false) };
  // The history project's repository: one real run and one loaded run.
  for (const args of [['run', '-j', '1'], ['load', 'good.subunit']]) {
    const setup = io(templates.history);
    assert.equal(await main(args, setup.io), 1, setup.out.stderr);
  }

  const escaped: unknown[] = [];
  const onEscape = (error: unknown) => escaped.push(error);
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  after(() => {
    process.off('unhandledRejection', onEscape);
    process.off('uncaughtException', onEscape);
  });

  const statuses = [0, 0, 0, 0];
  let rescues = 0;
  const check = async (c: CliCase): Promise<Outcome> => {
    const dir = tempDir('baton-fuzz-case-');
    cpSync(c.withHistory ? templates.history : templates.none, dir, { recursive: true });
    for (const name of CONFIG_FILES) rmSync(join(dir, name), { force: true });
    if (c.config) writeFileSync(join(dir, c.config.file), c.config.text);
    writeFileSync(join(dir, 'bad.subunit'), c.badSubunit);
    const before = fingerprint(dir);
    const { io: caseIo, out, signals } = io(dir);
    const running = main(c.args, caseIo);
    const waits = c.args.some((a) => WAITING.test(a));
    let rescued = false;
    let status = await settle(running, waits ? RESCUE_MS : HANG_MS);
    if (status === undefined) {
      assert.ok(waits, `no end within ${HANG_MS} ms, and nothing it was told to wait for`);
      rescued = true;
      signals.emit('SIGINT', 'SIGINT');
      status = await settle(running, END_MS);
      assert.notEqual(status, undefined, `no end ${END_MS} ms after Ctrl-C`);
    }
    const said = `${out.stderr}\n${out.stdout.slice(0, 2000)}`;
    assert.ok([0, 1, 2, 3].includes(status!), `exit status ${status}`);
    assert.doesNotMatch(out.stderr, CRASH, `a stack trace or internal error:\n${out.stderr}`);
    assert.deepEqual(escaped.splice(0), [], 'nothing escapes as an unhandled rejection or exception');
    // `load` keeps what it could read of a damaged stream, and the streams it loaded before
    // one it found was not subunit, and says so: those are not refusals.
    const kept = /as partial run \d+/.test(out.stderr) || (c.args[0] === 'load' && out.stdout !== '');
    if (status === 2 && !kept) assert.equal(fingerprint(dir), before, `a refusal changed the project:\n${said}`);
    rmSync(dir, { recursive: true, force: true });
    statuses[status!]!++;
    if (rescued) rescues++;
    return status === 2 ? 'refused' : 'accepted';
  };

  const report = await fuzzAsync({
    seed: 20261202,
    // A case is a whole command, some of them a run of real test servers: npm run fuzz runs 2,000.
    cases: caseCount(300, 2_000),
    input: cliCase,
    check,
    show: (c) => `${JSON.stringify(c.args)} in the project ${c.withHistory ? 'with' : 'without'} history, ${c.config ? `${c.config.file} ${JSON.stringify(c.config.text.slice(0, 300))}` : 'no configuration'}`,
    boundMs: HANG_MS + END_MS,
  });
  t.diagnostic(summary(report));
  t.diagnostic(`exit statuses 0, 1, 2, 3: ${statuses.join(', ')}; ${rescues} waited until Ctrl-C`);
  assertExercised(report, { accepted: 1 / 10, refused: 1 / 4 });
});

/** Resolves with the status, or undefined if `ms` passed first. */
async function settle(running: Promise<number>, ms: number): Promise<number | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([running, late]);
  } finally {
    clearTimeout(timer);
  }
}

function io(cwd: string) {
  const out = { stdout: '', stderr: '' };
  const signals = new EventEmitter();
  const value = {
    stdout: { write: (s: string | Uint8Array) => (out.stdout += typeof s === 'string' ? s : `(${s.length} bytes)`) },
    stderr: { write: (s: string | Uint8Array) => (out.stderr += String(s)) },
    stdin: Object.assign((async function* () {})(), { isTTY: false }),
    cwd,
    now: () => Date.now(),
    signals,
    env: {},
  };
  return { io: value, out, signals };
}
