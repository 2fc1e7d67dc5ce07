import { ERROR_ATTACHMENT, TIMEOUT_ATTACHMENT } from '@baton/protocol';
import type { ResultInput } from '@baton/store';
import { timestampFromMillis, type Attachment } from '@baton/subunit';
import type { RunResult } from './events.js';

/**
 * A run's result as the repository (and subunit output) takes it; `retried`: a failed
 * attempt that was tried again, kept among the run's attempts rather than as its result.
 */
export function toResultInput(result: RunResult, retried = false): ResultInput {
  return {
    testId: result.id,
    status: result.status,
    start: result.startMs === undefined ? undefined : timestampFromMillis(result.startMs),
    stop: result.stopMs === undefined ? undefined : timestampFromMillis(result.stopMs),
    worker: result.worker,
    tags: result.tags,
    attachments: result.attachments,
    ...(result.attempt !== undefined && { attempt: result.attempt }),
    ...(retried && { retried }),
  };
}

/** The attachment of a test the coordinator failed because its worker vanished while it ran. */
export const LOST_ATTACHMENT = 'baton-lost';

/**
 * Why baton itself failed a test, read from the attachment it added saying so: it ran past
 * its timeout (TIMEOUT_ATTACHMENT), its test server died under it (ERROR_ATTACHMENT), or
 * its worker vanished while it ran (LOST_ATTACHMENT, the coordinator's).
 */
export function infrastructureOf(attachments: readonly Attachment[]): RunResult['infrastructure'] {
  const has = (name: string) => attachments.some((a) => a.name === name);
  return has(TIMEOUT_ATTACHMENT) ? 'timeout' : has(ERROR_ATTACHMENT) ? 'crashed' : has(LOST_ATTACHMENT) ? 'lost' : undefined;
}
