import { openRepository, type SqliteRepository } from '@baton/store';
import type { CliContext, GlobalArgs } from './context.js';
import { plural } from './output/format.js';

/**
 * Runs `fn` with the repository `--repo` (or the working directory) points at, and closes it.
 * `read` (the listing commands) reads a repository that cannot be written, read-only;
 * `write` refuses one with BATON_STORE_READ_ONLY before doing anything.
 */
export async function withRepository<T>(
  ctx: CliContext,
  argv: GlobalArgs,
  fn: (repo: SqliteRepository) => T | Promise<T>,
  access: 'read' | 'write' = 'read',
): Promise<T> {
  const repo = openRepository({ repo: argv.repo, cwd: ctx.io.cwd, access });
  try {
    const value = await fn(repo);
    const unfolded = repo.unfolded;
    if (unfolded > 0) {
      ctx.io.stderr.write(`baton: note: timings, failing tests and histories leave out ${plural(unfolded, 'result')} of a run that did not finish: ${repo.file} could not be written to fold them in\n`);
    }
    return value;
  } finally {
    repo.close();
  }
}
