import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ansi, paintFor, plain, wantsColour } from './color.js';
import { shownFor, type OutputArgs } from './options.js';

test('colour: --color/--no-color first, then FORCE_COLOR (even off a terminal, over NO_COLOR), then NO_COLOR and TERM=dumb, then the terminal', () => {
  const cases: [boolean | undefined, Record<string, string>, boolean, boolean][] = [
    // flag, environment, a terminal?, coloured?
    [undefined, {}, true, true],
    [undefined, {}, false, false],
    [true, {}, false, true],
    [false, {}, true, false],
    [false, { FORCE_COLOR: '1' }, true, false],
    [true, { NO_COLOR: '1' }, false, true],
    [undefined, { NO_COLOR: '1' }, true, false],
    [undefined, { NO_COLOR: 'anything' }, true, false],
    [undefined, { NO_COLOR: '' }, true, true],
    [undefined, { TERM: 'dumb' }, true, false],
    [undefined, { FORCE_COLOR: '1' }, false, true],
    [undefined, { FORCE_COLOR: '' }, false, true],
    [undefined, { FORCE_COLOR: '3' }, false, true],
    [undefined, { FORCE_COLOR: 'true' }, false, true],
    [undefined, { FORCE_COLOR: '0' }, true, false],
    [undefined, { FORCE_COLOR: 'false' }, true, false],
    [undefined, { FORCE_COLOR: '1', NO_COLOR: '1' }, false, true],
    [undefined, { FORCE_COLOR: '0', NO_COLOR: '' }, true, false],
  ];
  for (const [flag, env, tty, coloured] of cases) {
    assert.equal(wantsColour(flag, env, tty), coloured, `flag ${flag}, ${JSON.stringify(env)}, ${tty ? 'a terminal' : 'no terminal'}`);
  }
});

test('paint: bold and coloured as stestr\'s AnsiColorizer writes it, or the text untouched', () => {
  assert.equal(ansi('FAILED', 'red'), '\x1b[31;1mFAILED\x1b[0m');
  assert.equal(ansi('ok', 'green'), '\x1b[32;1mok\x1b[0m');
  assert.equal(ansi('SKIPPED', 'blue'), '\x1b[34;1mSKIPPED\x1b[0m');
  assert.equal(plain('FAILED', 'red'), 'FAILED');
  assert.equal(paintFor(undefined, {}, { isTTY: true }), ansi);
  assert.equal(paintFor(undefined, {}, {}), plain);
});

test('shownFor: a line or a character per test; passing tests show their stdout and stderr under lines only, all with --all-attachments, none with --suppress-attachments', () => {
  const args = (a: Partial<OutputArgs>): OutputArgs => ({ color: undefined, verbose: undefined, abbreviate: undefined, allAttachments: undefined, suppressAttachments: undefined, ...a });
  const of = (a: Partial<OutputArgs>) => {
    const { results, passing } = shownFor(args(a), {}, {});
    return [results, passing];
  };
  assert.deepEqual(of({}), ['failures', 'none']);
  assert.deepEqual(of({ verbose: true }), ['lines', 'output']);
  assert.deepEqual(of({ verbose: true, suppressAttachments: true }), ['lines', 'none']);
  assert.deepEqual(of({ verbose: true, allAttachments: true }), ['lines', 'all']);
  assert.deepEqual(of({ abbreviate: true }), ['chars', 'none']);
  assert.deepEqual(of({ abbreviate: true, allAttachments: true }), ['chars', 'all']);
  assert.deepEqual(of({ allAttachments: true }), ['failures', 'all']);
  assert.deepEqual(of({ verbose: false, abbreviate: true }), ['chars', 'none']);
  assert.equal(shownFor(args({ color: true }), {}, {}).paint, ansi);
  assert.equal(shownFor(args({}), { FORCE_COLOR: '1' }, {}).paint, ansi);
  assert.equal(shownFor(args({}), { NO_COLOR: '1' }, { isTTY: true }).paint, plain);
});
