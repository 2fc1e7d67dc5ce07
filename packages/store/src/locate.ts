import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { StoreError, readOnly } from './errors.js';
import { SqliteRepository, unwritableReason, type SqliteOptions } from './sqlite.js';

/** The folder, in a project's root, that holds its repository. */
export const REPOSITORY_DIR = '.baton';
/** The database file inside `REPOSITORY_DIR`. */
export const DATABASE_FILE = 'baton.db';

/** Where to look for a repository. */
export interface LocateOptions extends SqliteOptions {
  /** The directory holding `.baton/`; when absent, `cwd` and its parents are searched. */
  readonly repo?: string | undefined;
  readonly cwd: string;
}

/** The nearest directory, from `from` upwards, that holds `.baton/` (as git finds `.git/`). */
export function findRepositoryRoot(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, REPOSITORY_DIR, DATABASE_FILE))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Opens an existing repository; BATON_STORE_NOT_FOUND, saying to run `baton init`, when
 * there is none. `access: 'read'` opens one that cannot be written read-only.
 */
export function openRepository(options: LocateOptions): SqliteRepository {
  const root = options.repo === undefined ? findRepositoryRoot(options.cwd) : resolve(options.cwd, options.repo);
  const file = root === undefined ? undefined : join(root, REPOSITORY_DIR, DATABASE_FILE);
  if (file === undefined || !existsSync(file)) {
    const where = options.repo === undefined ? `${resolve(options.cwd)} or any parent` : resolve(options.cwd, options.repo);
    throw new StoreError('BATON_STORE_NOT_FOUND', `no baton repository in ${where}; run \`baton init\` in the project root`);
  }
  return SqliteRepository.open(file, options);
}

/** Creates `.baton/baton.db` under `root` (default: `cwd`), or opens the one already there. */
export function initRepository(options: LocateOptions): { repository: SqliteRepository; created: boolean } {
  const root = resolve(options.cwd, options.repo ?? '.');
  const dir = join(root, REPOSITORY_DIR);
  const file = join(dir, DATABASE_FILE);
  const created = !existsSync(file);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    const why = unwritableReason(root, error);
    throw why === undefined ? error : readOnly(file, why, { cause: error });
  }
  return { repository: SqliteRepository.open(file, options), created };
}
