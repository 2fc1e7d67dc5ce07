import type { ResultInput } from '@baton/store';
import { timestampFromMillis } from '@baton/subunit';
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
