#!/usr/bin/env node
// A committed launcher, so that npm links `baton` at install time, before dist/ is built.
// It runs the bundled command (scripts/bundle-cli.mjs, CommonJS, like this file: see
// package.json here) with V8's code cache, kept beside the bundle: compiling the bundle
// afresh costs every command a few hundredths of a second before it can start anything.
// The cache is named by the bundle's size and time, since V8 checks only the length of
// the source, and it replaces those of earlier bundles. V8 does not check what it
// deserialises either (a damaged cache is a fatal error), so the file starts with the
// SHA-1 of the rest. A cache that fails either check, or that V8 rejects (another Node),
// is written again; one that cannot be written (a read-only install) is done without.
'use strict';
const { createHash } = require('node:crypto');
const { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

const SHA1_BYTES = 20;
const sha1 = (data) => createHash('sha1').update(data).digest();
const dist = join(__dirname, '..', 'dist');
const bundle = join(dist, 'baton.cjs');
let stat;
try {
  stat = statSync(bundle);
} catch {
  process.stderr.write(`baton: ${bundle} is missing: build baton first (npm run build)\n`);
  process.exit(2);
}
const { size, mtimeMs } = stat;
const cacheFile = `${bundle}.${size}.${Math.trunc(mtimeMs)}.cache`;

function readCache() {
  let file;
  try {
    file = readFileSync(cacheFile);
  } catch {
    return undefined; // the first command of this bundle
  }
  const data = file.subarray(SHA1_BYTES);
  return sha1(data).equals(file.subarray(0, SHA1_BYTES)) ? data : undefined;
}

const cachedData = readCache();
const source = readFileSync(bundle, 'utf8');
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle, cachedData });
if (cachedData === undefined || script.cachedDataRejected) {
  // At exit, so that the cache holds every function the command compiled, not only the top level.
  process.once('exit', () => {
    const partial = `${cacheFile}.${process.pid}`;
    try {
      const data = script.createCachedData();
      writeFileSync(partial, Buffer.concat([sha1(data), data]));
      renameSync(partial, cacheFile);
      for (const name of readdirSync(dist)) {
        if (/^baton\.cjs\..*\.cache$/.test(name) && join(dist, name) !== cacheFile) rmSync(join(dist, name), { force: true });
      }
    } catch {
      rmSync(partial, { force: true }); // read-only: the next command compiles again
    }
  });
}
const module_ = { exports: {} };
script.runInThisContext()(module_.exports, createRequire(bundle), module_, bundle, dist);
