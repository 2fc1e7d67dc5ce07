import { statSync } from 'node:fs';
import { defineCommand, type CommandFactory, type GlobalArgs } from '../context.js';
import { plural } from '../output/format.js';
import { writeJson } from '../output/json.js';
import { renderTable } from '../output/table.js';
import { withRepository } from '../repository.js';

interface StatsArgs extends GlobalArgs {
  readonly json: boolean;
}

/** `baton stats`: the whole repository at a glance, profile by profile. */
export const statsCommand: CommandFactory = (ctx) => defineCommand({
  command: 'stats',
  describe: 'Summarise the repository: runs, results, tests, and each profile',
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'As JSON' }),
  handler: (argv: StatsArgs) => withRepository(ctx, argv, (repo) => {
    const stats = repo.stats();
    const bytes = statSync(repo.file).size;
    if (argv.json) {
      writeJson(ctx.io.stdout, { file: repo.file, schemaVersion: repo.schemaVersion, bytes, ...stats });
      return;
    }
    const out = ctx.io.stdout;
    out.write(`Repository ${repo.file} (schema version ${repo.schemaVersion}, ${(bytes / 1e6).toFixed(1)} MB)\n`);
    out.write(`${plural(stats.runs, 'run')} (${stats.incompleteRuns} incomplete), ${plural(stats.results, 'result')}, ${plural(stats.tests, 'test')}\n`);
    if (stats.profiles.length > 0) {
      out.write(renderTable(['Profile', 'Runs', 'Tests', 'Failing', 'Latest run'], stats.profiles.map((p) =>
        [p.name, String(p.runs), String(p.tests), String(p.failing), p.latestRun === undefined ? '-' : String(p.latestRun)]),
      ['left', 'right', 'right', 'right', 'right']));
    }
  }),
});
