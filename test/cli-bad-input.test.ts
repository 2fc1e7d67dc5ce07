// Damaged and foreign inputs: what could be read is kept (and said so, exit 2); what is not
// subunit at all is refused; nothing stored before is touched.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeAll, encodePacket } from '@baton/subunit';
import { SqliteRepository } from '@baton/store';
import { syntheticBytes } from '../packages/store/src/test-support/streams.js';
import { baton, initProject } from '../packages/cli/src/test-support/run-baton.js';

/** A project holding one good run of 10 results, and what its repository said about it. */
function withHistory() {
  const dir = initProject();
  writeFileSync(join(dir, 'good.subunit'), syntheticBytes({ results: 10, failEvery: 4 }));
  baton(dir, ['load', 'good.subunit']);
  return { dir, before: baton(dir, ['last', '--json']).stdout, run1: run1Of(dir) };
}

/** Run 1 exactly as stored. */
function run1Of(dir: string): unknown {
  const repo = SqliteRepository.open(join(dir, '.baton', 'baton.db'));
  try {
    return { run: repo.run(1), results: repo.results(1) };
  } finally {
    repo.close();
  }
}

describe('baton load of bad input', () => {
  it('stores a truncated stream up to its last valid packet, marks the run partial and names the byte offset', () => {
    const { dir, run1 } = withHistory();
    const whole = syntheticBytes({ results: 20, seed: 2, failEvery: 1000 });
    const lastStart = decodeAll(whole).offsets.at(-1)!;
    writeFileSync(join(dir, 'cut.subunit'), whole.subarray(0, whole.length - 3));
    const r = baton(dir, ['load', 'cut.subunit']);
    assert.equal(r.status, 2);
    assert.match(r.stdout, /^Loaded run 2 \(default\) from cut.subunit: 20 results: 18 passed, 1 unfinished, 1 skipped\n$/);
    assert.match(r.stderr, new RegExp(`^baton: cut.subunit is damaged at byte ${lastStart} \\(1 bad packet; first: corrupt subunit packet at byte ${lastStart}: stream ended inside a packet.*\\); stored the 20 results that could be read as partial run 2\\n$`));
    const last = JSON.parse(baton(dir, ['last', '--json']).stdout).profiles.default.run;
    assert.deepEqual([last.id, last.partial, last.complete], [2, true, true]);
    assert.deepEqual(run1Of(dir), run1);
    // test_3 and test_7 failed in run 1 and passed in run 2; test_19 never finished.
    assert.equal(baton(dir, ['failing', '--list']).stdout, 'pkg.module_19.TestCase0.test_19\n');
  });

  it('keeps reading after a corrupt packet in the middle', () => {
    const { dir } = withHistory();
    const bytes = syntheticBytes({ results: 5, seed: 3, failEvery: 1000 });
    // Packet 5 is the final status of the third test, which is left unfinished.
    const [offset, next] = decodeAll(bytes).offsets.slice(5, 7) as [number, number];
    bytes[next - 1]! ^= 0x55;
    writeFileSync(join(dir, 'bad-crc.subunit'), bytes);
    const r = baton(dir, ['load', 'bad-crc.subunit']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`damaged at byte ${offset} \\(1 bad packet; first: .*bad checksum`));
    assert.match(r.stdout, /5 results: 4 passed, 1 unfinished/);
  });

  it('refuses a file that is not subunit at all, storing nothing', () => {
    const { dir, before, run1 } = withHistory();
    const junit = '<?xml version="1.0"?>\n<testsuite tests="1"><testcase name="x"/></testsuite>\n';
    writeFileSync(join(dir, 'results.xml'), junit);
    writeFileSync(join(dir, 'empty.subunit'), '');
    const xml = baton(dir, ['load', 'results.xml']);
    assert.deepEqual([xml.status, xml.stdout], [2, '']);
    assert.equal(xml.stderr, `baton: results.xml holds no subunit v2 packet in its ${junit.length} bytes; baton loads subunit v2 streams (\`subunit-1to2\` converts v1)\n`);
    assert.match(baton(dir, ['load', 'empty.subunit']).stderr, /^baton: empty.subunit is empty; /);
    assert.equal(baton(dir, ['last', '--json']).stdout, before);
    assert.deepEqual(run1Of(dir), run1);
    assert.equal(JSON.parse(baton(dir, ['stats', '--json']).stdout).runs, 1);
  });

  it('says what is wrong with a missing file or a directory that is no stestr repository', () => {
    const { dir } = withHistory();
    const missing = baton(dir, ['load', 'nope.subunit']);
    assert.equal(missing.status, 2);
    assert.equal(missing.stderr, 'baton: load nope.subunit: no such file or directory\n');
    mkdirSync(join(dir, 'plain'));
    const plain = baton(dir, ['load', 'plain']);
    assert.equal(plain.status, 2);
    assert.match(plain.stderr, /plain is a directory but not a stestr or testrepository repository/);
  });

  it('refuses a packet of another subunit version as damage, not as a crash', () => {
    const { dir } = withHistory();
    const packet = Buffer.from(encodePacket({ testId: 't', status: 'success' }));
    packet[1] = (packet[1]! & 0x0f) | 0x30;
    writeFileSync(join(dir, 'v3.subunit'), Buffer.concat([packet, Buffer.from(encodePacket({ testId: 't2', status: 'success' }))]));
    const r = baton(dir, ['load', 'v3.subunit']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /damaged at byte 0 .*packet version 3 is not 2/);
  });
});
