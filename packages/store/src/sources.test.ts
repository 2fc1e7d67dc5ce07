import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { aggregate, decodeAll, encodePackets } from '@baton/subunit';
import { asSubunitV2, isStestrRepository, stestrRuns } from './sources.js';

async function collect(input: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of input) parts.push(c);
  return Buffer.concat(parts);
}
async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}

// What stestr 3.2.1 writes to .stestr/N (subunit v1), trimmed.
const V1 = [
  'time: 2026-11-21 23:53:42.532560Z\n', 'tags: worker-0\n', 'test: pkg.T.test_ok\n',
  'time: 2026-11-21 23:53:42.542560Z\n', 'successful: pkg.T.test_ok\n', 'tags: -worker-0\n',
  'test: pkg.T.test_fail\n', 'failure: pkg.T.test_fail [\n', 'boom\n', ']\n',
].join('');

const dir = mkdtempSync(join(tmpdir(), 'baton-sources-'));
after(() => rmSync(dir, { recursive: true }));

describe('asSubunitV2', () => {
  it('passes a v2 stream through unchanged, however it is chunked', async () => {
    const v2 = encodePackets([{ testId: 'a', status: 'success' }, { testId: 'b', status: 'fail' }]);
    assert.deepEqual(await collect(asSubunitV2(chunks(v2.subarray(0, 1), v2.subarray(1)), 'x')), Buffer.from(v2));
  });

  it('converts subunit v1 through subunit-1to2', async () => {
    const out = await collect(asSubunitV2(chunks(V1.slice(0, 20), V1.slice(20)), 'x'));
    const { results } = aggregate(decodeAll(out).packets);
    assert.deepEqual(results.map((r) => [r.id, r.status]), [['pkg.T.test_ok', 'success'], ['pkg.T.test_fail', 'fail']]);
    assert.deepEqual(results[0]?.tags, ['worker-0']);
  });

  it('passes other text through for the importer to refuse', async () => {
    assert.equal((await collect(asSubunitV2(chunks('hello\n', 'world\n'), 'x'))).toString(), 'hello\nworld\n');
  });

  it('says how to get the converter when it is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = dir;
    try {
      await assert.rejects(collect(asSubunitV2(chunks(V1), 'run 3')), {
        code: 'BATON_STORE_NO_CONVERTER',
        message: 'run 3 is subunit v1 (as stestr and testrepository store runs); install python-subunit (Debian: python3-subunit) so that `subunit-1to2` is on PATH',
      });
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('stestrRuns', () => {
  it('lists the runs of a stestr directory in numeric order', () => {
    const repo = join(dir, '.stestr');
    mkdirSync(repo);
    for (const f of ['format', 'next-stream', '10', '2', '0', 'failing', 'times.dbm.dat']) writeFileSync(join(repo, f), f === 'format' ? '1\n' : '');
    assert.equal(isStestrRepository(repo), true);
    assert.equal(isStestrRepository(dir), false);
    assert.deepEqual(stestrRuns(repo).map((r) => r.id), [0, 2, 10]);
  });
});
