import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/**
 * A temporary directory for one test file, removed after it; `fresh()` gives the path of
 * a database file in a directory of its own (a repository's -wal, -shm and journals sit
 * beside it).
 */
export function scratchDatabases(prefix: string): { readonly dir: string; fresh(): string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true }));
  let n = 0;
  return {
    dir,
    fresh: () => {
      const d = join(dir, String(n++));
      mkdirSync(d);
      return join(d, 'baton.db');
    },
  };
}
