// `npm run bench -- real [--concurrency 2] [--rounds 3] [--suites oslo_config,keystoneauth1,cliff,testtools] [--keep]`
//
// Real unittest suites that Debian's python3-* packages ship, run side by side under
// Debian's `stestr run --concurrency N` and `baton run -j N`, alternated (stestr, baton,
// stestr, baton, …) so that noise from other load on the machine falls on both alike. The
// first run of each tool builds its history and is reported apart ("no history"); the next
// `--rounds` are measured with history. Each suite gets a temporary project whose
// `.stestr.conf` points at the installed tests (test_path = the tests directory, top_dir =
// /usr/lib/python3/dist-packages); each tool keeps its own repository there (.stestr/,
// .baton/). The suite must discover alike under both: `stestr list` and baton's "N tests".
//
// Per suite, tool and round: wall of the whole process; tests, passes, failures, skips;
// the per-test cost (Σ durations over the tests that pass under both in that round, from
// each tool's own `last --subunit`, read by python-subunit); class and module fixture
// set-ups (the setUpClass/setUpModule calls that set something up: a class or module whose
// fixtures are unittest's empty ones is left out), counted by a
// `sitecustomize` on PYTHONPATH that wraps TestSuite's fixture handling and appends a line
// per set-up to a log, in every measured Python process of both tools. Then the tests that
// fail under one tool and not the other, with their error text.
//
// Needs, beyond the Debian packages the suites come from (python3-oslo.config,
// python3-keystoneauth1, python3-cliff, python3-testtools, with python3-oslotest,
// python3-requests-mock, python3-testscenarios): python3-sphinx (oslo_config's
// test_sphinxext and test_sphinxconfiggen import it), python3-betamax, python3-pycodestyle
// and python3-hacking (keystoneauth1's test_betamax_* and test_hacking_checks). Debian's
// python3-keystoneauth1 does not ship the XML templates that tests/unit/extras/saml2
// reads when it is imported, so its discovery fails under any runner: that suite runs
// from a copy of the keystoneauth1 package without tests/unit/extras/saml2 (top_dir = the
// copy's parent), the only change to any suite.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFailing, isPassing, type TestStatus } from '@baton/subunit';
import { eachFlag } from './_args.js';
import { BIN, PYTHON, STESTR, type Timed, benchEnv, check, machineLines, stestrVersion, timed } from './_process.js';
import { median, ratio, table } from './_table.js';

const DIST = '/usr/lib/python3/dist-packages';
const SUITES = ['oslo_config', 'keystoneauth1', 'cliff', 'testtools'] as const;
const APT = 'apt-get install python3-oslo.config python3-keystoneauth1 python3-cliff python3-testtools python3-oslotest python3-requests-mock python3-testscenarios python3-sphinx python3-betamax python3-pycodestyle python3-hacking';

interface Options {
  concurrency: number;
  rounds: number;
  suites: string[];
  keep: boolean;
}

function parseArgs(args: string[]): Options {
  const o: Options = { concurrency: 2, rounds: 3, suites: [...SUITES], keep: false };
  eachFlag(args, (flag, v) => {
    const count = () => {
      const n = v.positive();
      if (!Number.isInteger(n)) throw new Error(`${flag} takes a whole number`);
      return n;
    };
    switch (flag) {
      case '--concurrency': o.concurrency = count(); break;
      case '--rounds': o.rounds = count(); break;
      case '--suites': o.suites = v.text().split(',').filter((s) => s !== ''); break;
      case '--keep': o.keep = true; break;
      default: throw new Error(`unknown option ${flag}`);
    }
  });
  const unknown = o.suites.filter((s) => !(SUITES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`unknown suite ${unknown.join(', ')} (suites: ${SUITES.join(', ')})`);
  return o;
}

// ---------------------------------------------------------------------------------------
// Fixture counting and result reading, in Python

/**
 * Put on PYTHONPATH as `sitecustomize.py`: every Python process of either tool appends
 * `class PID NAME` or `module PID NAME` to $BATON_BENCH_FIXTURE_LOG each time unittest's TestSuite
 * sets up a class or module (the same conditions as TestSuite's own: a change of class or
 * module, a class neither skipped nor under a failed setUpModule), `class-noop` and
 * `module-noop` where there is nothing to set up (no setUpClass or tearDownClass but
 * unittest.TestCase's, no setUpModule or tearDownModule). Both tools run their
 * tests through TestSuite.run, so the counts compare. No suite defines a sitecustomize, and
 * Debian's own (/etc/python3.11) only installs apport's hook when apport is there.
 */
const FIXTURE_COUNTER = `import os
import sys as _sys
import unittest as _unittest
import unittest.suite as _suite

_log = os.environ.get("BATON_BENCH_FIXTURE_LOG")
if _log:
    _class_set_up = _suite.TestSuite._handleClassSetUp
    _module_fixture = _suite.TestSuite._handleModuleFixture

    def _note(kind, name):
        fd = os.open(_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, ("%s %d %s\\n" % (kind, os.getpid(), name)).encode())
        finally:
            os.close(fd)

    def _handleClassSetUp(self, test, result):
        cls = test.__class__
        if (getattr(result, "_previousTestClass", None) != cls
                and not getattr(result, "_moduleSetUpFailed", False)
                and not getattr(cls, "__unittest_skip__", False)):
            real = any(getattr(getattr(cls, m), "__func__", None) is not getattr(_unittest.TestCase, m).__func__
                       for m in ("setUpClass", "tearDownClass"))
            _note("class" if real else "class-noop", "%s.%s" % (cls.__module__, cls.__qualname__))
        return _class_set_up(self, test, result)

    def _handleModuleFixture(self, test, result):
        name = test.__class__.__module__
        if self._get_previous_module(result) != name:
            module = _sys.modules.get(name)
            real = any(hasattr(module, f) for f in ("setUpModule", "tearDownModule"))
            _note("module" if real else "module-noop", name)
        return _module_fixture(self, test, result)

    _suite.TestSuite._handleClassSetUp = _handleClassSetUp
    _suite.TestSuite._handleModuleFixture = _handleModuleFixture
`;

/**
 * Reads a subunit v2 stream on stdin with python-subunit (neither tool's own reader) and
 * prints `[[id, status, seconds, error]]`: seconds from the first to the last timestamp of
 * the test, error the last three lines of its traceback (else of its reason): an assertion's
 * last line alone often shows only one side of a comparison.
 */
const READ_RESULTS = `import json, sys
import subunit, testtools
out = []
def on_test(t):
    start, stop = t["timestamps"]
    error = ""
    for name in ("traceback", "reason"):
        detail = t["details"].get(name)
        lines = [l.strip() for l in detail.as_text().splitlines() if l.strip()] if detail is not None else []
        if lines:
            error = " | ".join(lines[-3:])
            break
    out.append([t["id"], t["status"], (stop - start).total_seconds() if start and stop else None, error])
result = testtools.StreamToDict(on_test)
result.startTestRun()
subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name="stdout").run(result)
result.stopTestRun()
json.dump(out, sys.stdout)
`;

interface Result {
  readonly status: string;
  readonly seconds: number | null;
  readonly error: string;
}

/** `tool last --subunit` in `dir`, read into results by id. */
function lastResults(command: string, args: string[], dir: string): Map<string, Result> {
  const stream = spawnSync(command, [...args, 'last', '--subunit'], { cwd: dir, env: benchEnv(), maxBuffer: 1 << 30 });
  if (stream.status !== 0 && stream.status !== 1) throw new Error(`${command} ${args.join(' ')} last --subunit exited ${stream.status}: ${String(stream.stderr).slice(-2000)}`);
  const read = spawnSync(PYTHON, ['-c', READ_RESULTS], { input: stream.stdout, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (read.status !== 0) throw new Error(`reading ${command}'s subunit failed: ${read.stderr.slice(-2000)}`);
  const rows = JSON.parse(read.stdout) as [string, string, number | null, string][];
  return new Map(rows.map(([id, status, seconds, error]) => [id, { status, seconds, error }]));
}

// ---------------------------------------------------------------------------------------
// Runs

type Tool = 'stestr' | 'baton';
const TOOLS: readonly Tool[] = ['stestr', 'baton'];

interface Run {
  readonly wall: number;
  readonly results: Map<string, Result>;
  readonly classSetUps: number;
  readonly moduleSetUps: number;
  /** Python processes that ran tests (stestr's workers; baton's test servers, fresh forks included). */
  readonly processes: number;
  /** The number of tests the tool said it would run (baton's first line); stestr's comes from `stestr list`. */
  readonly announced: number | null;
}

/** Passed and failed as baton counts them (@baton/subunit's status sets), whichever tool ran the test. */
const passed = (r: Result) => isPassing(r.status as TestStatus);
const failed = (r: Result) => isFailing(r.status as TestStatus);

class Project {
  readonly dir: string;
  private readonly log: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly suite: string,
    tmp: string,
    counterDir: string,
  ) {
    this.dir = join(tmp, suite);
    mkdirSync(this.dir, { recursive: true });
    let topDir = DIST;
    if (suite === 'keystoneauth1') {
      topDir = join(tmp, 'keystoneauth1-site');
      cpSync(join(DIST, 'keystoneauth1'), join(topDir, 'keystoneauth1'), { recursive: true, filter: (src) => !src.endsWith('__pycache__') });
      rmSync(join(topDir, 'keystoneauth1', 'tests', 'unit', 'extras', 'saml2'), { recursive: true });
    }
    writeFileSync(join(this.dir, '.stestr.conf'), `[DEFAULT]\ntest_path=${join(topDir, suite, 'tests')}\ntop_dir=${topDir}\n`);
    this.log = join(this.dir, 'fixtures.log');
    const inherited = process.env['PYTHONPATH'];
    this.env = benchEnv({ PYTHONPATH: inherited ? `${counterDir}:${inherited}` : counterDir, BATON_BENCH_FIXTURE_LOG: this.log });
  }

  /** `stestr list`: the test ids stestr discovers (its import errors, when discovery fails). */
  list(): string[] {
    const init = spawnSync(STESTR, ['init'], { cwd: this.dir, env: benchEnv(), encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`stestr init in ${this.dir} exited ${init.status}: ${init.stderr}`);
    const list = spawnSync(STESTR, ['list'], { cwd: this.dir, env: benchEnv(), encoding: 'utf8', maxBuffer: 1 << 30 });
    if (list.status !== 0) {
      throw new Error(`\`stestr list\` of ${this.suite} exited ${list.status}: its discovery fails, so neither tool can run it. A missing module is a missing Debian package (${APT}).\n${list.stdout.slice(0, 4000)}${list.stderr.slice(-2000)}`);
    }
    return list.stdout.split('\n').filter((l) => l.trim() !== '');
  }

  async run(tool: Tool, concurrency: number): Promise<Run> {
    writeFileSync(this.log, '');
    const n = String(concurrency);
    const r: Timed = tool === 'stestr'
      ? await timed(STESTR, ['run', '--concurrency', n], this.dir, this.env)
      : await timed(process.execPath, [BIN, 'run', '-j', n], this.dir, this.env);
    // 1: some test failed, which both tools report the same way; the failures are compared below.
    check(`${tool} run (${this.suite})`, r, [0, 1]);
    const fixtures = readFileSync(this.log, 'utf8').split('\n').filter((l) => l !== '');
    const announced = tool === 'baton' ? /: ([\d,]+) tests\b/.exec(r.stdout)?.[1] : undefined;
    return {
      wall: r.wall,
      results: tool === 'stestr' ? lastResults(STESTR, [], this.dir) : lastResults(process.execPath, [BIN], this.dir),
      classSetUps: fixtures.filter((l) => l.startsWith('class ')).length,
      moduleSetUps: fixtures.filter((l) => l.startsWith('module ')).length,
      processes: new Set(fixtures.map((l) => l.split(' ')[1])).size,
      announced: announced === undefined ? null : Number(announced.replaceAll(',', '')),
    };
  }
}

// ---------------------------------------------------------------------------------------
// Reporting

interface Pair {
  readonly stestr: Run;
  readonly baton: Run;
}

/** Σ seconds over the tests that pass under both tools in this pair, for each tool. */
function perTestCost(p: Pair): { stestr: number; baton: number; common: number } {
  let stestr = 0;
  let baton = 0;
  let common = 0;
  for (const [id, s] of p.stestr.results) {
    const b = p.baton.results.get(id);
    if (b === undefined || s.status !== 'success' || b.status !== 'success' || s.seconds === null || b.seconds === null) continue;
    stestr += s.seconds;
    baton += b.seconds;
    common++;
  }
  return { stestr, baton, common };
}

const secs = (s: number) => `${s.toFixed(2)} s`;
const count = (run: Run, f: (r: Result) => boolean) => [...run.results.values()].filter(f).length;

/** One row per tool and round, the ratios on baton's row; then the medians of the rounds with history. */
function suiteTable(pairs: Pair[]): string {
  const rows: (string | number)[][] = [['round', 'tool', 'wall', 'wall b/s', 'tests', 'passed', 'failed', 'skipped', 'pass both', 'per-test cost', 'cost b/s', 'class set-ups', 'module set-ups', 'processes']];
  pairs.forEach((p, i) => {
    const cost = perTestCost(p);
    for (const tool of TOOLS) {
      const run = p[tool];
      const isBaton = tool === 'baton';
      rows.push([
        isBaton ? '' : i === 0 ? 'no history' : String(i),
        tool,
        secs(run.wall),
        isBaton ? ratio(p.baton.wall / p.stestr.wall) : '',
        run.results.size,
        count(run, passed),
        count(run, failed),
        count(run, (r) => r.status === 'skip'),
        isBaton ? '' : cost.common,
        secs(cost[tool]),
        isBaton ? ratio(cost.baton / cost.stestr) : '',
        run.classSetUps,
        run.moduleSetUps,
        run.processes,
      ]);
    }
  });
  const history = pairs.slice(1);
  const med = (f: (p: Pair) => number) => median(history.map(f));
  for (const tool of TOOLS) {
    const isBaton = tool === 'baton';
    rows.push([
      isBaton ? '' : 'median',
      tool,
      secs(med((p) => p[tool].wall)),
      isBaton ? ratio(med((p) => p.baton.wall) / med((p) => p.stestr.wall)) : '',
      '', '', '', '', '',
      secs(med((p) => perTestCost(p)[tool])),
      isBaton ? ratio(med((p) => perTestCost(p).baton) / med((p) => perTestCost(p).stestr)) : '',
      med((p) => p[tool].classSetUps),
      med((p) => p[tool].moduleSetUps),
      med((p) => p[tool].processes),
    ]);
  }
  return table(rows);
}

/**
 * Tests that fail under `a` and not under `b` in the same round at least once: how often
 * each fails under either tool (an order-dependent test may fail under both, in other
 * rounds), and a's error text.
 */
function failsOnlyUnder(pairs: Pair[], a: Tool, b: Tool): string[] {
  const errors = new Map<string, string>();
  for (const p of pairs) {
    for (const [id, r] of p[a].results) {
      const other = p[b].results.get(id);
      if (failed(r) && (other === undefined || !failed(other)) && !errors.has(id)) errors.set(id, r.error);
    }
  }
  const fails = (tool: Tool, id: string) => pairs.filter((p) => { const r = p[tool].results.get(id); return r !== undefined && failed(r); }).length;
  return [...errors].map(([id, error]) => {
    const text = error.length > 300 ? `${error.slice(0, 300)}…` : error || '(no traceback)';
    return `    ${id} (failed in ${fails(a, id)} of ${pairs.length} ${a} runs, ${fails(b, id)} of ${pairs.length} ${b} runs): ${text}`;
  });
}

// ---------------------------------------------------------------------------------------

export default async function real(args: string[]): Promise<void> {
  const o = parseArgs(args);
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first with \`npm run build\``);
  const tmp = mkdtempSync(join(tmpdir(), 'baton-bench-real-'));
  try {
    console.log(machineLines('real', `; temp dir ${tmp}`));
    const counterDir = join(tmp, 'fixture-counter');
    mkdirSync(counterDir);
    writeFileSync(join(counterDir, 'sitecustomize.py'), FIXTURE_COUNTER);
    const summary: (string | number)[][] = [['suite', 'tests', 'stestr wall', 'baton wall', 'wall b/s', 'per-test cost b/s', 'failed s/b', 'only-baton failures', 'class set-ups s/b']];
    for (const suite of o.suites) {
      const project = new Project(suite, tmp, counterDir);
      const listed = project.list();
      const pairs: Pair[] = [];
      for (let round = 0; round <= o.rounds; round++) {
        const stestr = await project.run('stestr', o.concurrency);
        const baton = await project.run('baton', o.concurrency);
        pairs.push({ stestr, baton });
      }
      const first = pairs[0]!;
      console.log(`\n${suite}: ${join(DIST, suite, 'tests')}${suite === 'keystoneauth1' ? ' (a copy without tests/unit/extras/saml2, whose templates Debian does not ship)' : ''}, N = ${o.concurrency}`);
      const discovery = `discovery: \`stestr list\` ${listed.length} tests, baton's run announced ${first.baton.announced ?? '?'}; results of the first runs: stestr ${first.stestr.results.size}, baton ${first.baton.results.size}`;
      const same = first.baton.announced === listed.length && listed.every((id) => first.baton.results.has(id) && first.stestr.results.has(id));
      console.log(`  ${discovery}${same ? ', the same ids' : '  <-- DIFFERENT: the comparison below is not like for like'}`);
      console.log(suiteTable(pairs));
      const onlyBaton = failsOnlyUnder(pairs, 'baton', 'stestr');
      const onlyStestr = failsOnlyUnder(pairs, 'stestr', 'baton');
      console.log(`  fail under baton, not under stestr in the same round: ${onlyBaton.length === 0 ? 'none' : ''}`);
      for (const line of onlyBaton) console.log(line);
      console.log(`  fail under stestr, not under baton in the same round: ${onlyStestr.length === 0 ? 'none' : ''}`);
      for (const line of onlyStestr) console.log(line);
      const history = pairs.slice(1);
      const med = (f: (p: Pair) => number) => median(history.map(f));
      summary.push([
        suite,
        listed.length,
        secs(med((p) => p.stestr.wall)),
        secs(med((p) => p.baton.wall)),
        ratio(med((p) => p.baton.wall) / med((p) => p.stestr.wall)),
        ratio(med((p) => perTestCost(p).baton) / med((p) => perTestCost(p).stestr)),
        `${med((p) => count(p.stestr, failed))}/${med((p) => count(p.baton, failed))}`,
        onlyBaton.length,
        `${med((p) => p.stestr.classSetUps)}/${med((p) => p.baton.classSetUps)}`,
      ]);
    }
    console.log(`\nsummary: medians of ${o.rounds} rounds with history, N = ${o.concurrency}`);
    console.log(table(summary));
    console.log(`reference: stestr ${stestrVersion()} from Debian (${STESTR} run --concurrency ${o.concurrency}, ${PYTHON}) vs baton (node ${BIN} run -j ${o.concurrency}, BATON_PYTHON=${PYTHON}), alternated stestr, baton, …; wall of each whole process;`);
    console.log('  per-test cost = Σ durations (first to last timestamp of each test in the tool\'s own `last --subunit`) over the tests that pass under both in that round;');
    console.log("  set-ups = setUpClass/setUpModule calls that set something up (a class or module whose fixtures are unittest's empty ones is not counted); aim: wall b/s ≤ 0.90× at equal failures, no only-baton failure.");
  } finally {
    if (o.keep) console.log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}
