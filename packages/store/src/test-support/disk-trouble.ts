// Ways to give a repository real disk trouble in a test: a read-only file or directory
// (for root too), damaged pages, a full file system.
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, openSync, closeSync, statSync, writeSync } from 'node:fs';

/**
 * Makes `path` read-only for this process and its children, and returns what undoes it;
 * undefined when this machine cannot. chmod does not stop root, so root marks the path
 * immutable (`chattr +i`, which stops root too); anyone else takes away its write bits.
 */
export function makeReadOnly(path: string): (() => void) | undefined {
  const root = process.getuid?.() === 0;
  const mode = statSync(path).mode & 0o7777;
  const undo = root
    ? () => void spawnSync('chattr', ['-i', path])
    : () => chmodSync(path, mode);
  if (root) {
    if (spawnSync('chattr', ['+i', path]).status !== 0) return undefined;
  } else {
    chmodSync(path, mode & ~0o222);
  }
  try {
    accessSync(path, constants.W_OK);
  } catch {
    return undo;
  }
  undo();
  return undefined;
}

/** Overwrites `count` pages of `file` from page number `first` (1-based) with a pattern no page holds. */
export function overwritePages(file: string, first: number, count: number, pageSize = 4096): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(pageSize * count, 0xa5), 0, pageSize * count, (first - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}

/**
 * Mounts a tmpfs of `kib` KiB on `dir` (an empty directory) and returns what unmounts it;
 * undefined when this process may not mount (only root may).
 */
export function mountFullDisk(dir: string, kib: number): (() => void) | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir]).status !== 0) return undefined;
  return () => void spawnSync('umount', [dir]);
}
