import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STATUSES, isFailing, isPassing, type TestStatus } from './constants.js';

test('every status is a failure, a pass or neither, as stestr and testtools count them', () => {
  const verdict = (s: TestStatus | undefined) => (isFailing(s) ? 'fails' : isPassing(s) ? 'passes' : 'neither');
  assert.deepEqual(
    STATUSES.map((s) => [s ?? 'none', verdict(s)]),
    [
      ['none', 'neither'],
      ['exists', 'neither'],
      ['inprogress', 'fails'],
      ['success', 'passes'],
      ['uxsuccess', 'fails'],
      ['skip', 'neither'],
      ['fail', 'fails'],
      ['xfail', 'passes'],
    ],
  );
});
