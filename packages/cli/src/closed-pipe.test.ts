import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { toClosablePipe } from './closed-pipe.js';

test('once the reader closed the pipe, writes are dropped quietly; any other error still surfaces', () => {
  const written: string[] = [];
  const out = Object.assign(new EventEmitter(), { write: (data: string | Uint8Array) => written.push(String(data)) });
  const pipe = toClosablePipe(out);
  pipe.write('first\n');
  assert.equal(pipe.closed, false);
  out.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  pipe.write('second\n');
  assert.deepEqual(written, ['first\n']);
  assert.equal(pipe.closed, true);
  assert.throws(() => out.emit('error', Object.assign(new Error('disk on fire'), { code: 'EIO' })), /disk on fire/);
});

test('the wrapper says whether its stream is a terminal and how wide, as the live display and colours ask', () => {
  const terminal = Object.assign(new EventEmitter(), { write: () => true, isTTY: true, columns: 132 });
  const wrapped = toClosablePipe(terminal);
  assert.deepEqual([wrapped.isTTY, wrapped.columns], [true, 132]);
  terminal.columns = 80;
  assert.equal(wrapped.columns, 80, 'a terminal resized since');
  const pipe = toClosablePipe(Object.assign(new EventEmitter(), { write: () => true }));
  assert.deepEqual([pipe.isTTY, pipe.columns], [undefined, undefined]);
});
