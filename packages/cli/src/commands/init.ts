import { initRepository } from '@baton/store';
import { defineCommand, type CommandFactory, type GlobalArgs } from '../context.js';

/** `baton init`: creates `.baton/baton.db` here (or in `--repo`); harmless when it exists. */
export const initCommand: CommandFactory = (ctx) => defineCommand({
  command: 'init',
  describe: 'Create a repository (.baton/) in the current directory',
  handler(argv: GlobalArgs) {
    const { repository, created } = initRepository({ repo: argv.repo, cwd: ctx.io.cwd });
    const version = repository.schemaVersion;
    repository.close();
    ctx.io.stdout.write(created
      ? `Initialised an empty baton repository: ${repository.file}\n`
      : `A baton repository already exists: ${repository.file} (schema version ${version})\n`);
  },
});
