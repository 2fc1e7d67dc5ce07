// bin/baton.js runs the bundle through a V8 code cache kept beside it. V8 deserialises a
// damaged cache into a fatal error, so the launcher must never hand it one.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { baton, BIN, tempDir } from './test-support/run-baton.js';

const DIST = join(dirname(BIN), '..', 'dist');

function cacheFile(): string {
  const names = readdirSync(DIST).filter((n) => /^baton\.cjs\..*\.cache$/.test(n));
  assert.equal(names.length, 1, `one code cache beside the bundle, not ${names.join(', ')}`);
  return join(DIST, names[0] as string);
}

const intact = (file: Buffer): boolean => createHash('sha1').update(file.subarray(20)).digest().equals(file.subarray(0, 20));

test('the code cache is kept beside the bundle, and a damaged one is compiled around and written again', () => {
  const dir = tempDir('baton-launcher-');
  const first = baton(dir, ['--version']);
  assert.equal(first.status, 0, first.stderr);
  const path = cacheFile();
  assert.ok(intact(readFileSync(path)), 'the cache starts with the SHA-1 of the rest');

  const damaged = readFileSync(path);
  for (let i = 100; i < damaged.length; i += 97) damaged[i] = (damaged[i] as number) ^ 0x55;
  writeFileSync(path, damaged);
  const second = baton(dir, ['--version']);
  assert.equal(second.status, 0, `a damaged cache must not stop baton: ${second.stderr.slice(0, 500)}`);
  assert.equal(second.stdout, first.stdout);
  assert.ok(intact(readFileSync(cacheFile())), 'the damaged cache was replaced');
});
