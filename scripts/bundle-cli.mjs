#!/usr/bin/env node
// Bundles the built `baton` command (packages/cli/dist/bin.js and every @baton package and
// npm module it imports) into one CommonJS file, packages/cli/dist/baton.cjs, that
// bin/baton.js runs through V8's code cache. Node loads ~200 ES modules one by one
// otherwise, a third of a second before a run can start its first test server, on every
// command; and its ES module loader costs more than `require` even for one file.
// Left out: better-sqlite3 (a native addon) and ws (loaded on first use), which the bundle
// then requires from packages/cli/dist: @baton/cli must depend on them itself (checked
// below), or an install that does not hoist them beside it (npm install -g) cannot find
// them. The bundle sits in packages/cli/dist, as deep as each module it holds sat in its
// own package's dist, so paths relative to import.meta.url (package.json) resolve as
// before; the Python test server is found by @baton/worker's name instead.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packages = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages');
const dist = join(packages, 'cli', 'dist');
const outfile = join(dist, 'baton.cjs');

/** Modules left out of the bundle, each with the package whose code requires it. */
const EXTERNAL = { 'better-sqlite3': 'store', ws: 'protocol' };
const dependencies = (pkg) => JSON.parse(readFileSync(join(packages, pkg, 'package.json'), 'utf8')).dependencies ?? {};
for (const [name, owner] of Object.entries(EXTERNAL)) {
  const pinned = dependencies(owner)[name];
  if (dependencies('cli')[name] !== pinned) {
    throw new Error(`packages/cli/package.json must depend on ${name} ${pinned}, as packages/${owner} does: the bundle requires it from @baton/cli`);
  }
}

/**
 * Modules whose import does work only some commands need, made to load on first call
 * instead. string-width (three copies, under yargs, cliui and wrap-ansi) builds Unicode
 * property regular expressions when imported, a twentieth of a second that only help text
 * uses. Each import of `name` gets a module whose default export requires the real one
 * when first called; esbuild bundles a required ES module behind a lazy initialiser.
 */
const lazyDefaultExports = (names) => ({
  name: 'lazy-default-exports',
  setup(b) {
    const filter = new RegExp(`^(${names.join('|')})$`);
    b.onResolve({ filter }, async (args) => {
      if (args.pluginData === 'real') return undefined;
      const real = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'real' });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      contents: `let real;\nexport default function lazy(...args) {\n  real ??= require(${JSON.stringify(args.path)}).default;\n  return real(...args);\n}\n`,
      resolveDir: dirname(args.path),
    }));
  },
});

await build({
  entryPoints: [join(dist, 'bin.js')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: Object.keys(EXTERNAL),
  plugins: [lazyDefaultExports(['string-width'])],
  // The ES modules it holds locate files relative to themselves.
  define: { 'import.meta.url': '__batonModuleUrl' },
  banner: { js: "const __batonModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
