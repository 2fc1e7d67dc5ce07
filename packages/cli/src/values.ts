// Option values checked as yargs reads them, so that a bad number or an empty value is
// refused before a command starts anything, naming the option and what it takes.
import type { Options } from 'yargs';
import { CliError } from './errors.js';

/** An option given more than once counts with its last value, as argparse and getopt have it. */
export function lastOf(value: unknown): unknown {
  return Array.isArray(value) ? value.at(-1) : value;
}

function refuse(flag: string, takes: string, value: unknown): CliError {
  const given = value === '' ? 'nothing' : JSON.stringify(String(value));
  return new CliError('BATON_CLI_USAGE', `${flag} takes ${takes}, not ${given}`);
}

/** A plain decimal as people type it: `Number` alone would also take '', ' ', '0x10' and '1e3'. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * A number option that `accepts` decides on: anything else ("abc", "" and out-of-range
 * values) is refused with `takes` in the message. Declared as a string so the message can
 * quote what was typed (yargs turns a bad number into NaN).
 */
function numberOption(flag: string, takes: string, accepts: (n: number) => boolean, describe: string): Options & { coerce: (raw: unknown) => number | undefined } {
  return {
    type: 'string',
    requiresArg: true,
    describe,
    coerce: (raw: unknown): number | undefined => {
      const value = lastOf(raw);
      if (value === undefined) return undefined;
      const n = DECIMAL.test(String(value)) ? Number(value) : Number.NaN;
      if (!accepts(n)) throw refuse(flag, takes, value);
      return n;
    },
  };
}

/** A whole-number option between `min` and `max` ("1.5" is refused, not rounded). */
export function wholeOption(flag: string, takes: string, bounds: { readonly min: number; readonly max?: number }, describe: string): Options & { coerce: (raw: unknown) => number | undefined } {
  return numberOption(flag, takes, (n) => Number.isSafeInteger(n) && n >= bounds.min && (bounds.max === undefined || n <= bounds.max), describe);
}

/** The longest delay a Node timer keeps (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A number of seconds above zero (or from zero with `zero`), finite: a timeout, a wait. */
export function secondsOption(flag: string, describe: string, options: { readonly zero?: boolean } = {}): Options & { coerce: (raw: unknown) => number | undefined } {
  const takes = `${options.zero ? 'a number of seconds from 0' : 'a positive number of seconds'} up to ${Math.floor(MAX_TIMER_MS / 1000)}`;
  return numberOption(flag, takes, (n) => Number.isFinite(n) && (n > 0 || (n === 0 && options.zero === true)) && n * 1000 <= MAX_TIMER_MS, describe);
}

/** A string option that needs a non-empty value (a file, a URL, a name). */
export function textOption(flag: string, describe: string): Options & { coerce: (raw: unknown) => string | undefined } {
  return {
    type: 'string',
    requiresArg: true,
    describe,
    coerce: (raw: unknown): string | undefined => {
      const value = lastOf(raw);
      if (value === undefined) return undefined;
      if (String(value) === '') throw new CliError('BATON_CLI_USAGE', `${flag} needs a value, not an empty string`);
      return String(value);
    },
  };
}
