#!/usr/bin/env node
// The package graph, written down a second time (the first is tsconfig `references`):
// a package may import only the @baton packages listed here, never another package's
// internals (`@baton/x/src/...`, `../../x/src`), and the pure packages nothing from node:.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');

/** Allowed @baton imports per package. */
export const GRAPH = {
  subunit: [],
  scheduler: [],
  protocol: ['subunit'],
  store: ['subunit'],
  coordinator: ['subunit', 'protocol', 'scheduler', 'store'],
  worker: ['subunit', 'protocol'],
  cli: ['subunit', 'protocol', 'scheduler', 'store', 'coordinator', 'worker', 'dashboard'],
  dashboard: ['subunit', 'scheduler', 'protocol', 'store', 'coordinator'],
};
/** Packages that must run anywhere (the browser included): no node: imports outside tests. */
const PURE = new Set(['subunit', 'scheduler']);

const importRe = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

// `lint-imports.mjs [PACKAGE…]` checks the named packages (turbo runs it per package);
// with no names it checks them all.
const only = process.argv.slice(2);
for (const pkg of only.length ? only : readdirSync(join(root, 'packages'))) {
  const src = join(root, 'packages', pkg, 'src');
  let files;
  try {
    files = walk(src, []);
  } catch {
    continue;
  }
  const allowed = GRAPH[pkg];
  if (!allowed) {
    problems.push(`packages/${pkg}: not in the package graph of scripts/lint-imports.mjs`);
    continue;
  }
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const isTest = /\.test\.ts$|test-support/.test(file);
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2];
      const where = relative(root, file);
      if (spec.startsWith('@baton/')) {
        const [, target, ...rest] = spec.split('/');
        if (rest.length && rest[0] === 'src') problems.push(`${where}: deep import '${spec}' (import the package entry)`);
        if (target !== pkg && !allowed.includes(target) && !isTest)
          problems.push(`${where}: '${pkg}' may not import '${spec}' (allowed: ${allowed.join(', ') || 'none'})`);
      } else if (/^(\.\.\/)+(?:\.\.\/)?packages\/|^\.\.\/\.\.\/[a-z]+\/src/.test(spec)) {
        problems.push(`${where}: relative import across packages '${spec}'`);
      } else if (PURE.has(pkg) && !isTest && (spec.startsWith('node:') || /^(fs|path|os|net|child_process|http|crypto)$/.test(spec))) {
        problems.push(`${where}: '${pkg}' is pure and may not import '${spec}'`);
      }
    }
  }
}

if (problems.length) {
  console.error(`lint-imports: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`lint-imports: package graph ok${only.length ? ` (${only.join(', ')})` : ''}`);
