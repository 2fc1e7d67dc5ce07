import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { commands } from './commands/index.js';
import type { CliContext, CliIo } from './context.js';
import { CliError, ExitCode, describeError, type ExitStatus } from './errors.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * Runs one baton command line and returns its exit status. Never exits the process and
 * never throws: every error is printed to `io.stderr` and mapped to a status by
 * `describeError`.
 */
export async function main(args: readonly string[], io: CliIo): Promise<ExitStatus> {
  let status: ExitStatus = ExitCode.OK;
  const ctx: CliContext = {
    io,
    exit(next) {
      status = Math.max(status, next) as ExitStatus;
    },
    report(error) {
      const { status: failed, message } = describeError(error);
      io.stderr.write(`baton: ${message}\n`);
      ctx.exit(failed);
    },
  };
  const parser = yargs([...args])
    .scriptName('baton')
    .usage('$0 <command> [options]\n\nbaton schedules tests across workers from what it remembers of past runs.')
    .option('repo', {
      type: 'string',
      describe: 'Directory holding the .baton/ repository (default: the nearest one from here up)',
      global: true,
    })
    .command(commands.map((make) => make(ctx)))
    .demandCommand(1, 'Name a command; `baton --help` lists them.')
    .strict()
    .help()
    .alias('h', 'help')
    .version(VERSION)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      throw error ?? new CliError('BATON_CLI_USAGE', `${message ?? 'invalid command line'}\nRun \`baton --help\` for usage.`);
    });
  skipHelpCache(parser);
  try {
    // The callback makes yargs hand back help and version text instead of printing it.
    await parser.parseAsync([...args], {}, (_error: Error | undefined, _argv: unknown, output: string) => {
      if (output) io.stdout.write(`${output}\n`);
    });
  } catch (error) {
    ctx.report(error);
  }
  return status;
}

/** The part of yargs's internals `skipHelpCache` reaches into (yargs 18, build/lib/usage.js). */
interface YargsUsageInternals {
  getInternalMethods?(): { getUsageInstance?(): { cacheHelpMessage?(): void } };
}

/**
 * Once a command's handler has started, yargs renders that command's help text and keeps
 * it, in case the handler asks for it. No baton handler does, and rendering it (cliui
 * measuring every cell's width with Unicode-property regular expressions) costs a tenth
 * of a second of CPU at the start of every command, while a run starts its test servers.
 * Left alone if yargs no longer has the method.
 */
function skipHelpCache(parser: object): void {
  const usage = (parser as YargsUsageInternals).getInternalMethods?.().getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}
