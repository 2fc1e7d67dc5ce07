import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupKeyOf, groupTests } from './groups.js';

describe('groups (stestr group_regex semantics)', () => {
  it("stestr's parallel_class regex groups by class: the whole match, anchored at the start", () => {
    const key = groupKeyOf('([^\\.]*\\.)*');
    assert.equal(key('pkg.mod.Class.test_a'), 'pkg.mod.Class.');
    assert.equal(key('pkg.mod.Other.test_a'), 'pkg.mod.Other.');
  });

  it('a test the regex does not match (or matches empty) is its own group', () => {
    const key = groupKeyOf('tempest\\.api\\.[^.]+');
    assert.equal(key('tempest.api.compute.x'), 'tempest.api.compute');
    assert.equal(key('other.tempest.api.compute.x'), 'other.tempest.api.compute.x');
    assert.equal(groupKeyOf('x*')('abc'), 'abc');
  });

  it('keeps a group in input order, placed where its first test appears', () => {
    const units = groupTests(['a.X.t1', 'a.Y.t1', 'a.X.t2', 'b'], '([^\\.]*\\.)*');
    assert.deepEqual(units, [['a.X.t1', 'a.X.t2'], ['a.Y.t1'], ['b']]);
  });

  it('without a regex every test is a unit', () => {
    assert.deepEqual(groupTests(['a', 'b']), [['a'], ['b']]);
  });
});
