import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredResult } from '@baton/store';
import { prefixOf } from './prefix.js';

const discovery = new Map(['a', 'b', 'c', 'd', 'e', 'f', 'victim'].map((id, i) => [id, i]));
let seqs = new Map<string, number>();
const ran = (testId: string, worker: string | undefined): StoredResult => {
  const seq = seqs.get(worker ?? '') ?? 0;
  seqs.set(worker ?? '', seq + 1);
  return { run: 1, testId, status: testId === 'victim' ? 'fail' : 'success', start: undefined, stop: undefined, worker, seq, tags: [], attachments: [] };
};

describe('what the failing test\'s process ran before it', () => {
  it('is its worker\'s results before it, in order, without the other workers\' or what came after', () => {
    seqs = new Map();
    const results = [ran('a', 'worker-0'), ran('b', 'worker-1'), ran('c', 'worker-0'), ran('d', 'worker-1'), ran('e', 'worker-0'), ran('victim', 'worker-0'), ran('f', 'worker-0')];
    assert.deepEqual(prefixOf(results, results[5]!, discovery), { tests: ['a', 'c', 'e'], unknown: [] });
  });

  it('stops where the worker\'s process began: a result at or after the next one in discovery order ran in an earlier process', () => {
    seqs = new Map();
    // local/0 ran d and e, then went back to b on a fresh process, then c and the victim.
    const results = [ran('d', 'local/0'), ran('e', 'local/0'), ran('b', 'local/0'), ran('c', 'local/0'), ran('victim', 'local/0')];
    assert.deepEqual(prefixOf(results, results[4]!, discovery), { tests: ['b', 'c'], unknown: [] });
  });

  it('leaves out results that name no test of the project, and takes results with no worker as one worker\'s', () => {
    seqs = new Map();
    const results = [ran('a', undefined), ran('setUpClass (pkg.C)', undefined), ran('b', undefined), ran('victim', undefined)];
    assert.deepEqual(prefixOf(results, results[3]!, discovery), { tests: ['a', 'b'], unknown: ['setUpClass (pkg.C)'] });
  });
});
