import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError } from '@baton/store';
import { SubunitError } from '@baton/subunit';
import { CliError, ExitCode, describeError } from './errors.js';

describe('describeError', () => {
  it('maps error codes to the documented exit statuses', () => {
    const cases: [unknown, number][] = [
      [new CliError('BATON_CLI_PROFILE_AMBIGUOUS', 'x'), ExitCode.USAGE],
      [new StoreError('BATON_STORE_NOT_FOUND', 'x'), ExitCode.USAGE],
      [new StoreError('BATON_STORE_CORRUPT_INPUT', 'x'), ExitCode.USAGE],
      [new StoreError('BATON_STORE_UNUSABLE', 'x'), ExitCode.INFRA],
      [new StoreError('BATON_STORE_NO_CONVERTER', 'x'), ExitCode.INFRA],
      [new StoreError('BATON_STORE_DISK_FULL', 'x'), ExitCode.INFRA],
      [new StoreError('BATON_STORE_READ_ONLY', 'x'), ExitCode.INFRA],
      [new StoreError('BATON_STORE_CORRUPT', 'x'), ExitCode.INFRA],
      [new SubunitError('BATON_SUBUNIT_BAD_CRC', 'x'), ExitCode.USAGE],
      [Object.assign(new Error('x'), { code: 'BATON_PLAN_UNKNOWN_TEST' }), ExitCode.USAGE],
      [Object.assign(new Error('x'), { code: 'ENOENT' }), ExitCode.USAGE],
    ];
    for (const [error, status] of cases) assert.deepEqual(describeError(error), { status, message: 'x' }, (error as Error & { code: string }).code);
  });

  it('reports anything unmapped as an internal error with its stack, exit 3', () => {
    const error = new TypeError('boom');
    const { status, message } = describeError(error);
    assert.equal(status, ExitCode.INFRA);
    assert.ok(message.startsWith('internal error: TypeError: boom\n    at '), message);
    assert.deepEqual(describeError(Object.assign(new Error('y'), { code: 'ERR_X' })).message.split('\n')[0], 'internal error (ERR_X): Error: y');
    assert.deepEqual(describeError('text'), { status: ExitCode.INFRA, message: 'internal error: text' });
  });
});
