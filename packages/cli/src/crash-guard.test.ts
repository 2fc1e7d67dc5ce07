import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { guardProcess } from './crash-guard.js';

test('an unhandled rejection or uncaught exception is an internal error: said once, exit status 3', () => {
  for (const event of ['unhandledRejection', 'uncaughtException'] as const) {
    const proc = Object.assign(new EventEmitter(), { exits: [] as number[], exit(status: number) { this.exits.push(status); } });
    const written: string[] = [];
    guardProcess(proc, { write: (text, done) => { written.push(text); done(); } });
    proc.emit(event, new TypeError('a reporter broke'));
    proc.emit(event, new Error('and then something else'));
    assert.deepEqual(proc.exits, [3], event);
    assert.equal(written.length, 1);
    assert.match(written[0]!, /^baton: internal error: TypeError: a reporter broke\n {4}at /);
  }
});
