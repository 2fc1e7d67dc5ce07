// `npm run demo [-- --jobs N]`: baton's main job on examples/python-demo, shown. The
// demo's history is cleared, then baton runs the suite twice on N local workers: first
// with no history, then scheduled from the durations the first run recorded. Where
// stestr is installed, each baton run is preceded by `stestr run --concurrency N` in the
// same state (no timing data, then its own), with the same Python, and a table compares
// the wall times, every figure measured in this demo.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eachFlag } from './bench/_args.js';
import { BIN, type Timed, timed } from './bench/_process.js';
import { ratio, table } from './bench/_table.js';

const DEMO = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'python-demo');

/** `stestr` on the PATH and the Python it runs under (its `#!` line), if it is installed. */
function findStestr(): { command: string; python: string | undefined } | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const command = join(dir, 'stestr');
    if (!dir || !existsSync(command)) continue;
    const shebang = /^#!\s*(\S+)/.exec(readFileSync(command, 'utf8').split('\n', 1)[0] ?? '');
    // A version manager's shim is a shell script that picks the Python itself.
    const python = shebang?.[1] !== undefined && /python[\d.]*$/.test(shebang[1]) ? shebang[1] : undefined;
    return { command, python };
  }
  return undefined;
}

const secs = (s: number) => `${s.toFixed(2)} s`;

/** A heading, in bold on a terminal. */
function say(text: string): void {
  process.stdout.write(process.stdout.isTTY ? `\n\x1b[1m${text}\x1b[0m\n` : `\n${text}\n`);
}

/** Throws with the tail of what it printed unless the run's exit status is 0 (every test passed). */
function passed(what: string, run: Timed): Timed {
  if (run.code === 0) return run;
  throw new Error(`${what} exited ${run.code}${run.stdout || run.stderr ? `\n${(run.stdout + run.stderr).slice(-2000)}` : ''}`);
}

async function demo(args: string[]): Promise<void> {
  let jobs = 4;
  eachFlag(args, (flag, v) => {
    if (flag === '--jobs') jobs = v.positive();
    else throw new Error(`unknown option ${flag} (the demo takes --jobs N)`);
  });
  const stestr = findStestr();
  // Both tools under one Python, so that the interpreter is neither's advantage.
  const env: NodeJS.ProcessEnv = { ...process.env, ...(stestr?.python ? { BATON_PYTHON: stestr.python } : {}) };
  rmSync(join(DEMO, '.baton'), { recursive: true, force: true });
  rmSync(join(DEMO, '.stestr'), { recursive: true, force: true });
  const n = String(jobs);
  console.log(`baton demo: examples/python-demo (329 unittest tests, about 34 s of work), ${jobs} workers, history cleared.`);
  if (stestr === undefined) console.log('stestr is not installed (Debian: apt-get install python3-stestr), so baton runs alone.');

  const walls: { stestr: number[]; baton: number[] } = { stestr: [], baton: [] };
  for (const round of [1, 2]) {
    const state = round === 1 ? 'no history' : 'the history of run 1';
    if (stestr !== undefined) {
      say(`stestr run --concurrency ${n}, run ${round} (${round === 1 ? 'no timing data' : 'its timing data from run 1'}) …`);
      const s = passed('stestr run', await timed(stestr.command, ['run', '--concurrency', n], DEMO, env));
      const ran = /Ran: (\d+) tests/.exec(s.stdout)?.[1];
      console.log(`stestr ran ${ran ?? '?'} tests in ${secs(s.wall)} (wall time of the whole command)`);
      walls.stestr.push(s.wall);
    }
    say(`baton run -j ${n}, run ${round} (${state}):`);
    walls.baton.push(passed('baton run', await timed(process.execPath, [BIN, 'run', '-j', n], DEMO, env, true)).wall);
  }

  const [b1, b2] = walls.baton as [number, number];
  say('Wall time of each whole command, measured in this demo:');
  const rows: string[][] = [['', 'run 1 (no history)', 'run 2 (history of run 1)']];
  if (stestr !== undefined) rows.push([`stestr run --concurrency ${n}`, secs(walls.stestr[0]!), secs(walls.stestr[1]!)]);
  rows.push([`baton run -j ${n}`, secs(b1), secs(b2)]);
  if (stestr !== undefined) rows.push(['baton / stestr', ratio(b1 / walls.stestr[0]!), ratio(b2 / walls.stestr[1]!)]);
  console.log(table(rows));
  const best = stestr === undefined ? undefined : Math.min(...walls.stestr);
  console.log(
    best === undefined
      ? `\nWith history baton took ${secs(b2)}, ${ratio(b1 / b2)} as fast as without.`
      : `\nWith history baton took ${secs(b2)}: ${ratio(best / b2)} as fast as stestr's best run here (${secs(best)}).`,
  );
  console.log('Its history is in examples/python-demo/.baton: try `baton last`, `baton slowest`, `baton stats` there.');
}

await demo(process.argv.slice(2)).catch((error: Error) => {
  console.error(`demo: ${error.message}`);
  process.exitCode = 1;
});
