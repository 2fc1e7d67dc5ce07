import type { FailingTest, StoredResult } from '@baton/store';
import { defineCommand, type CommandFactory, type GlobalArgs } from '../context.js';
import { ExitCode } from '../errors.js';
import { paintFor } from '../output/color.js';
import { plural } from '../output/format.js';
import { fullResultJson, writeJson } from '../output/json.js';
import { colorOption, type ColourArgs } from '../output/options.js';
import { formatFailure } from '../output/run.js';
import { writeSubunit } from '../output/subunit.js';
import { chooseProfiles, profileOption } from '../profiles.js';
import { withRepository } from '../repository.js';

interface FailingArgs extends GlobalArgs, ColourArgs {
  readonly profile: string | undefined;
  readonly list: boolean | undefined;
  readonly subunit: boolean | undefined;
  readonly json: boolean | undefined;
}

/** `baton failing`: tests whose latest result in a profile failed; exit 1 if there are any. */
export const failingCommand: CommandFactory = (ctx) => defineCommand({
  command: 'failing',
  describe: 'Show the tests currently failing: those whose latest result failed',
  builder: (y) => y
    .option('profile', profileOption)
    .option('list', { type: 'boolean', describe: 'Only the test ids, one per line (to feed a run)' })
    .option('subunit', { type: 'boolean', describe: 'The failing results as a subunit v2 stream' })
    .option('json', { type: 'boolean', describe: 'As JSON (every profile unless --profile)' })
    .option('color', colorOption)
    .conflicts({ list: ['subunit', 'json'], subunit: 'json' }),
  handler: (argv: FailingArgs) => withRepository(ctx, argv, (repo) => {
    const profiles = chooseProfiles(repo, argv.profile, argv.json === true);
    const failingBy = new Map(profiles.map((p) => [p, repo.failing(p)]));
    if ([...failingBy.values()].some((f) => f.length > 0)) ctx.exit(ExitCode.TESTS_FAILED);
    const profile = profiles[0]!;
    const failing = failingBy.get(profile)!;
    const out = ctx.io.stdout;
    if (argv.json) {
      const json = Object.fromEntries([...failingBy].map(([p, f]) => [p, f.map((t) => ({ testId: t.testId, result: t.result ? fullResultJson(t.result) : null }))]));
      writeJson(out, { profiles: json });
    } else if (argv.list) {
      for (const t of failing) out.write(`${t.testId}\n`);
    } else if (argv.subunit) {
      writeSubunit(out, failing.map(asResult));
    } else {
      const paint = paintFor(argv.color, ctx.io.env, out);
      for (const t of failing) out.write(formatFailure(t.testId, t.result, paint));
      out.write(failing.length === 0 ? `${paint('No failing tests', 'green')} (${profile})\n` : `${paint(plural(failing.length, 'failing test'), 'red')} (${profile})\n`);
    }
  }),
});

/** A failing test known only from imported timings still streams out as a failure. */
function asResult(t: FailingTest): StoredResult {
  return t.result ?? { run: 0, testId: t.testId, status: 'fail', start: undefined, stop: undefined, worker: undefined, seq: 0, tags: [], attachments: [] };
}
