import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { commands } from './commands/index.js';
import type { CliContext, CliIo } from './context.js';
import { CliError, ExitCode, describeError, type ExitStatus } from './errors.js';
import { lastOf, textOption } from './values.js';

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
  // No command line can carry one (execve's arguments end at it), and file names cannot hold one.
  const nul = args.findIndex((a) => a.includes('\0'));
  if (nul >= 0) {
    ctx.report(new CliError('BATON_CLI_USAGE', `argument ${nul + 1} holds a NUL byte, which no command line can carry`));
    return status;
  }
  const built = commands.map((make) => make(ctx));
  const parser = yargs([...args])
    .scriptName('baton')
    // baton speaks English whatever the locale: its own messages are English, and
    // explainUsage reads yargs's.
    .locale('en')
    // `--plan.x 1` would make --plan an object; `--plan.x` is refused as unknown instead.
    .parserConfiguration({ 'dot-notation': false })
    .usage('$0 <command> [options]\n\nbaton schedules tests across workers from what it remembers of past runs.')
    .option('repo', { ...textOption('--repo', 'Directory holding the .baton/ repository (default: the nearest one from here up)'), global: true })
    .command(built)
    .middleware((argv): void => lastValues(argv, parser as unknown as OptionsInfo))
    .demandCommand(1, `name a command: ${built.map((c) => String(c.command).split(' ')[0]).join(', ')}`)
    .strict()
    .help()
    .alias('h', 'help')
    .version(VERSION)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      // yargs's own complaints (and an option's refusal, which it wraps) are YErrors: usage.
      if (error !== undefined && error.name !== 'YError') throw error;
      throw new CliError('BATON_CLI_USAGE', explainUsage(error?.message ?? message ?? 'invalid command line', args, built.map((c) => String(c.command))));
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

/** What `lastValues` asks yargs: the options declared as arrays, the current command's included. */
interface OptionsInfo {
  getOptions(): { array: string[] };
}

/**
 * An option given more than once counts with its last value, as with argparse and getopt;
 * yargs would hand a command an array where it declared a string (`--json a --json b`).
 * Options declared as arrays (`--worker`, the filters) keep every value.
 */
function lastValues(argv: Record<string, unknown>, y: OptionsInfo): void {
  const arrays = new Set(y.getOptions().array);
  for (const [key, value] of Object.entries(argv)) {
    if (key !== '_' && Array.isArray(value) && !arrays.has(key)) argv[key] = lastOf(value);
  }
}

/**
 * yargs's message about a command line, said the way baton says things: options with
 * their dashes, each once (yargs names `--exclude-regex` twice, once camel-cased), an
 * unknown command called a command, and the help to read (the command's own, when one
 * was named). `specs` are the commands' yargs specs (`run [filters..]`, `history <test-id>`).
 */
export function explainUsage(message: string, args: readonly string[], specs: readonly string[]): string {
  const names = specs.map((spec) => spec.split(' ')[0]!);
  // The command is the first word that is not an option or the value of --repo.
  const words = args.filter((a, i) => !a.startsWith('-') && !/^--repo$/.test(args[i - 1] ?? ''));
  const command = names.includes(words[0] ?? '') ? words[0] : undefined;
  const spec = specs[names.indexOf(command ?? '')];
  const flag = (name: string) => (spec?.includes(`<${name}>`) ? `<${name}>` : `${name.length === 1 ? '-' : '--'}${name}`);
  const help = `Run \`baton ${command === undefined ? '' : `${command} `}--help\` for usage.`;
  let said = message;
  const unknown = /^Unknown arguments?: (.*)$/s.exec(message);
  if (unknown) {
    const listed = unknown[1]!.split(', ');
    // yargs names an unknown --kebab-case option twice: as typed and camel-cased.
    const kebab = new Set(listed.filter((n) => n.includes('-')).map((n) => n.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())));
    const given = listed.filter((n) => !kebab.has(n) || n.includes('-'));
    const typedAsOption = (n: string) => args.some((a) => a === `--${n}` || a.startsWith(`--${n}=`) || (n.length === 1 && /^-[^-]/.test(a) && a.includes(n)));
    const options = given.filter(typedAsOption);
    const words = given.filter((n) => !typedAsOption(n));
    const parts: string[] = [];
    if (command === undefined && words.length > 0) parts.push(`unknown command ${JSON.stringify(words[0])}: the commands are ${names.join(', ')}`);
    else if (words.length > 0) parts.push(`unexpected ${words.length === 1 ? 'argument' : 'arguments'} ${words.map((w) => JSON.stringify(w)).join(', ')}`);
    if (options.length > 0) parts.push(`unknown ${options.length === 1 ? 'option' : 'options'} ${options.map(flag).join(', ')}`);
    said = parts.join('; ');
  } else if (/^Not enough non-option arguments/.test(message)) {
    said = `missing an argument: baton ${spec ?? '<command>'}`;
  } else if (/^Too many non-option arguments/.test(message)) {
    said = `too many arguments: baton ${spec ?? '<command>'}`;
  } else {
    const missing = /^Missing required arguments?: (.*)$/s.exec(message);
    const following = /^Not enough arguments following: (.*)$/s.exec(message);
    const exclusive = /^Arguments (\S+) and (\S+) are mutually exclusive$/.exec(message);
    const invalid = /^Invalid values:\s+Argument: (\S+), Given: (.*), Choices: (.*)$/s.exec(message);
    if (missing) said = `missing ${missing[1]!.split(', ').map(flag).join(', ')}`;
    else if (following) said = `${flag(following[1]!)} needs a value`;
    else if (exclusive) said = `${flag(exclusive[1]!)} and ${flag(exclusive[2]!)} cannot be used together`;
    else if (invalid) said = `${flag(invalid[1]!)} takes ${invalid[3]!.split(', ').join(' or ')}, not ${invalid[2]}`;
  }
  return `${said}\n${help}`;
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
