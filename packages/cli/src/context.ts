import type { Argv, CommandModule } from 'yargs';
import type { ExitStatus } from './errors.js';

/** Where a command reads and writes; `process` in the real CLI, buffers in tests. */
export interface CliIo {
  readonly stdout: OutputSink;
  readonly stderr: OutputSink;
  readonly stdin: AsyncIterable<Uint8Array> & { readonly isTTY?: boolean };
  readonly cwd: string;
  /** The clock for run start/stop when inputs carry no timestamps. */
  readonly now: () => number;
  /** Where Ctrl-C and SIGTERM come from: `process` in the real CLI, an emitter in tests. */
  readonly signals: SignalSource;
  /** The environment (`process.env` in the real CLI): NO_COLOR and FORCE_COLOR are read from it. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Where a command writes; a terminal says so, and how wide it is. */
export interface OutputSink {
  write(data: string | Uint8Array): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** The part of `process` that delivers SIGINT and SIGTERM. */
export interface SignalSource {
  on(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
}

/** What every command gets besides its arguments. */
export interface CliContext {
  readonly io: CliIo;
  /** Raises the exit status of this invocation (it never lowers it). */
  exit(status: ExitStatus): void;
  /** Prints an error that does not stop the command and raises the exit status to match it. */
  report(error: unknown): void;
}

/** Options every command accepts. */
export interface GlobalArgs {
  /** The directory holding `.baton/`; default: the nearest one from the working directory up. */
  readonly repo: string | undefined;
}

/** A yargs command as the registry holds them: argument types vary per command. */
export type AnyCommand = CommandModule<GlobalArgs, any>;

/** A command built with the context it will run in; see src/commands/index.ts. */
export type CommandFactory = (ctx: CliContext) => AnyCommand;

/** What a command file describes: its yargs syntax, its options, and what it does. */
export interface CommandSpec<A extends GlobalArgs> {
  readonly command: string;
  readonly describe: string;
  readonly builder?: (y: Argv<GlobalArgs>) => Argv<object>;
  /** Gets the parsed arguments, camel-cased, as `A` declares them. */
  readonly handler: (argv: A) => void | Promise<void>;
}

/**
 * Turns a spec into a yargs command. The arguments' type is declared by the command (an
 * interface beside it) rather than inferred from the builder, which yargs' typings make
 * unreadable; the CLI tests hold the two together.
 */
export function defineCommand<A extends GlobalArgs>(spec: CommandSpec<A>): AnyCommand {
  return spec as unknown as AnyCommand;
}
