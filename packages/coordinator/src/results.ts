import type { ResultInput } from '@baton/store';
import { timestampFromMillis, type Attachment } from '@baton/subunit';
import type { RunResult } from './events.js';

/** A run's result as the repository (and subunit output) takes it. */
export function toResultInput(result: RunResult): ResultInput {
  return {
    testId: result.id,
    status: result.status,
    start: result.startMs === undefined ? undefined : timestampFromMillis(result.startMs),
    stop: result.stopMs === undefined ? undefined : timestampFromMillis(result.stopMs),
    worker: result.worker,
    tags: result.tags,
    attachments: result.attachments,
  };
}

/**
 * Why baton itself failed a test, read from the attachment it added saying so: the worker
 * killed it past its timeout (`baton-timeout`), its test server died under it
 * (`baton-error`), or its worker vanished while it ran (`baton-lost`, the coordinator's).
 */
export function infrastructureOf(attachments: readonly Attachment[]): RunResult['infrastructure'] {
  const has = (name: string) => attachments.some((a) => a.name === name);
  return has('baton-timeout') ? 'timeout' : has('baton-error') ? 'crashed' : has('baton-lost') ? 'lost' : undefined;
}
