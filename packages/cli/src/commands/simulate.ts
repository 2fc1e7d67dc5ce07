import { formatReport, MAX_WORKERS, parseWorkload, runSimulation } from '@baton/scheduler/simulator';
import { defineCommand, type CommandFactory, type GlobalArgs } from '../context.js';
import { readInput } from '../files.js';
import { writeJson } from '../output/json.js';
import { textOption, wholeOption } from '../values.js';

interface SimulateArgs extends GlobalArgs {
  readonly workload: string;
  readonly workers: number | undefined;
  readonly json: boolean;
}

/** The workload format in brief, for `--help`; the whole of it is in the scheduler's README. */
const WORKLOAD_FORMAT = `A workload file is JSON:
  { "tests":   [{ "id": "pkg.mod.Class.test_a", "duration": 1.5, "estimate": 1.2 }],
    "workers": [{ "id": "w1", "speed": 1, "join": 0, "leave": 300, "die": 120 }],
    "latency": 0.002 }
tests: each test's true duration in seconds on a speed-1 worker, and the estimate its history
gives (none without one). workers: a count of speed-1 workers, or a list (join, leave and die
at seconds of the run). latency: one-way message latency in seconds. plan, groupRegex: as in
baton run. The whole format: "Workload files" in the README of @baton/scheduler
(node_modules/@baton/scheduler/README.md).`;

/**
 * `baton simulate --workload FILE`: runs baton's scheduler and the baselines
 * (stestr, xdist worksteal, round-robin) over a workload in virtual time and
 * compares each makespan with the lower bound. The schema of FILE is in
 * packages/scheduler/README.md ("Workload files").
 */
export const simulateCommand: CommandFactory = (ctx) => defineCommand({
  command: 'simulate',
  describe: 'Simulate a run of a workload file under baton and the baseline schedulers',
  builder: (y) => y
    .option('workload', { ...textOption('--workload', 'Workload JSON file (tests, workers, latency, plan)'), demandOption: true })
    .option('workers', wholeOption('--workers', `a whole number of workers from 1 to ${MAX_WORKERS}`, { min: 1, max: MAX_WORKERS }, 'Use N speed-1 workers instead of the file\'s'))
    .option('json', { type: 'boolean', default: false, describe: 'As JSON' })
    .epilog(WORKLOAD_FORMAT),
  handler: (argv: SimulateArgs) => {
    const workload = parseWorkload(readInput('--workload', argv.workload, ctx.io.cwd), argv.workload);
    const report = runSimulation(workload, { workers: argv.workers });
    if (argv.json) writeJson(ctx.io.stdout, report);
    else ctx.io.stdout.write(`${formatReport(report)}\n`);
  },
});
