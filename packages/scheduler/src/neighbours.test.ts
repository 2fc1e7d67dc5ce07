import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Neighbours, prefixesOf, type Chain } from './neighbours.js';
import { mulberry32, randomInt } from './rng.js';

/** The definition prefixesOf implements without regular expressions. */
function byRegex(testId: string): string[] {
  const cut = testId.search(/[[(]/);
  const id = cut === -1 ? testId : testId.slice(0, cut);
  const out: string[] = [];
  const re = /::|[./]/g;
  for (let m = re.exec(id); m; m = re.exec(id)) if (m.index > 0) out.push(id.slice(0, m.index));
  return out.reverse();
}

describe('prefixesOf', () => {
  it('lists class, module, package, nearest first, without tags', () => {
    assert.deepEqual(prefixesOf('pkg.mod.Class.test_x[id-1,smoke]'), ['pkg.mod.Class', 'pkg.mod', 'pkg']);
    assert.deepEqual(prefixesOf('tests/test_a.py::TestC::test_y[1-2]'), ['tests/test_a.py::TestC', 'tests/test_a.py', 'tests/test_a', 'tests']);
  });

  it('splits odd ids as the regular expression ::|[./] does', () => {
    for (const id of ['', 'x', '.a', '::a', 'a:::b', 'a::', 'a.::b', 'a:.b', 'a/b(c.d)', 'a[b.c].d', 'a..b', ':a:b', 'a.b.'])
      assert.deepEqual(prefixesOf(id), byRegex(id), JSON.stringify(id));
  });
});

describe('Neighbours', () => {
  it('gives the tests of one class one chain, estimated by its nearest prefix with durations', () => {
    const n = new Neighbours(1);
    const a = n.chainOf('p.m.A.t1');
    assert.equal(n.chainOf('p.m.A.t2[x]'), a);
    assert.notEqual(n.chainOf('p.m.B.t1'), a);
    assert.equal(n.estimate(a), 1);
    n.add(n.chainOf('p.m.B.t1'), 4);
    assert.equal(n.estimate(a), 4);
    assert.equal(n.sourceOf(a), 'neighbours');
    n.add(a, 2);
    assert.equal(n.estimate(a), 2);
    assert.equal(n.sourceOf(n.chainOf('q.t')), 'suite');
  });

  it('shares a chain exactly between ids with the same prefixes, whatever came before', () => {
    const rng = mulberry32(11);
    const n = new Neighbours(1);
    const byPrefixes = new Map<string, Chain>();
    const alphabet = ['a', 'b', '.', '/', ':', '[', '('];
    let id = 'a.b.c';
    for (let i = 0; i < 3000; i++) {
      // Often a sibling of the last id, sometimes anything.
      if (rng.next() < 0.6) id = id.slice(0, Math.max(0, id.length - 1 - randomInt(rng, 3)));
      else id = '';
      while (id.length < 2 + randomInt(rng, 8)) id += alphabet[randomInt(rng, alphabet.length)];
      const chain = n.chainOf(id);
      const key = JSON.stringify(prefixesOf(id));
      assert.equal(chain, byPrefixes.get(key) ?? chain, JSON.stringify(id));
      byPrefixes.set(key, chain);
      assert.equal(chain.nodes.length, prefixesOf(id).length, JSON.stringify(id));
    }
  });
});
