#!/usr/bin/env node
// Runs the given *.test.ts files and every one under the given folders (default: every package's src/ and test/)
// with node:test through tsx. node 20 does not expand globs itself and npm's sh has no
// `**`, so the files are collected here. Extra arguments after `--` go to node --test.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const dirs = (dash === -1 ? argv : argv.slice(0, dash)).map((d) => resolve(d));
const passThrough = dash === -1 ? [] : argv.slice(dash + 1);

function defaultDirs() {
  const pkgs = readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'src'));
  return [...pkgs, join(root, 'test')];
}

function collect(dir, out) {
  if (dir.endsWith('.test.ts')) return [...out, dir];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = (dirs.length ? dirs : defaultDirs()).flatMap((d) => collect(d, [])).sort();
if (files.length === 0) {
  console.error(`run-tests: no *.test.ts files under ${dirs.map((d) => relative(root, d)).join(', ')}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--import', pathToFileURL(join(root, 'scripts/test-env.mjs')).href, '--test', '--test-timeout=300000', '--test-concurrency=2', ...passThrough, ...files],
  { stdio: 'inherit', cwd: root },
);
process.exit(result.status ?? 1);
