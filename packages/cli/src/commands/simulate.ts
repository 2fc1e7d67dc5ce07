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
    .option('json', { type: 'boolean', default: false, describe: 'As JSON' }),
  handler: (argv: SimulateArgs) => {
    const workload = parseWorkload(readInput('--workload', argv.workload, ctx.io.cwd), argv.workload);
    const report = runSimulation(workload, { workers: argv.workers });
    if (argv.json) writeJson(ctx.io.stdout, report);
    else ctx.io.stdout.write(`${formatReport(report)}\n`);
  },
});
