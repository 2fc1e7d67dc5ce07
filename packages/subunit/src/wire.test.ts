import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SubunitError } from './errors.js';
import { MAX_VARINT, StringTable, utf8Length, varintSize, writeUtf8, writeVarint } from './wire.js';
import { int, rng } from './test-support/random.js';
import { toHex } from './test-support/python-fixtures.js';

test('varints use 1 to 4 bytes, switching at the boundaries python-subunit uses', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [63, '3f'],
    [64, '4040'],
    [16383, '7fff'],
    [16384, '804000'],
    [4194303, 'bfffff'],
    [4194304, 'c0400000'],
    [MAX_VARINT, 'ffffffff'],
  ];
  for (const [value, expected] of cases) {
    const out = new Uint8Array(4);
    const end = writeVarint(out, 0, value);
    assert.equal(end, varintSize(value));
    assert.equal(toHex(out.subarray(0, end)), expected, `value ${value}`);
  }
});

test('a value beyond 30 bits is refused with a clear error', () => {
  assert.throws(() => varintSize(MAX_VARINT + 1), (e: SubunitError) => {
    assert.equal(e.code, 'BATON_SUBUNIT_BAD_VALUE');
    assert.match(e.message, /too large for a subunit varint/);
    return true;
  });
});

test('strings: NUL is refused on write and on read, invalid UTF-8 on read', () => {
  assert.throws(() => utf8Length('a\0b', 'test id'), /test id contains a NUL character/);
  const table = new StringTable();
  const enc = new TextEncoder();
  assert.equal(table.decode(enc.encode('plain.ascii'), 0, 11), 'plain.ascii');
  assert.equal(table.decode(enc.encode('x.test_é'), 0, 9), 'x.test_é');
  const long = 'é'.repeat(200);
  assert.equal(table.decode(enc.encode(long), 0, 400), long);
  assert.equal(table.decode(Uint8Array.of(0x61, 0x00, 0x62), 0, 3), undefined);
  assert.equal(table.decode(Uint8Array.of(0xc3, 0xa9, 0x00), 0, 3), undefined, 'NUL after a non-ASCII byte');
  assert.equal(table.decode(Uint8Array.of(0xc3, 0x28), 0, 2), undefined);
  assert.equal(table.decode(new Uint8Array(300).fill(0x61).fill(0, 299), 0, 300), undefined, 'NUL in a long string');
});

test('the string table hands back the same string for the same bytes, and the right one for others', () => {
  const table = new StringTable();
  const bytes = new TextEncoder().encode('worker-0worker-1worker-0');
  const a = table.decode(bytes, 0, 8);
  assert.equal(a, 'worker-0');
  assert.equal(table.decode(bytes, 8, 16), 'worker-1');
  assert.equal(table.decode(bytes, 16, 24), 'worker-0');
  for (let i = 0; i < 20000; i++) assert.equal(table.decode(new TextEncoder().encode(`id.${i}`), 0, String(i).length + 3), `id.${i}`);
});

test('UTF-8 is written exactly as TextEncoder writes it, lone surrogates included', () => {
  const r = rng(11);
  const pieces = ['a', 'é', '测', '🙂', '\ud800', '\udfff', 'Z', '\u07ff', '\u0800', '\uffff'];
  for (let round = 0; round < 500; round++) {
    let s = '';
    for (let k = int(r, 20); k > 0; k--) s += pieces[int(r, pieces.length)];
    const expected = new TextEncoder().encode(s);
    const n = utf8Length(s, 'x');
    assert.equal(n, expected.length, JSON.stringify(s));
    const out = new Uint8Array(n);
    assert.equal(writeUtf8(out, 0, s), n);
    assert.deepEqual(out, expected);
  }
});
