import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { packAttachments, unpackAttachments } from './details.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('attachment blobs', () => {
  it('stores nothing for no attachments', () => {
    assert.equal(packAttachments(undefined), null);
    assert.equal(packAttachments([]), null);
    assert.deepEqual(unpackAttachments(null), []);
  });

  it('round-trips small attachments uncompressed, with and without a mime type', () => {
    const attachments = [
      { name: 'reason', mimeType: 'text/plain;charset=utf8', content: bytes('skipped: ✓') },
      { name: 'stdout', mimeType: undefined, content: new Uint8Array([0, 1, 0xb3]) },
      { name: 'empty', mimeType: '', content: new Uint8Array(0) },
    ];
    const blob = packAttachments(attachments)!;
    assert.equal(blob[0], 1);
    assert.deepEqual(unpackAttachments(blob), attachments);
  });

  it('deflates large repetitive output, such as tracebacks', () => {
    const attachments = [{ name: 'traceback', mimeType: 'text/x-traceback', content: bytes('  File "x.py", line 1, in test\n'.repeat(200)) }];
    const blob = packAttachments(attachments)!;
    assert.equal(blob[0], 2);
    assert.ok(blob.length < 300, `deflated to ${blob.length} bytes`);
    assert.deepEqual(unpackAttachments(blob), attachments);
  });

  it('keeps incompressible content raw', () => {
    const noise = new Uint8Array(randomBytes(4096));
    const blob = packAttachments([{ name: 'bin', mimeType: undefined, content: noise }])!;
    assert.equal(blob[0], 1);
    assert.deepEqual(unpackAttachments(blob)[0]?.content, noise);
  });
});
