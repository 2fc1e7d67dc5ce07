import { defineCommand, type CommandFactory, type GlobalArgs } from '../context.js';
import { readToken } from '../run/listen.js';
import { checkServe, DEFAULT_DASHBOARD_LISTEN, serveDashboard } from '../run/serve.js';
import { withRepository } from '../repository.js';
import { textOption } from '../values.js';

interface ServeArgs extends GlobalArgs {
  readonly listen: string;
  readonly tokenFile: string | undefined;
}

/** `baton serve`: the dashboard and its read-only REST API over the repository, until Ctrl-C. */
export const serveCommand: CommandFactory = (ctx) => defineCommand<ServeArgs>({
  command: 'serve',
  describe: 'Serve the dashboard: a web page and a read-only JSON API over the repository',
  builder: (y) => y
    .option('listen', { ...textOption('--listen', 'HOST:PORT to serve on (beyond loopback a token is required)'), default: DEFAULT_DASHBOARD_LISTEN })
    .option('token-file', textOption('--token-file', 'File holding the secret every request must present (required beyond loopback)')),
  handler: async (argv) => {
    const token = readToken(argv.tokenFile, ctx.io.cwd);
    checkServe(argv.listen, token);
    const log = (line: string) => ctx.io.stderr.write(`baton: ${line}\n`);
    await withRepository(ctx, argv, async (repo) => {
      const dashboard = await serveDashboard(argv.listen, token, repo, undefined, log);
      await new Promise<void>((resolve) => {
        const stop = () => {
          ctx.io.signals.off('SIGINT', stop);
          ctx.io.signals.off('SIGTERM', stop);
          resolve();
        };
        ctx.io.signals.on('SIGINT', stop);
        ctx.io.signals.on('SIGTERM', stop);
      });
      await dashboard.close();
    });
  },
});
