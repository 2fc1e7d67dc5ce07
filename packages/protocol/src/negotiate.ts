import { NoCommonVersionError } from './errors.js';
import type { VersionRange } from './messages.js';

/**
 * The version two ends use: the highest one both speak. Throws `NoCommonVersionError`
 * (code `BATON_PROTOCOL_NO_COMMON_VERSION`, naming both ranges) when none is common.
 * Symmetric, so both ends reach the same answer from the two Hellos.
 */
export function negotiate(ours: VersionRange, theirs: VersionRange): number {
  const version = Math.min(ours.max, theirs.max);
  if (version < Math.max(ours.min, theirs.min)) throw new NoCommonVersionError(ours, theirs);
  return version;
}
