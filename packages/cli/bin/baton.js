#!/usr/bin/env node
// A committed launcher, so that npm links `baton` at install time, before dist/ is built.
// It runs the bundled command (scripts/bundle-cli.mjs, CommonJS, like this file: see
// package.json here) with V8's code cache, kept beside the bundle: compiling the bundle
// afresh costs every command a few hundredths of a second before it can start anything.
// The cache is named by the bundle's size and time (V8 itself checks only the length of
// the source) and replaces those of earlier bundles; a cache V8 rejects (another Node) is
// written again, and one that cannot be written (a read-only install) is done without.
'use strict';
const { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

const bundle = join(__dirname, '..', 'dist', 'baton.cjs');
const { size, mtimeMs } = statSync(bundle);
const cacheFile = `${bundle}.${size}.${Math.trunc(mtimeMs)}.cache`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // First run of this bundle.
}
const source = readFileSync(bundle, 'utf8');
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle, cachedData });
if (cachedData === undefined || script.cachedDataRejected) {
  // At exit, so that the cache holds every function the command compiled, not only the top level.
  process.once('exit', () => {
    const partial = `${cacheFile}.${process.pid}`;
    try {
      writeFileSync(partial, script.createCachedData());
      renameSync(partial, cacheFile);
      for (const name of readdirSync(dirname(bundle))) {
        if (/^baton\.cjs\..*\.cache$/.test(name) && join(dirname(bundle), name) !== cacheFile) rmSync(join(dirname(bundle), name), { force: true });
      }
    } catch {
      // Read-only: the next command compiles again.
    }
  });
}
const module_ = { exports: {} };
script.runInThisContext()(module_.exports, createRequire(bundle), module_, bundle, dirname(bundle));
