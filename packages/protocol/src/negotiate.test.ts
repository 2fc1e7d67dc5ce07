import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NoCommonVersionError } from './errors.js';
import type { VersionRange } from './messages.js';
import { negotiate } from './negotiate.js';

const r = (min: number, max: number): VersionRange => ({ min, max });

test('negotiate picks the highest common version', () => {
  const table: [VersionRange, VersionRange, number][] = [
    [r(1, 2), r(1, 2), 2],
    [r(1, 2), r(1, 1), 1],
    [r(1, 1), r(1, 2), 1],
    [r(1, 5), r(3, 7), 5],
    [r(3, 7), r(1, 5), 5],
    [r(2, 2), r(1, 9), 2],
    [r(4, 4), r(4, 4), 4],
  ];
  for (const [ours, theirs, want] of table) {
    assert.equal(negotiate(ours, theirs), want, `${JSON.stringify(ours)} x ${JSON.stringify(theirs)}`);
  }
});

test('negotiate refuses disjoint ranges, naming both', () => {
  const table: [VersionRange, VersionRange, string][] = [
    [r(2, 2), r(1, 1), 'this end speaks version 2, the peer speaks version 1'],
    [r(1, 1), r(2, 3), 'this end speaks version 1, the peer speaks versions 2..3'],
    [r(3, 4), r(1, 2), 'this end speaks versions 3..4, the peer speaks versions 1..2'],
  ];
  for (const [ours, theirs, text] of table) {
    assert.throws(
      () => negotiate(ours, theirs),
      (e: unknown) => {
        assert.ok(e instanceof NoCommonVersionError);
        assert.equal(e.code, 'BATON_PROTOCOL_NO_COMMON_VERSION');
        assert.match(e.message, new RegExp(`^no common protocol version: ${text.replace(/\./g, '\\.')}; upgrade`));
        assert.deepEqual([e.ours, e.theirs], [ours, theirs]);
        return true;
      },
    );
  }
});
