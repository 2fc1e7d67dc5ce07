// `npm run soak -- [--runs N] [--minutes M] [--jobs J] [--tests T] [--classes C]`: the
// stall hunt of issue 12. Class-grouped (stestr's parallel_class), pipelined,
// history-driven runs of a generated suite, in a loop: every run re-randomises the test
// durations (so the history is always somewhat stale and the scheduler keeps moving
// work), a few classes fail in setUpClass or tearDownClass, and one busy process per core
// contends for the CPU. Each run must end by itself, with every selected test recorded
// exactly once; a run that stalls is killed after a bound and reported with its output
// (the watchdog's dump, when it fired). Bounded by count and by time.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wholeNumbers } from './options.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'packages', 'cli', 'bin', 'baton.js');
/** A run that has not ended after this many seconds is called stalled and killed. */
const STALL_SECONDS = 120;

type Options = ReturnType<typeof options>;

function options(argv: string[]) {
  return wholeNumbers('soak', argv, { runs: 40, minutes: 15, jobs: 2, tests: 2000, classes: 200 });
}

/** The suite: `classes` classes over 10 modules; durations come from a seed in the environment. */
function writeSuite(dir: string, o: Options): { selected: number; fixtureFailures: number } {
  mkdirSync(join(dir, 'tests'), { recursive: true });
  writeFileSync(join(dir, '.stestr.conf'), '[DEFAULT]\ntest_path=./tests\ntop_dir=./\nparallel_class=true\n');
  writeFileSync(join(dir, 'tests', '__init__.py'), '');
  const perClass = Math.max(1, Math.floor(o.tests / o.classes));
  let fixtureFailures = 0;
  let selected = 0;
  for (let m = 0; m < 10; m++) {
    const lines = [
      'import os, random, time, unittest',
      'SEED = int(os.environ.get("SOAK_SEED", "0"))',
      '',
      'def pause(name):',
      '    # Log-normal durations, new every run: history is always somewhat stale.',
      '    time.sleep(min(0.2, 0.002 * random.Random("%d %s" % (SEED, name)).lognormvariate(0, 1.2)))',
      '',
    ];
    for (let c = m; c < o.classes; c += 10) {
      lines.push(`class Class${c}(unittest.TestCase):`);
      // One class in 50 fails to set up (its tests fail naming it), one in 50 to tear down.
      if (c % 50 === 7) {
        fixtureFailures++;
        lines.push('    @classmethod', '    def setUpClass(cls):', `        raise RuntimeError("soak: setUpClass of Class${c} fails on purpose")`, '');
      } else if (c % 50 === 13) {
        fixtureFailures++;
        lines.push('    @classmethod', '    def tearDownClass(cls):', `        raise RuntimeError("soak: tearDownClass of Class${c} fails on purpose")`, '');
      }
      for (let t = 0; t < perClass; t++) {
        lines.push(`    def test_${t}(self):`, `        pause("${m}.${c}.${t}")`, '');
        selected++;
      }
    }
    writeFileSync(join(dir, 'tests', `test_mod${m}.py`), lines.join('\n'));
  }
  return { selected, fixtureFailures };
}

interface Outcome {
  readonly status: number | null;
  readonly seconds: number;
  readonly output: string;
  readonly stalled: boolean;
}

function runBaton(dir: string, args: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
    let stalled = false;
    const timer = setTimeout(() => {
      stalled = true;
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, STALL_SECONDS * 1000);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, seconds: (performance.now() - t0) / 1000, output, stalled });
    });
  });
}

/** One busy process per core, so that test servers, coordinator and workers contend for the CPU. */
function contend(): ChildProcess[] {
  return Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

async function main(argv: string[]): Promise<void> {
  const o = options(argv);
  const dir = mkdtempSync(join(tmpdir(), 'baton-soak-'));
  const suite = writeSuite(dir, o);
  const busy = contend();
  const deadline = Date.now() + o.minutes * 60_000;
  const rows: string[] = [];
  const stalls: string[] = [];
  const problems: string[] = [];
  let runs = 0;
  try {
    console.log(
      `soak: ${suite.selected} tests in ${o.classes} classes (parallel_class), ${suite.fixtureFailures} with failing class fixtures, baton run -j ${o.jobs}, ` +
        `durations re-drawn every run, ${busy.length} busy processes; up to ${o.runs} runs or ${o.minutes} min; a run not over after ${STALL_SECONDS} s is a stall`,
    );
    for (; runs < o.runs && Date.now() < deadline; runs++) {
      const json = join(dir, 'run.json');
      rmSync(json, { force: true });
      const r = await runBaton(dir, ['run', '-j', String(o.jobs), '--json', json], { SOAK_SEED: String(runs) });
      let line = `run ${runs + 1}: exit ${r.status}, ${r.seconds.toFixed(1)} s`;
      if (r.stalled || /the run stalled/.test(r.output)) {
        stalls.push(`run ${runs + 1} (${r.stalled ? `killed after ${STALL_SECONDS} s` : 'the watchdog fired'}):\n${r.output.slice(-4000)}`);
        line += ', STALLED';
      } else if (r.status !== 1) {
        // Every run has failing fixtures: exit 1 is the only right status.
        problems.push(`run ${runs + 1} exited ${r.status}:\n${r.output.slice(-3000)}`);
      } else {
        const doc = JSON.parse(readFileSync(json, 'utf8')) as { processes: { fresh: number; restarts: number }; results: { id: string }[] };
        const ids = doc.results.map((x) => x.id);
        const tests = ids.filter((id) => !/^(setUp|tearDown)(Class|Module) \(/.test(id));
        const distinct = new Set(tests).size;
        const fixtures = ids.length - tests.length;
        line += `, ${tests.length} results (${distinct} distinct) + ${fixtures} fixture failures, ${doc.processes.fresh} fresh processes`;
        if (distinct !== suite.selected) problems.push(`run ${runs + 1}: ${suite.selected - distinct} tests lost`);
        if (tests.length !== distinct) problems.push(`run ${runs + 1}: ${tests.length - distinct} results doubled`);
        if (fixtures !== suite.fixtureFailures) problems.push(`run ${runs + 1}: ${fixtures} fixture failures recorded, ${suite.fixtureFailures} expected`);
      }
      rows.push(line);
      console.log(line);
    }
  } finally {
    for (const p of busy) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('');
  console.log(`runs ${runs}, stalls ${stalls.length}, other problems ${problems.length}`);
  for (const s of stalls) console.log(`\nSTALL ${s}`);
  for (const p of problems) console.log(`\nPROBLEM ${p}`);
  if (stalls.length + problems.length > 0) process.exitCode = 1;
}

await main(process.argv.slice(2));
