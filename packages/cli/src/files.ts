// Files named on the command line: read ones are refused naming the option (or the
// argument) that named them, and written ones are checked before a command does its work,
// so that a typo in `--junit` is said at once rather than after an hour of tests.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliError } from './errors.js';

/** What stands for stdout where a file is written (`--json -`, `timings export -`). */
export const STDOUT = '-';

const WHY: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of its path is not a directory',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

/** A file-system error as a CliError naming what named the file (`--plan`, `load`). */
export function fileError(what: string, file: string, error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const why = typeof code === 'string' ? WHY[code] : undefined;
  if (why === undefined) return error;
  return new CliError('BATON_CLI_BAD_INPUT', `${what} ${file}: ${why}`, { cause: error });
}

/** The text of a file given to `what` (an option such as `--plan`, or a command's argument), relative to `cwd`. */
export function readInput(what: string, file: string, cwd: string): string {
  return readInputBytes(what, file, cwd).toString('utf8');
}

/** The bytes of a file given to `what`. */
/** A `--load-list` file: one test id a line, blank lines skipped. */
export function readLoadList(file: string, cwd: string): { readonly file: string; readonly ids: readonly string[] } {
  return { file, ids: readInput('--load-list', file, cwd).split(/\r?\n/).map((l) => l.trim()).filter(Boolean) };
}

export function readInputBytes(what: string, file: string, cwd: string): Buffer {
  try {
    return readFileSync(resolve(cwd, file));
  } catch (error) {
    throw fileError(what, file, error);
  }
}

/**
 * Refuses a file `what` would write where it cannot: its directory missing or not
 * writable, or the name taken by a directory. Nothing is created: a run that ends before
 * its report is written leaves no empty file behind.
 */
export function checkOutput(what: string, file: string, cwd: string): void {
  if (file === STDOUT) return;
  const path = resolve(cwd, file);
  const problem = (why: string) => new CliError('BATON_CLI_BAD_INPUT', `${what} ${file}: ${why}; nothing was run`);
  let existing: ReturnType<typeof statSync> | undefined;
  try {
    existing = statSync(path);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw problem(WHY[String((error as { code?: unknown }).code)] ?? (error as Error).message);
  }
  if (existing?.isDirectory()) throw problem('is a directory');
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) throw problem(`${dir} is not a directory`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw problem(`its directory ${dir} does not exist`);
  }
  try {
    accessSync(existing ? path : dir, constants.W_OK);
  } catch {
    throw problem(existing ? 'cannot be written (permission denied)' : `its directory ${dir} cannot be written (permission denied)`);
  }
}
