import type { RunRepository } from '@baton/store';
import { CliError } from '../errors.js';
import { plural } from '../output/format.js';

export interface Selection {
  /** Regular expressions; a test is selected if any matches part of its id (testr's rule). */
  readonly filters: readonly string[];
  /** The ids of a `--load-list` file, read. */
  readonly loadList: { readonly file: string; readonly ids: readonly string[] } | undefined;
  /** Only the tests failing in the profile (`--failing`). */
  readonly failing: boolean;
  readonly profile: string;
}

/**
 * The tests a run selects, in the project's order. Bad filters, unknown ids and, with
 * `failing`, a profile the repository does not hold (while it holds others) are exit
 * status 2. Without a repository (none yet) no test is failing.
 */
export function selectTests(all: readonly string[], selection: Selection, repository: RunRepository | undefined): string[] {
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
    if (profiles.length > 0 && !profiles.includes(selection.profile)) {
      throw new CliError('BATON_CLI_USAGE', `--failing: the repository has no profile ${JSON.stringify(selection.profile)}; its profiles are ${profiles.join(', ')} (choose one with --profile)`);
    }
    const failing = new Set(repository?.failing(selection.profile).map((f) => f.testId));
    chosen = chosen.filter((id) => failing.has(id));
  }
  if (selection.filters.length > 0) {
    const res = selection.filters.map((f) => {
      try {
        return new RegExp(f);
      } catch (error) {
        throw new CliError('BATON_CLI_USAGE', `filter ${JSON.stringify(f)} is not a valid regular expression: ${(error as Error).message}`);
      }
    });
    chosen = chosen.filter((id) => res.some((re) => re.test(id)));
  }
  return [...chosen];
}
