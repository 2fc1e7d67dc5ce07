import { isFailing } from '@baton/subunit';
import { defineCommand, type CommandFactory, type GlobalArgs } from '../context.js';
import { CliError } from '../errors.js';
import { formatSeconds, formatTime, plural } from '../output/format.js';
import { historyJson, writeJson } from '../output/json.js';
import { renderTable } from '../output/table.js';
import { chooseProfiles, profileOption } from '../profiles.js';
import { withRepository } from '../repository.js';

interface HistoryArgs extends GlobalArgs {
  readonly testId: string;
  readonly profile: string | undefined;
  readonly json: boolean;
}

/** `baton history TEST_ID`: every recorded result of one test, and its current estimate. */
export const historyCommand: CommandFactory = (ctx) => defineCommand({
  command: 'history <test-id>',
  describe: 'Show every recorded result of a test',
  builder: (y) => y
    .positional('test-id', { type: 'string', demandOption: true, describe: 'The exact test id' })
    .option('profile', profileOption)
    .option('json', { type: 'boolean', default: false, describe: 'As JSON (every profile unless --profile)' }),
  handler: (argv: HistoryArgs) => withRepository(ctx, argv, (repo) => {
    const profiles = chooseProfiles(repo, argv.profile, argv.json);
    const byProfile = profiles.map((p) => ({ profile: p, entries: repo.history(argv.testId, p), estimate: repo.estimates([argv.testId], p).known.get(argv.testId) }));
    if (byProfile.every((h) => h.entries.length === 0)) {
      throw new CliError('BATON_CLI_UNKNOWN_TEST', `no results for ${argv.testId} in ${profiles.length === 1 ? `profile ${profiles[0]}` : 'any profile'}; \`baton failing --list\` and \`baton slowest --all\` show recorded ids`);
    }
    if (argv.json) {
      writeJson(ctx.io.stdout, { testId: argv.testId, profiles: Object.fromEntries(byProfile.map((h) => [h.profile, {
        estimate: h.estimate ?? null,
        results: h.entries.map(historyJson),
      }])) });
      return;
    }
    const { profile, entries, estimate } = byProfile[0]!;
    const failures = entries.filter((e) => isFailing(e.status)).length;
    ctx.io.stdout.write(renderTable(['Run', 'Started', 'Status', 'Duration (s)', 'Worker'],
      entries.map((e) => [String(e.run), formatTime(e.start), e.status, formatSeconds(e.duration), e.worker ?? '-']),
      ['right', 'left', 'left', 'right']));
    ctx.io.stdout.write(`${argv.testId} (${profile}): ${plural(entries.length, 'result')}, ${failures} failing; estimate ${formatSeconds(estimate)}s\n`);
  }),
});
