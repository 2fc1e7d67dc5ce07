import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chanceOfPasses, passesNeeded } from './confidence.js';

describe('how many passes clear a set', () => {
  it('with nothing seen, a uniform prior: n passes leave a chance of 1 / (n + 1)', () => {
    const none = { runs: 0, failures: 0 };
    assert.equal(chanceOfPasses(0, none), 1);
    assert.ok(Math.abs(chanceOfPasses(9, none) - 0.1) < 1e-12);
    assert.equal(passesNeeded(0.9, none), 9);
    assert.equal(passesNeeded(0.99, none), 99);
  });

  it('approaches the plain (1 - q)^n as the rate becomes well known, needing more passes than that while it is not', () => {
    // A rate of one in ten known from 10,000 executions: about ln(0.01) / ln(0.9) = 43.7 passes.
    assert.equal(passesNeeded(0.99, { runs: 10_000, failures: 1000 }), 44);
    const few = passesNeeded(0.99, { runs: 20, failures: 2 });
    const more = passesNeeded(0.99, { runs: 200, failures: 20 });
    assert.ok(few > more && more > 44, `${few} > ${more} > 44`);
  });

  it('needs fewer passes for a test that fails often, and more for a higher confidence', () => {
    const seen = { runs: 100, failures: 50 };
    assert.ok(passesNeeded(0.99, seen) < passesNeeded(0.99, { runs: 100, failures: 10 }));
    assert.ok(passesNeeded(0.999, seen) > passesNeeded(0.99, seen));
    assert.ok(chanceOfPasses(passesNeeded(0.99, seen), seen) <= 0.01);
    assert.ok(chanceOfPasses(passesNeeded(0.99, seen) - 1, seen) > 0.01);
  });
});
