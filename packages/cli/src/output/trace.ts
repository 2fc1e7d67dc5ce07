// Results as stestr's subunit-trace prints them (stestr/subunit_trace.py, show_outcome):
// a line per test (`--verbose`) or a character per test (`--abbreviate`), with the output
// of passing tests below their line.
import { isFailing, isText, type Attachment } from '@baton/subunit';
import type { ResultStatus } from '@baton/store';
import type { Colour, Paint } from './color.js';

/** A result as a per-test line shows it: a run's as it finishes, or a recorded one (`last`). */
export interface TracedResult {
  readonly id: string;
  readonly status: ResultStatus;
  /** The `worker-N` tag among them names the worker, as in stestr's streams. */
  readonly tags: readonly string[];
  readonly attachments: readonly Attachment[];
  /** Seconds, when the test was timed. */
  readonly duration: number | undefined;
}

/**
 * Which attachments of a passing test are shown: none; its output (`stdout`, `stderr`:
 * subunit-trace's default under a line); all of them (`--all-attachments`: a logging
 * attachment, the traceback of an expected failure).
 */
export type PassingAttachments = 'none' | 'output' | 'all';

/** The colour of a status wherever it is painted: passes green, failures red, skips blue. */
export function statusColour(status: ResultStatus): Colour | undefined {
  if (isFailing(status)) return 'red';
  if (passes(status)) return 'green';
  return status === 'skip' ? 'blue' : undefined;
}

/** A pass as subunit-trace counts one: a success, or a failure that was expected. */
export function passes(status: ResultStatus): boolean {
  return status === 'success' || status === 'xfail';
}

/** subunit-trace's line for a result: `{0} pkg.T.test_x [0.001234s] ... ok` (no newline). */
export function traceLine(r: TracedResult, paint: Paint): string {
  const head = `{${workerNumber(r.tags)}} ${withoutTags(r.id)}`;
  const timed = `${head} [${traceDuration(r.duration)}] ... `;
  if (passes(r.status)) return `${timed}${paint('ok', 'green')}`;
  if (r.status === 'fail' || r.status === 'uxsuccess') return `${timed}${paint('FAILED', 'red')}`;
  if (r.status === 'skip') {
    const reason = r.attachments.find((a) => a.name === 'reason');
    return `${head} ... ${paint('SKIPPED', 'blue')}${reason === undefined || reason.content.length === 0 ? '' : `: ${utf8.decode(reason.content)}`}`;
  }
  return `${timed}${r.status}`;
}

/** subunit-trace's character for a result (`--abbreviate`): `.` a pass, `F` a failure, `S` a skip. */
export function traceChar(r: TracedResult, paint: Paint): string {
  if (passes(r.status)) return paint('.', 'green');
  if (r.status === 'fail' || r.status === 'uxsuccess') return paint('F', 'red');
  if (r.status === 'skip') return paint('S', 'blue');
  return r.status[0]!;
}

/** Which of a passing test's attachments `shown` lets through. */
export function passingShown(attachments: readonly Attachment[], shown: PassingAttachments): Attachment[] {
  if (shown === 'none') return [];
  return attachments.filter((a) => a.content.length > 0 && (shown === 'all' || OUTPUT.has(channel(a))));
}

/**
 * Attachments as subunit-trace prints them below a line: a `Captured NAME:` title,
 * underlined, and the text indented four spaces, each followed by a blank line.
 */
export function capturedAttachments(attachments: readonly Attachment[]): string {
  let out = '';
  for (const a of attachments) {
    const title = `Captured ${channel(a)}:`;
    const body = isText(a) ? utf8.decode(a.content).replace(/\s+$/, '') : `(${a.content.length} bytes of ${a.mimeType})`;
    out += `\n${title}\n${'~'.repeat(title.length)}\n${body.replace(/^/gm, '    ')}\n\n`;
  }
  return out;
}

const utf8 = new TextDecoder();

/** The output channels subunit-trace shows of a passing test by default. */
const OUTPUT = new Set(['stdout', 'stderr']);

/** An attachment's channel: its name up to a colon (testtools names a logger's `pythonlogging:''`). */
function channel(a: Attachment): string {
  return a.name.split(':')[0]!;
}

/** The worker a `worker-N` tag names, 0 without one (subunit-trace's find_worker). */
function workerNumber(tags: readonly string[]): number {
  for (const tag of tags) {
    const m = /^worker-(\d+)$/.exec(tag);
    if (m) return Number(m[1]);
  }
  return 0;
}

/** The id without its first `[…]` (tempest's attributes), as subunit-trace's cleanup_test_name shows it. */
function withoutTags(id: string): string {
  const open = id.indexOf('[');
  const close = id.indexOf(']');
  return open > 0 && close > open ? id.slice(0, open) + id.slice(close + 1) : id;
}

/** `0.001234s`, to the microsecond, as subunit-trace prints durations; empty when untimed. */
function traceDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  // A worker's clock may step back during a test: no negative durations.
  const micros = Math.max(0, Math.round(seconds * 1e6));
  return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}s`;
}
