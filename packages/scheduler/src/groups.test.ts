import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classOfTest, groupKeyOf, groupTests } from './groups.js';

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

describe('groups of tests that share fixtures', () => {
  const ids = ['p.m1.A.t1', 'p.m1.B.t1', 'p.m1.A.t2', 'p.m2.C.t1(scenario.one)', 'p.m2.C.t1(scenario.two)', 'p.m2.D.t1', 'p.m3.E.t1', 'p.m3.F.t1'];

  it("a test id's class is what comes before its method, a scenario's name aside", () => {
    assert.equal(classOfTest('p.m1.A.t1'), 'p.m1.A');
    assert.equal(classOfTest('p.m2.C.t1(scenario.one)'), 'p.m2.C');
    assert.equal(classOfTest('plain'), 'plain');
  });

  it('tests whose class has class fixtures form one unit per class; the rest stay alone', () => {
    const units = groupTests(ids, undefined, { classFixtureTests: new Set(['p.m1.A.t1', 'p.m1.A.t2', 'p.m2.C.t1(scenario.one)', 'p.m2.C.t1(scenario.two)']) });
    assert.deepEqual(units, [['p.m1.A.t1', 'p.m1.A.t2'], ['p.m1.B.t1'], ['p.m2.C.t1(scenario.one)', 'p.m2.C.t1(scenario.two)'], ['p.m2.D.t1'], ['p.m3.E.t1'], ['p.m3.F.t1']]);
  });

  it('tests whose module has module fixtures form one unit per module', () => {
    const units = groupTests(ids, undefined, { moduleFixtureTests: new Set(['p.m3.E.t1', 'p.m3.F.t1']), classFixtureTests: new Set(['p.m3.E.t1']) });
    assert.deepEqual(units.slice(-1), [['p.m3.E.t1', 'p.m3.F.t1']]);
    assert.equal(units.length, 7);
  });

  it('with a group regex, a unit holds both the regex group and the fixture scopes it touches', () => {
    // Grouped by class, but module m1 has module fixtures: A and B go together.
    const units = groupTests(ids, '([^\\.]*\\.)*', { moduleFixtureTests: new Set(['p.m1.A.t1', 'p.m1.B.t1', 'p.m1.A.t2']) });
    assert.deepEqual(units, [['p.m1.A.t1', 'p.m1.B.t1', 'p.m1.A.t2'], ['p.m2.C.t1(scenario.one)', 'p.m2.C.t1(scenario.two)'], ['p.m2.D.t1'], ['p.m3.E.t1'], ['p.m3.F.t1']]);
  });
});
