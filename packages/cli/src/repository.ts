import { openRepository, type SqliteRepository } from '@baton/store';
import type { CliContext, GlobalArgs } from './context.js';

/** Runs `fn` with the repository `--repo` (or the working directory) points at, and closes it. */
export async function withRepository<T>(ctx: CliContext, argv: GlobalArgs, fn: (repo: SqliteRepository) => T | Promise<T>): Promise<T> {
  const repo = openRepository({ repo: argv.repo, cwd: ctx.io.cwd });
  try {
    return await fn(repo);
  } finally {
    repo.close();
  }
}
