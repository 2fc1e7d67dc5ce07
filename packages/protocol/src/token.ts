import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether `given` is the expected secret, in time that does not depend on where they
 * differ: both are hashed first, so the compared buffers always have equal lengths and
 * the comparison leaks neither the content nor the length of the secret.
 */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
