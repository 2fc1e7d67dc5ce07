// A generated test run, as baton would write it: passes, failures with tracebacks, skips
// with reasons, xfail/uxsuccess, tags, captured output and a non-ASCII id, with the
// outcome every reader should report for it.
import type { Packet, TestStatus } from '@baton/subunit';

export interface GeneratedTest {
  id: string;
  status: TestStatus;
  /** Microseconds, so that durations print exactly at python-subunit's precision. */
  startMicros: number;
  stopMicros: number;
  worker: number;
  traceback?: string;
  reason?: string;
  stdout?: string;
}

const STATUS_CYCLE: TestStatus[] = ['success', 'success', 'fail', 'success', 'skip', 'success', 'xfail', 'success', 'uxsuccess', 'success'];

export function generateRun(count: number, workers = 2): { tests: GeneratedTest[]; packets: Packet[] } {
  const tests: GeneratedTest[] = [];
  const clock = Array.from({ length: workers }, () => Date.UTC(2026, 10, 21, 12) * 1000);
  for (let i = 0; i < count; i++) {
    const worker = i % workers;
    const status = STATUS_CYCLE[i % STATUS_CYCLE.length]!;
    const module = `pkg.test_mod${i % 7}`;
    const id = i === 5 ? `${module}.TestÜnicode.test_é_${i}` : `${module}.TestCase${i % 3}.test_${i}`;
    const startMicros = clock[worker]!;
    const stopMicros = startMicros + 1000 + ((i * 7919) % 250_000);
    clock[worker] = stopMicros + 50;
    const t: GeneratedTest = { id, status, startMicros, stopMicros, worker };
    if (status === 'fail') t.traceback = `Traceback (most recent call last):\n  File "${module}.py", line ${i}\nAssertionError: ${i} != ${i + 1}\n`;
    if (status === 'skip') t.reason = `not on this platform (${i})`;
    if (i % 4 === 1) t.stdout = `output of test ${i}\n`;
    tests.push(t);
  }
  return { tests, packets: tests.flatMap(packetsOf) };
}

function ts(micros: number) {
  return { seconds: Math.floor(micros / 1e6), nanos: (micros % 1e6) * 1000 };
}

/**
 * Attachments go in packets of their own (as testtools writes them), timestamped at
 * the test's start so that every reader's idea of the duration agrees.
 */
function packetsOf(t: GeneratedTest): Packet[] {
  const tags = [`worker-${t.worker}`];
  const out: Packet[] = [{ testId: t.id, status: 'inprogress', timestamp: ts(t.startMicros), routeCode: String(t.worker) }];
  const attach = (name: string, mimeType: string, body: string) =>
    out.push({ testId: t.id, file: { name, content: new TextEncoder().encode(body) }, mimeType, eof: true, timestamp: ts(t.startMicros), routeCode: String(t.worker) });
  if (t.stdout) attach('stdout', 'text/plain;charset=utf8', t.stdout);
  if (t.traceback) attach('traceback', 'text/x-traceback;charset=utf8,language=python', t.traceback);
  if (t.reason) attach('reason', 'text/plain;charset=utf8', t.reason);
  out.push({ testId: t.id, status: t.status, tags, timestamp: ts(t.stopMicros), routeCode: String(t.worker) });
  return out;
}
