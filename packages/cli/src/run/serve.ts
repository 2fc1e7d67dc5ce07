import { LiveFeed, startDashboard, type Dashboard } from '@baton/dashboard';
import { tokenMatches } from '@baton/protocol';
import type { SqliteRepository } from '@baton/store';
import { checkListen } from './listen.js';

/** Where `baton serve` and `baton run --serve` listen unless told otherwise. */
export const DEFAULT_DASHBOARD_LISTEN = '127.0.0.1:7780';

/**
 * Where `--listen`/`--serve` asks the dashboard to be (empty: the default); refuses to
 * reach beyond loopback without a token. Checked before anything starts.
 */
export function checkServe(listen: string, token: string | undefined): { host: string; port: number } {
  return checkListen(listen || DEFAULT_DASHBOARD_LISTEN, token);
}

/**
 * Serves the dashboard over `repository` at `listen`, watching `live` if given. Beyond
 * loopback requests must present the `--token-file` secret (compared in constant time,
 * never logged).
 */
export async function serveDashboard(
  listen: string,
  token: string | undefined,
  repository: SqliteRepository,
  live: LiveFeed | undefined,
  log: (line: string) => void,
): Promise<Dashboard> {
  const { host, port } = checkServe(listen, token);
  const dashboard = await startDashboard({
    host,
    port,
    repository,
    live,
    authorize: token === undefined ? undefined : (given) => tokenMatches(given, token),
    log,
  });
  log(`dashboard at ${dashboard.url}${token === undefined ? '' : ' (open it with ?token= and the secret of --token-file)'}`);
  return dashboard;
}

/** `baton run --serve`: a reporter that streams the run to the dashboard it serves. */
export async function serveRun(
  listen: string,
  token: string | undefined,
  repository: SqliteRepository,
  log: (line: string) => void,
): Promise<{ readonly feed: LiveFeed; close(): Promise<void> }> {
  const feed = new LiveFeed();
  const dashboard = await serveDashboard(listen, token, repository, feed, log);
  return { feed, close: () => dashboard.close() };
}
