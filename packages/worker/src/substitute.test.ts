import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listShellCommand, runShellCommand } from './substitute.js';

const TEMPLATE = 'python -m subunit.run discover . $LISTOPT $IDOPTION';

test('listing substitutes $LISTOPT and blanks the id variables', () => {
  assert.equal(listShellCommand(TEMPLATE, '--list'), 'python -m subunit.run discover . --list ');
  assert.equal(listShellCommand('run $IDLIST $IDFILE $LISTOPT', undefined), 'run   ');
});

test('running substitutes $IDOPTION with $IDFILE and $IDLIST inside it, and blanks $LISTOPT', () => {
  assert.equal(runShellCommand(TEMPLATE, '--load-list $IDFILE', '/tmp/ids', ['a.b', 'c.d']), 'python -m subunit.run discover .  --load-list /tmp/ids');
  assert.equal(runShellCommand('t $IDLIST', undefined, '/tmp/ids', ['a', 'b']), 't a b');
  assert.equal(runShellCommand('t $IDOPTION', '--ids $IDLIST', '/f', ['x', 'y']), 't --ids x y');
  // One pass, as testr does: a variable inside an id is not expanded again.
  assert.equal(runShellCommand('t $IDLIST', undefined, '/f', ['$IDFILE']), 't $IDFILE');
});
