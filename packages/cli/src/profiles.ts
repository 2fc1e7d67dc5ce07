import { DEFAULT_PROFILE, type RunRepository } from '@baton/store';
import type { Options } from 'yargs';
import { CliError } from './errors.js';
import { textOption } from './values.js';

/** The `--profile` option of listing commands. */
export const profileOption: Options = textOption('--profile', 'Profile to report (e.g. py311); needed when the repository holds several');

/** The `--profile` option of commands that record results. */
export const recordProfileOption: Options = {
  ...textOption('--profile', 'Profile the results belong to (e.g. py311): timings and failing sets are kept per profile'),
  default: DEFAULT_PROFILE,
};

/**
 * The profiles a listing command reports on. Results of different profiles are never
 * mixed: with several profiles and none chosen, a human-readable listing is refused
 * (naming them), while `--json` reports every profile side by side.
 */
export function chooseProfiles(repo: RunRepository, chosen: string | undefined, all: boolean): string[] {
  if (chosen !== undefined) return [chosen];
  const names = repo.profiles().map((p) => p.name);
  if (names.length === 0) return [DEFAULT_PROFILE];
  if (names.length === 1 || all) return names;
  throw new CliError('BATON_CLI_PROFILE_AMBIGUOUS',
    `the repository holds results of ${names.length} profiles: ${names.join(', ')}; choose one with --profile (or use --json to see all)`);
}
