import { accessSync, constants, createReadStream, existsSync, realpathSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { timestampFromMillis } from '@baton/subunit';
import {
  DATABASE_FILE,
  REPOSITORY_DIR,
  asSubunitV2,
  findRepositoryRoot,
  importStream,
  initRepository,
  isStestrRepository,
  stestrRuns,
  thisProcess,
  type ImportReport,
  type RunRepository,
} from '@baton/store';
import { defineCommand, type CliContext, type CommandFactory, type GlobalArgs } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { fileError } from '../files.js';
import { formatCounts, plural } from '../output/format.js';
import { writeJson } from '../output/json.js';
import { hasFailures } from '../output/run.js';
import { recordProfileOption } from '../profiles.js';
import { withRepository } from '../repository.js';

interface LoadArgs extends GlobalArgs {
  readonly files: string[];
  readonly profile: string;
  readonly json: boolean;
}

interface Loaded {
  readonly input: string;
  readonly report: ImportReport;
}

/**
 * `baton load [FILES…|-]`: each subunit stream becomes one run; a stestr or testrepository
 * directory becomes one run per stored run, oldest first, skipping runs loaded before.
 * Without a repository it creates one in the working directory (or `--repo`), as `run`
 * does; one it created for input it then refused is removed again.
 */
export const loadCommand: CommandFactory = (ctx) => defineCommand({
  command: 'load [files..]',
  describe: 'Load subunit streams, or a whole .stestr/ or .testrepository/ directory, into the repository',
  builder: (y) => y
    .positional('files', { type: 'string', array: true, default: [], describe: 'Subunit v2 (or v1) streams, stestr directories, or - for stdin' })
    .option('profile', recordProfileOption)
    .option('json', { type: 'boolean', default: false, describe: 'Report what was loaded as JSON' }),
  async handler(argv: LoadArgs) {
    const inputs = argv.files.length === 0 ? ['-'] : argv.files;
    if (inputs.includes('-') && ctx.io.stdin.isTTY) {
      throw new CliError('BATON_CLI_BAD_INPUT', 'no input: name subunit files or a .stestr/ directory, or pipe a stream into `baton load -`');
    }
    // Every input is found and readable before anything is created or stored: a typo in
    // the last name must not leave the first ones loaded.
    const dirs = inputs.map((input) => {
      if (input === '-') return undefined;
      const path = resolve(ctx.io.cwd, input);
      const dir = stestrDirectory(path);
      if (dir === undefined) readable('load', input, path);
      return dir;
    });
    const root = resolve(ctx.io.cwd, argv.repo ?? findRepositoryRoot(ctx.io.cwd) ?? '.');
    const database = join(root, REPOSITORY_DIR, DATABASE_FILE);
    // What to remove again if nothing gets loaded: the outermost directory created, or the database alone.
    const created = existsSync(database) ? undefined : (outermostMissing(dirname(database)) ?? database);
    if (created !== undefined) initRepository({ cwd: ctx.io.cwd, repo: root }).repository.close();
    const loaded: Loaded[] = [];
    try {
      await load(ctx, { ...argv, repo: root }, inputs, dirs, loaded);
    } catch (error) {
      if (created !== undefined && loaded.length === 0) rmSync(created, { recursive: true, force: true });
      throw error;
    }
    if (created !== undefined) ctx.io.stderr.write(`baton: created a repository in ${dirname(database)}\n`);
  },
});

/**
 * Loads `inputs` (`dirs`: the stestr directory each names, if it names one), adding each
 * run to `loaded` as it is recorded: the caller needs to know after a failure too.
 */
async function load(ctx: CliContext, argv: LoadArgs, inputs: readonly string[], dirs: readonly (string | undefined)[], loaded: Loaded[]): Promise<void> {
  await withRepository(ctx, argv, async (repo) => {
    let skipped = 0;
    const say = () => {
      if (argv.json) writeJson(ctx.io.stdout, { profile: argv.profile, runs: loaded.map(loadedJson), skipped });
      else printLoaded(ctx, argv.profile, loaded, skipped);
    };
    for (const [i, input] of inputs.entries()) {
      const dir = dirs[i];
      if (dir === undefined) {
        try {
          loaded.push(await loadStream(ctx, repo, argv.profile, input));
        } catch (error) {
          // What is not subunit is found only by reading it: what was loaded before stays, and is said.
          if (loaded.length > 0) say();
          throw error;
        }
        continue;
      }
      for (const run of stestrRuns(dir)) {
        const source = join(realpathSync(dir), String(run.id));
        const name = relative(ctx.io.cwd, run.path) || run.path;
        if (repo.hasSource(source) || statSync(run.path).size === 0) {
          skipped++;
          continue;
        }
        const chunks = asSubunitV2(createReadStream(run.path), name);
        try {
          loaded.push({ input: name, report: await importStream(repo, chunks, options(ctx, argv.profile, name, source)) });
        } catch (error) {
          // A stored run that holds no test (stestr's own run crashed) is nothing to load.
          if ((error as { code?: unknown }).code !== 'BATON_STORE_NOT_SUBUNIT') throw error;
          skipped++;
        }
      }
    }
    say();
    for (const { report } of loaded) if (report.damage) ctx.report(report.damage);
    const last = loaded.at(-1)?.report;
    if (last && hasFailures(last.counts)) ctx.exit(ExitCode.TESTS_FAILED);
  }, 'write');
}

/** The outermost of `dir` and its parents that does not exist: what creating `dir` creates. */
function outermostMissing(dir: string): string | undefined {
  let missing: string | undefined;
  for (let d = dir; !existsSync(d); d = dirname(d)) missing = d;
  return missing;
}

/** The stestr/testrepository repository `path` names (itself, or a project root holding one). */
function stestrDirectory(path: string): string | undefined {
  if (!existsSync(path) || !statSync(path).isDirectory()) return undefined;
  for (const candidate of [path, join(path, '.stestr'), join(path, '.testrepository')]) {
    if (isStestrRepository(candidate)) return candidate;
  }
  throw new CliError('BATON_CLI_BAD_INPUT', `${path} is a directory but not a stestr or testrepository repository (no format and next-stream files)`);
}

async function loadStream(ctx: CliContext, repo: RunRepository, profile: string, input: string): Promise<Loaded> {
  const path = input === '-' ? undefined : resolve(ctx.io.cwd, input);
  const name = path === undefined ? 'standard input' : input;
  const source = path === undefined ? ctx.io.stdin : createReadStream(path);
  return { input: name, report: await importStream(repo, asSubunitV2(source, name), options(ctx, profile, name, path)) };
}

function options(ctx: CliContext, profile: string, name: string, source: string | undefined) {
  return { profile, name, now: () => timestampFromMillis(ctx.io.now()), writer: thisProcess(), ...(source === undefined ? {} : { source }) };
}

function printLoaded(ctx: CliContext, profile: string, loaded: readonly Loaded[], skipped: number): void {
  const out = ctx.io.stdout;
  if (loaded.length <= 3) {
    for (const { input, report } of loaded) {
      out.write(`Loaded run ${report.run} (${profile}) from ${input}: ${plural(report.results, 'result')}: ${formatCounts(report.counts)}\n`);
    }
  } else {
    const results = loaded.reduce((n, l) => n + l.report.results, 0);
    out.write(`Loaded ${plural(loaded.length, 'run')} (${profile}), runs ${loaded[0]!.report.run}–${loaded.at(-1)!.report.run}: ${plural(results, 'result')}\n`);
  }
  if (skipped > 0) out.write(`Skipped ${plural(skipped, 'run')} already loaded or empty\n`);
  if (loaded.length === 0 && skipped === 0) out.write('Nothing to load\n');
}

function loadedJson({ input, report }: Loaded): Record<string, unknown> {
  return {
    input,
    run: report.run,
    results: report.results,
    counts: report.counts,
    bytes: report.bytes,
    partial: report.damage !== undefined,
    damageOffset: report.damage?.offset ?? null,
  };
}

/** Refuses a file that cannot be read, naming it, rather than with the stream's raw error later. */
function readable(what: string, file: string, path: string): void {
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw fileError(what, file, error);
  }
}
