import { Estimator, groupTests } from '@baton/scheduler';
import { DEFAULT_PROFILE, MemoryRepository, openRepository, type RunRepository } from '@baton/store';
import { loadProjectConfig } from '../config.js';
import { defineCommand, type CommandFactory, type GlobalArgs } from '../context.js';
import { writeJson } from '../output/json.js';
import { listTests, withResolvedPython } from '../run/adapter.js';
import { configOptions, selectionOptions, type ConfigArgs } from '../run/options.js';
import { readSelection, selectTests, type SelectionArgs } from '../run/select.js';
import { textOption } from '../values.js';

interface ListArgs extends GlobalArgs, SelectionArgs, ConfigArgs {
  readonly profile: string | undefined;
  readonly json: boolean;
}

/**
 * `baton list [FILTERS…]`: the ids a run with the same selection would run, in discovery
 * order (what `stestr list` prints). `--json` adds what the run would schedule them by:
 * each test's estimate, where it came from, and its group (tests of one group run in one
 * process, one after another: a `group_regex` match, or a class or module whose fixtures
 * they share).
 */
export const listCommand: CommandFactory = (ctx) => defineCommand({
  command: 'list [filters..]',
  describe: 'List the tests a run with the same selection would run, in discovery order',
  builder: (y) => configOptions(selectionOptions(y), true)
    .option('profile', textOption('--profile', 'Profile of --failing and of the estimates (e.g. py311)'))
    .option('json', { type: 'boolean', default: false, describe: 'Each test with its estimate and its group, as JSON' }),
  handler: async (argv: ListArgs) => {
    // Every file the selection names is read, and every expression compiled, before the suite is listed.
    const selection = readSelection(argv, ctx.io.cwd);
    const config = await withResolvedPython(loadProjectConfig(ctx.io.cwd, argv));
    const listing = await listTests(config, (line) => ctx.io.stderr.write(`baton: ${line}\n`));
    const profile = argv.profile ?? config.profile ?? DEFAULT_PROFILE;
    const repo = historyOf(ctx.io.cwd, argv);
    try {
      const selected = selectTests(listing.tests, selection, profile, repo);
      if (!argv.json) {
        ctx.io.stdout.write(selected.map((id) => `${id}\n`).join(''));
        return;
      }
      const estimator = new Estimator(repo.estimates(selected, profile).known);
      const groups = new Map<string, number>();
      const units = groupTests(selected, config.groupRegex, {
        classFixtureTests: new Set(listing.classFixtureTests),
        moduleFixtureTests: new Set(listing.moduleFixtureTests),
      });
      units.forEach((unit, i) => {
        for (const id of unit) groups.set(id, i);
      });
      writeJson(ctx.io.stdout, {
        profile,
        tests: selected.map((id) => ({ id, estimate: estimator.estimate(id), estimateSource: estimator.sourceOf(id), group: groups.get(id)! })),
        groups: units.length,
      });
    } finally {
      repo.close();
    }
  },
});

/** The repository, read-only, for estimates and the failing set; an empty one where there is none yet (and no --repo names one). */
function historyOf(cwd: string, argv: GlobalArgs): RunRepository {
  try {
    return openRepository({ repo: argv.repo, cwd, access: 'read' });
  } catch (error) {
    if (argv.repo !== undefined || (error as { code?: unknown }).code !== 'BATON_STORE_NOT_FOUND') throw error;
    return new MemoryRepository();
  }
}
