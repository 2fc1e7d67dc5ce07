// stestr's output options (`stestr run`/`last`: --color, --abbreviate, --all-attachments,
// --suppress-attachments, --slowest), with baton's --verbose for subunit-trace's per-test
// lines, and what they make of the output.
import type { Argv, Options } from 'yargs';
import { CliError } from '../errors.js';
import { paintFor, type ColourEnv, type Paint } from './color.js';
import type { PassingAttachments } from './trace.js';

/** `--color` / `--no-color`; unset, the colour follows the terminal and the environment (see wantsColour). */
export interface ColourArgs {
  readonly color: boolean | undefined;
}

/** How results show: what `run`, `coordinator` and `last` share. */
export interface OutputArgs extends ColourArgs {
  readonly verbose: boolean | undefined;
  readonly abbreviate: boolean | undefined;
  readonly allAttachments: boolean | undefined;
  readonly suppressAttachments: boolean | undefined;
}

/** A run's: the output options and the slowest tests at its end. */
export interface RunOutputArgs extends OutputArgs {
  /** `--no-slowest` leaves the slowest tests out of the summary. */
  readonly slowest: boolean;
}

/** `--color`, for every command that prints results for people to read. */
export const colorOption: Options = {
  type: 'boolean',
  describe: 'Colour statuses and verdicts (--no-color: never). Default: on a terminal, unless NO_COLOR is set; FORCE_COLOR forces it (0: never)',
};

/** Declares the output options `run`, `coordinator` and `last` share. */
export function outputOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('color', colorOption)
    .option('verbose', { type: 'boolean', describe: 'A line per test as it ends, as subunit-trace prints it: {worker} id [duration] ... ok' })
    .option('abbreviate', { type: 'boolean', describe: 'A character per test as it ends, as subunit-trace --abbreviate: . passed, F failed, S skipped' })
    .option('all-attachments', { type: 'boolean', describe: 'Show every attachment of passing tests too (their stdout, stderr, logs)' })
    .option('suppress-attachments', { type: 'boolean', describe: 'Show no attachment of passing tests, not even the stdout and stderr --verbose shows (failures keep theirs)' })
    // Refused only when both are asked for: `--no-verbose --abbreviate` is fine.
    .check((argv) => {
      for (const [a, b] of EXCLUSIVE) {
        if (argv[a] === true && argv[b] === true) throw new CliError('BATON_CLI_USAGE', `--${a} and --${b} cannot be used together`);
      }
      return true;
    });
}

/** Options that ask for opposite things. */
const EXCLUSIVE = [['verbose', 'abbreviate'], ['all-attachments', 'suppress-attachments']] as const;

/** Declares them on `run` and `coordinator`, with `--slowest`. */
export function runOutputOptions<T>(y: Argv<T>): Argv<T> {
  return outputOptions(y).option('slowest', {
    type: 'boolean',
    default: true,
    describe: 'List the slowest tests in the summary (--no-slowest: leave them out)',
  });
}

/** What the output options make of results as they are printed. */
export interface Shown {
  /** Each result as it ends: only failures (beside the live display), a line each (`--verbose`), a character each (`--abbreviate`). */
  readonly results: 'failures' | 'lines' | 'chars';
  /** Attachments of passing tests that are printed. */
  readonly passing: PassingAttachments;
  readonly paint: Paint;
}

/**
 * What `args` ask for, on `stream`. The attachments of passing tests follow stestr: under
 * per-test lines their stdout and stderr show unless `--suppress-attachments`;
 * `--all-attachments` shows every one of them, with or without lines. Failures always
 * show all of theirs.
 */
export function shownFor(args: OutputArgs, env: ColourEnv, stream: { readonly isTTY?: boolean }): Shown {
  const results = args.verbose ? 'lines' : args.abbreviate ? 'chars' : 'failures';
  const passing = args.allAttachments ? 'all' : args.suppressAttachments || results !== 'lines' ? 'none' : 'output';
  return { results, passing, paint: paintFor(args.color, env, stream) };
}
