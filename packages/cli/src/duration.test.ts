import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from './duration.js';

describe('durations on the command line', () => {
  it('reads seconds, and s, m, h, d alone or together', () => {
    assert.equal(parseDuration('90', '--max-time'), 90);
    assert.equal(parseDuration('90s', '--max-time'), 90);
    assert.equal(parseDuration('15m', '--max-time'), 900);
    assert.equal(parseDuration('1h30m', '--max-time'), 5400);
    assert.equal(parseDuration('1.5h', '--max-time'), 5400);
    assert.equal(parseDuration('2d', '--max-time'), 172_800);
  });

  it('refuses anything else, naming the option', () => {
    for (const bad of ['', 'soon', '10x', 'm10', '0', '0s', '-5', '1h 30m'])
      assert.throws(() => parseDuration(bad, '--max-time'), (e: any) => e.code === 'BATON_CLI_USAGE' && e.message.startsWith('--max-time takes a duration'));
  });
});
