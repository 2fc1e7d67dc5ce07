import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Attachment } from '@baton/subunit';
import { ansi, plain } from './color.js';
import { capturedAttachments, passingShown, traceChar, traceLine, type TracedResult } from './trace.js';

const text = (name: string, content: string): Attachment => ({ name, mimeType: 'text/plain;charset=utf8', content: new TextEncoder().encode(content) });

function result(status: TracedResult['status'], more: Partial<TracedResult> = {}): TracedResult {
  return { id: 'pkg.mod.T.test_x', status, tags: ['worker-3'], attachments: [], duration: 0.0012345, ...more };
}

test('a line per result as subunit-trace prints it: the worker from its worker-N tag, the duration to the microsecond, the status word', () => {
  assert.equal(traceLine(result('success'), plain), '{3} pkg.mod.T.test_x [0.001235s] ... ok');
  assert.equal(traceLine(result('xfail'), plain), '{3} pkg.mod.T.test_x [0.001235s] ... ok', 'an expected failure is a pass');
  assert.equal(traceLine(result('fail'), plain), '{3} pkg.mod.T.test_x [0.001235s] ... FAILED');
  assert.equal(traceLine(result('uxsuccess'), plain), '{3} pkg.mod.T.test_x [0.001235s] ... FAILED');
  assert.equal(traceLine(result('skip', { attachments: [text('reason', 'not here')] }), plain), '{3} pkg.mod.T.test_x ... SKIPPED: not here');
  assert.equal(traceLine(result('skip'), plain), '{3} pkg.mod.T.test_x ... SKIPPED', 'no reason, nothing after the word');
  assert.equal(traceLine(result('inprogress'), plain), '{3} pkg.mod.T.test_x [0.001235s] ... inprogress');
  assert.equal(traceLine(result('success', { tags: ['smoke'], duration: undefined }), plain), '{0} pkg.mod.T.test_x [] ... ok', 'no worker tag: worker 0; untimed: empty');
  assert.equal(traceLine(result('success', { duration: 83.5 }), plain), '{3} pkg.mod.T.test_x [83.500000s] ... ok');
  assert.equal(traceLine(result('success', { duration: -0.002 }), plain), '{3} pkg.mod.T.test_x [0.000000s] ... ok', 'a clock that stepped back');
  assert.equal(traceLine(result('success', { id: 'api.T.test_get[id-9a1b,smoke](scenario)' }), plain), '{3} api.T.test_get(scenario) [0.001235s] ... ok', "tempest's attributes are left out");
  assert.equal(traceLine(result('success'), ansi), '{3} pkg.mod.T.test_x [0.001235s] ... \x1b[32;1mok\x1b[0m');
  assert.equal(traceLine(result('fail'), ansi), '{3} pkg.mod.T.test_x [0.001235s] ... \x1b[31;1mFAILED\x1b[0m');
  assert.equal(traceLine(result('skip'), ansi), '{3} pkg.mod.T.test_x ... \x1b[34;1mSKIPPED\x1b[0m');
});

test('a character per result as subunit-trace --abbreviate prints it', () => {
  const chars = (['success', 'xfail', 'fail', 'uxsuccess', 'skip', 'inprogress'] as const).map((s) => traceChar(result(s), plain)).join('');
  assert.equal(chars, '..FFSi');
  assert.equal(traceChar(result('fail'), ansi), '\x1b[31;1mF\x1b[0m');
  assert.equal(traceChar(result('skip'), ansi), '\x1b[34;1mS\x1b[0m');
  assert.equal(traceChar(result('success'), ansi), '\x1b[32;1m.\x1b[0m');
});

test("a passing test's attachments: its output by default, every non-empty one with all, none with none; each under a Captured title", () => {
  const attachments = [text('stdout', 'out 1\nout 2\n'), text('stderr', ''), text("pythonlogging:''", 'DEBUG x'), text('traceback', 'Traceback…')];
  assert.deepEqual(passingShown(attachments, 'output').map((a) => a.name), ['stdout']);
  assert.deepEqual(passingShown(attachments, 'all').map((a) => a.name), ['stdout', "pythonlogging:''", 'traceback']);
  assert.deepEqual(passingShown(attachments, 'none'), []);
  assert.equal(
    capturedAttachments(passingShown(attachments, 'all').slice(0, 2)),
    '\nCaptured stdout:\n~~~~~~~~~~~~~~~~\n    out 1\n    out 2\n\n\nCaptured pythonlogging:\n~~~~~~~~~~~~~~~~~~~~~~~\n    DEBUG x\n\n',
  );
  assert.equal(capturedAttachments([{ name: 'screenshot', mimeType: 'image/png', content: new Uint8Array(3) }]), '\nCaptured screenshot:\n~~~~~~~~~~~~~~~~~~~~\n    (3 bytes of image/png)\n\n');
  assert.equal(capturedAttachments([]), '');
});
