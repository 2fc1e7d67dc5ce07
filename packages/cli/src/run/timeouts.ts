import { HISTORY_TIMEOUT_FLOOR_SECONDS, type TimeoutPolicy } from '@baton/coordinator';
import type { ProjectConfig } from '../config.js';

/** How long a test may run before its process is killed: `--timeout` seconds, else the configuration's timeout, else no limit. */
export function timeoutPolicy(seconds: number | undefined, config: ProjectConfig): TimeoutPolicy {
  if (seconds !== undefined) return { kind: 'fixed', seconds };
  const t = config.timeout;
  if (t === undefined) return { kind: 'none' };
  if ('seconds' in t) return { kind: 'fixed', seconds: t.seconds };
  return { kind: 'history', multiple: t.multiple, minimum: t.minimum ?? HISTORY_TIMEOUT_FLOOR_SECONDS };
}
