import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseTimingsFile } from '@baton/store';
import { defineCommand, type CommandFactory, type GlobalArgs } from '../context.js';
import { CliError } from '../errors.js';
import { fileError, readInput } from '../files.js';
import { plural } from '../output/format.js';
import { withRepository } from '../repository.js';

interface TimingsArgs extends GlobalArgs {
  readonly file: string | undefined;
  readonly profile: string[] | undefined;
}

/**
 * `baton timings export FILE` / `import FILE`: the portable JSON timings file that CI
 * caches carry between runs; import merges (the newer record of each test wins).
 */
export const timingsCommand: CommandFactory = (ctx) => defineCommand({
  command: 'timings',
  describe: 'Export or import test timings as a portable JSON file',
  builder: (y) => y
    .command(defineCommand({
      // [file], checked in the handler: yargs would only say "not enough non-option arguments".
      command: 'export [file]',
      describe: 'Write the timings of every profile (or of --profile) to FILE (- for stdout)',
      builder: (z) => z
        .positional('file', { type: 'string', describe: 'Where to write them; - for stdout' })
        // One profile per --profile: an array option would take the file after it too.
        .option('profile', { type: 'string', array: true, nargs: 1, describe: 'Only these profiles; repeatable' }),
      handler: (argv: TimingsArgs) => {
        needFile(argv, 'export');
        return withRepository(ctx, argv, (repo) => {
          const file = repo.exportTimings(argv.profile);
          const text = `${JSON.stringify(file)}\n`;
          if (isStdio(argv.file)) ctx.io.stdout.write(text);
          else {
            try {
              writeFileSync(resolve(ctx.io.cwd, argv.file), text);
            } catch (error) {
              throw fileError('timings export', argv.file, error);
            }
            const tests = Object.values(file.profiles).reduce((n, p) => n + Object.keys(p).length, 0);
            ctx.io.stderr.write(`Exported ${plural(tests, 'timing')} of ${plural(Object.keys(file.profiles).length, 'profile')} to ${argv.file}\n`);
          }
        });
      },
    }))
    .command(defineCommand({
      command: 'import [file]',
      describe: 'Merge the timings in FILE (- for stdin) into the repository',
      builder: (z) => z.positional('file', { type: 'string', describe: 'What to merge; - for stdin' }),
      handler: async (argv: TimingsArgs) => {
        needFile(argv, 'import');
        const text = isStdio(argv.file) ? await readAll(ctx.io.stdin) : readInput('timings import', argv.file, ctx.io.cwd);
        const file = parseTimingsFile(text, isStdio(argv.file) ? 'standard input' : argv.file);
        await withRepository(ctx, argv, (repo) => {
          const touched = repo.importTimings(file);
          ctx.io.stdout.write(`Merged ${plural(touched, 'timing')} into ${Object.keys(file.profiles).join(', ') || 'no profile'}\n`);
        }, 'write');
      },
    }))
    .demandCommand(1, 'name a timings command: export FILE or import FILE'),
  handler() {},
});

function needFile(argv: TimingsArgs, command: 'export' | 'import'): asserts argv is TimingsArgs & { readonly file: string } {
  if (argv.file === undefined) throw new CliError('BATON_CLI_USAGE', `missing FILE: baton timings ${command} FILE (- for ${command === 'export' ? 'stdout' : 'stdin'})`);
}

/** `-`, which yargs hands a string positional as '' (it parses a lone dash as an empty flag). */
function isStdio(file: string): boolean {
  return file === '-' || file === '';
}

async function readAll(input: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const chunk of input) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}
