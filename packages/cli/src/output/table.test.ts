import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderTable } from './table.js';

describe('renderTable', () => {
  it('pads columns to their widest cell, right-aligning where asked', () => {
    assert.equal(renderTable(['Test id', 'Runtime (s)'], [['a.very.long.test', '1.00'], ['b', '120']], ['left', 'right']), [
      'Test id           Runtime (s)',
      '----------------  -----------',
      'a.very.long.test         1.00',
      'b                         120',
      '',
    ].join('\n'));
  });

  it('prints only the header for no rows', () => {
    assert.equal(renderTable(['A', 'B'], []), 'A  B\n-  -\n');
  });
});
