#!/usr/bin/env node
// Bundles the built `baton` command (packages/cli/dist/bin.js and every @baton package and
// npm module it imports) into packages/cli/dist/baton.js, the file bin/baton.js runs. Node
// loads ~200 ES modules one by one otherwise, a third of a second before a run can start
// its first test server, on every command. Left out: better-sqlite3 (a native addon) and
// ws (loaded on first use). The bundle sits in packages/cli/dist, as deep as each module
// it holds sat in its own package's dist, so paths relative to import.meta.url (the
// Python adapter, package.json) resolve as before.
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'cli', 'dist');
const outfile = join(dist, 'baton.js');
await build({
  entryPoints: [join(dist, 'bin.js')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'ws'],
  // CommonJS modules in the bundle (yargs's helpers) call require, which ES modules lack.
  banner: { js: "import { createRequire as __batonRequire } from 'node:module'; const require = __batonRequire(import.meta.url);" },
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
