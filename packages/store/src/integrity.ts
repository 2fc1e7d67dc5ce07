// Damage is found by SQLite's own `PRAGMA quick_check` when a repository is opened: a
// query that never touches the bad pages would otherwise answer from a damaged file with
// no warning (and a run would write into it). quick_check reads every page: ~50 ms for
// 100,000 results (10 MB), measured. So a file that passed, and was since written only
// by baton, is not checked again: a stamp beside it (`baton.db.checked`) records the
// file's inode, size and modification time after the check, and after each clean close
// of a writer. Anything else that writes the file, or replaces it, changes one of those.
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { corrupt } from './errors.js';

/** The stamp of a checked database file: where it is, its size and its last change. */
const stampOf = (file: string): string => {
  const s = statSync(file, { bigint: true });
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}\n`;
};
const stampFile = (file: string): string => `${file}.checked`;

/** Whether `file` is as it was when last stamped. */
function unchanged(file: string): boolean {
  try {
    return readFileSync(stampFile(file), 'utf8') === stampOf(file);
  } catch {
    return false;
  }
}

/**
 * Records that `file`, as it is now, is sound. Best effort: on a full disk or a read-only
 * directory the next open simply checks again.
 */
export function stampChecked(file: string): void {
  try {
    writeFileSync(stampFile(file), stampOf(file));
  } catch {
    // Checked again next time.
  }
}

/** Forgets that `file` was sound, so that every later open checks it (a read-only one keeps no stamp). */
export function forgetChecked(file: string): void {
  try {
    rmSync(stampFile(file), { force: true });
  } catch {
    // Nothing could have stamped it.
  }
}

/**
 * Throws BATON_STORE_CORRUPT when SQLite finds `file` damaged, unless it is unchanged
 * since it last passed. Stamps it when it passes and `writable`.
 */
export function checkIntegrity(db: Database.Database, file: string, writable: boolean): void {
  if (unchanged(file)) return;
  // quick_check(1): stop at the first problem; it is what the message shows, without the
  // "*** in database main ***" heading SQLite puts first.
  const found = db.pragma('quick_check(1)', { simple: true }) as string;
  if (found !== 'ok') throw corrupt(file, found.split('\n').find((line) => !line.startsWith('***')) ?? found);
  if (writable) stampChecked(file);
}
