// baton installed as a user installs it: the workspaces packed by `npm pack`, the tarballs
// installed into a fresh npm project outside this repository (their other dependencies
// from the npm registry, better-sqlite3 compiled there), then `npx baton` in that project
// on a small Python suite. The one test that sees what the packages ship rather than this
// checkout: a file left out of `files`, a dependency that only resolves through the
// workspace, a path relative to the repository, all fail here. Slow: npm compiles SQLite
// (one to two minutes).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeProject, STESTR_CONF, unittestModule } from './utils/baton-process.js';
import { tempDir } from '../packages/cli/src/test-support/run-baton.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
/** What one npm command may take at most, the install (a native build on busy cores) included. */
const COMMAND_LIMIT_MS = 12 * 60_000;

/**
 * The environment of a user's shell: nothing that `npm test` added (its npm_* settings, its
 * local prefix, this repository's node_modules/.bin on PATH) and no PYTHONPATH, so that
 * nothing can be found in this checkout. npm_config_nodedir stays: node-gyp compiles
 * against the installed Node's headers instead of downloading them.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if ((/^npm_/i.test(key) && key.toLowerCase() !== 'npm_config_nodedir') || key === 'INIT_CWD' || key === 'PYTHONPATH') continue;
    env[key] = value;
  }
  env['PATH'] = (process.env['PATH'] ?? '').split(delimiter).filter((dir) => !resolve(dir).startsWith(ROOT)).join(delimiter);
  return env;
}

interface Done {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function sh(command: string, args: readonly string[], cwd: string): Promise<Done> {
  // JOBS: node-gyp's make compiles better-sqlite3's C++ beside SQLite's C, not after it.
  const child = spawn(command, args, { cwd, env: { ...userEnv(), JOBS: 'max' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const limit = setTimeout(() => child.kill('SIGKILL'), COMMAND_LIMIT_MS);
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('close', (status) => {
      clearTimeout(limit);
      done({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

async function ok(command: string, args: readonly string[], cwd: string): Promise<Done> {
  const done = await sh(command, args, cwd);
  assert.equal(done.status, 0, `${command} ${args.join(' ')} in ${cwd}:\n${done.stdout}${done.stderr}`);
  return done;
}

test('the packed workspaces install into a fresh project, and npx baton runs and records its Python suite', { timeout: 15 * 60_000 }, async () => {
  const tarballs = tempDir('baton-tarballs-');
  await ok('npm', ['pack', '--workspaces', '--pack-destination', tarballs], ROOT);
  const packed = readdirSync(tarballs).filter((name) => name.endsWith('.tgz')).map((name) => join(tarballs, name));
  assert.equal(packed.length, readdirSync(join(ROOT, 'packages')).length, `one tarball per workspace: ${packed.join(', ')}`);

  const project = makeProject({
    '.stestr.conf': STESTR_CONF,
    'tests/__init__.py': '',
    'tests/test_maths.py': unittestModule('TestMaths', { test_add: 'self.assertEqual(1 + 1, 2)', test_mul: 'self.assertEqual(2 * 3, 6)' }),
    'tests/test_words.py': unittestModule('TestWords', { test_upper: "self.assertEqual('a'.upper(), 'A')", test_print: "print('captured, not on the channel')" }),
    // What the README says to do without access to GitHub's prebuilt binaries.
    '.prebuild-installrc': 'buildFromSource=true\n',
  }, 'baton-install-');
  assert.ok(!project.startsWith(ROOT), 'the project is outside the repository');
  // The README's install steps, with the tarballs in place of the registry's @baton/cli.
  await ok('npm', ['init', '-y'], project);
  await ok('npm', ['pkg', 'set', 'allowScripts.better-sqlite3=true', '--json'], project);
  const install = await ok('npm', ['install', '--save-dev', '--prefer-offline', '--no-audit', '--no-fund', ...packed], project);
  assert.doesNotMatch(install.stdout + install.stderr, /install-scripts|Unknown (env|cli|project) config/, 'better-sqlite3 is approved and no setting is unknown to npm');
  assert.ok(existsSync(join(project, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')), 'better-sqlite3 was compiled in the project');

  const run = await sh('npx', ['baton', 'run', '-j', '2'], project);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stderr, /created a repository in /);
  assert.match(run.stdout, /Ran 4 tests .* on 2 worker slots: 4 passed/);

  const last = await ok('npx', ['baton', 'last', '--json'], project);
  const recorded = (JSON.parse(last.stdout) as { profiles: Record<string, { run: { complete: boolean; exitStatus: number; counts: Record<string, number> } }> }).profiles['default']!.run;
  assert.deepEqual([recorded.complete, recorded.exitStatus, recorded.counts], [true, 0, { success: 4 }]);
  const history = await ok('npx', ['baton', 'history', 'tests.test_words.TestWords.test_print', '--json'], project);
  const results = (JSON.parse(history.stdout) as { profiles: Record<string, { results: { run: number; status: string; worker: string }[] }> }).profiles['default']!.results;
  assert.deepEqual(results.map((r) => [r.run, r.status]), [[1, 'success']]);
  assert.match(results[0]!.worker, /^local\/[01]$/);
});
