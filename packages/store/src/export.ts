import type { TestResult } from '@baton/subunit';
import type { StoredResult } from './types.js';

/**
 * A stored result as the subunit result it was read from, for writing it out again
 * (`resultPackets(testResultOf(r), { withStart: true })`). The worker travels as the
 * route code, unless a tag already names it (stestr's `worker-N`).
 */
export function testResultOf(result: StoredResult): TestResult {
  return {
    id: result.testId,
    status: result.status,
    start: result.start,
    stop: result.stop,
    tags: result.tags,
    routeCode: result.worker !== undefined && !result.tags.includes(result.worker) ? result.worker : undefined,
    attachments: result.attachments,
  };
}
