// Which tests a run (or `baton list`) selects, combined as stestr 3 combines its options
// (stestr/selection.py construct_list, commands/run.py): `--failing` and `--load-list`
// narrow the project's tests; the positional filters and the lines of `--include-list`
// together keep the tests any of them matches (none: every test); the lines of
// `--exclude-list` and `--exclude-regex` then take out the tests any of them matches.
import type { RunRepository } from '@baton/store';
import { CliError } from '../errors.js';
import { readInput, readLoadList } from '../files.js';
import { plural } from '../output/format.js';

/** The options that select tests, as a command reads them (see selectionOptions). */
export interface SelectionArgs {
  readonly filters: readonly string[];
  readonly loadList: string | undefined;
  readonly failing: boolean;
  readonly includeList: string | undefined;
  readonly excludeList: string | undefined;
  readonly excludeRegex: string | undefined;
}

/** The selection, its files read and its regular expressions compiled. */
export interface Selection {
  /** A test is selected if any matches part of its id (testr's rule); none: every test. */
  readonly include: readonly RegExp[];
  /** A test any of these matches is left out, whatever selected it. */
  readonly exclude: readonly RegExp[];
  /** The ids of a `--load-list` file, read. */
  readonly loadList: { readonly file: string; readonly ids: readonly string[] } | undefined;
  /** Only the tests failing in the profile (`--failing`). */
  readonly failing: boolean;
  /** What the selection says, for a message that it selects nothing. */
  readonly described: string;
}

/**
 * Reads the files a selection names and compiles its regular expressions: a bad one is
 * exit status 2, naming the option (and for a file, the line) it came from, before
 * anything runs.
 */
export function readSelection(args: SelectionArgs, cwd: string): Selection {
  const filters = args.filters.map((f) => compile(f, `filter ${JSON.stringify(f)}`));
  const include = args.includeList === undefined ? [] : readRegexList('--include-list', args.includeList, cwd);
  const exclude = args.excludeList === undefined ? [] : readRegexList('--exclude-list', args.excludeList, cwd);
  if (args.excludeRegex !== undefined) exclude.push(compile(args.excludeRegex, `--exclude-regex ${JSON.stringify(args.excludeRegex)}`));
  const said = [
    ...args.filters.map((f) => JSON.stringify(f)),
    ...(args.includeList === undefined ? [] : [`--include-list ${args.includeList}`]),
  ];
  const out = [
    ...(args.excludeList === undefined ? [] : [`--exclude-list ${args.excludeList}`]),
    ...(args.excludeRegex === undefined ? [] : [`--exclude-regex ${JSON.stringify(args.excludeRegex)}`]),
  ];
  return {
    include: [...filters, ...include],
    exclude,
    loadList: args.loadList === undefined ? undefined : readLoadList(args.loadList, cwd),
    failing: args.failing,
    described: `${said.length > 0 ? said.join(' or ') : 'the selection'}${out.length > 0 ? ` without what ${out.join(' or ')} exclude` : ''}`,
  };
}

/**
 * The regular expressions of an `--include-list` or `--exclude-list` file, as stestr reads
 * them: a line holds one, before any `#` (what follows is a comment); blank lines and
 * lines that are only a comment are skipped; spaces around it do not count.
 */
export function readRegexList(flag: string, file: string, cwd: string): RegExp[] {
  const out: RegExp[] = [];
  readInput(flag, file, cwd).split(/\r\n|\r|\n/).forEach((line, i) => {
    const pattern = line.trim().split('#')[0]!.trim();
    if (pattern !== '') out.push(compile(pattern, `${flag} ${file}: line ${i + 1}: ${JSON.stringify(pattern)}`));
  });
  return out;
}

function compile(pattern: string, what: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new CliError('BATON_CLI_BAD_INPUT', `${what} is not a valid regular expression: ${(error as Error).message}`);
  }
}

/**
 * The tests a run selects, in the project's order. Unknown ids in `--load-list` and, with
 * `failing`, a profile the repository does not hold (while it holds others) are exit
 * status 2. Without a repository (none yet) no test is failing.
 */
export function selectTests(all: readonly string[], selection: Selection, profile: string, repository: RunRepository | undefined): string[] {
  let chosen = all;
  if (selection.loadList !== undefined) {
    const { file, ids: wanted } = selection.loadList;
    const known = new Set(all);
    const unknown = wanted.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new CliError('BATON_CLI_UNKNOWN_TEST', `--load-list ${file}: ${plural(unknown.length, 'test id')} the project does not have, e.g. ${unknown.slice(0, 3).join(', ')}`);
    }
    const set = new Set(wanted);
    chosen = chosen.filter((id) => set.has(id));
  }
  if (selection.failing) {
    const profiles = repository?.profiles().map((p) => p.name) ?? [];
    // A profile the repository never recorded, beside others, is a typo more likely than
    // a profile with nothing failing: saying "nothing to run" would pass a broken build.
    if (profiles.length > 0 && !profiles.includes(profile)) {
      throw new CliError('BATON_CLI_USAGE', `--failing: the repository has no profile ${JSON.stringify(profile)}; its profiles are ${profiles.join(', ')} (choose one with --profile)`);
    }
    const failing = new Set(repository?.failing(profile).map((f) => f.testId));
    chosen = chosen.filter((id) => failing.has(id));
  }
  const { include, exclude } = selection;
  if (include.length > 0) chosen = chosen.filter((id) => include.some((re) => re.test(id)));
  if (exclude.length > 0) chosen = chosen.filter((id) => !exclude.some((re) => re.test(id)));
  return [...chosen];
}
