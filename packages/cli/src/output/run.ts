import { isFailing, secondsBetween, type Attachment } from '@baton/subunit';
import { type ResultStatus, type RunRepository, type RunState, type StoredRun, type StoredResult } from '@baton/store';
import { ExitCode } from '../errors.js';
import type { Paint } from './color.js';
import { formatAttachments, formatCounts, formatSeconds, formatTime, plural } from './format.js';
import type { Shown } from './options.js';
import { capturedAttachments, passes, passingShown, statusColour, traceChar, traceLine, type TracedResult } from './trace.js';

const LABEL: Readonly<Record<string, string>> = { fail: 'FAIL', uxsuccess: 'UNEXPECTED SUCCESS', inprogress: 'UNFINISHED' };

/** How a status is headed wherever a result is printed with its details (`run`, `last`, `failing`), in its colour. */
export function statusLabel(status: ResultStatus, paint: Paint): string {
  const label = LABEL[status] ?? status.toUpperCase();
  const colour = statusColour(status);
  return colour === undefined ? label : paint(label, colour);
}

/** What a failure says below its heading: its details, or, with none, what its status means. */
export function failureBody(status: ResultStatus, attachments: readonly Attachment[]): string {
  const details = formatAttachments(attachments);
  if (details !== '') return details;
  if (status === 'uxsuccess') return 'The test was expected to fail (unittest.expectedFailure), and it passed.\n';
  if (status === 'inprogress') return 'The test started and never reported a result.\n';
  return '';
}

/** A failing result with its details, as `last` and `failing` print it. */
export function formatFailure(testId: string, result: StoredResult | undefined, paint: Paint): string {
  if (result === undefined) return `${statusLabel('fail', paint)}: ${testId}\n`;
  return `${statusLabel(result.status, paint)}: ${testId}\n${failureBody(result.status, result.attachments)}`;
}

/** One line about a run: when, how long, how it ended or whether it still runs, what it counted. */
export function formatRunLine(run: StoredRun, state: RunState, paint: Paint): string {
  const total = Object.values(run.counts).reduce((n, c) => n + (c ?? 0), 0);
  const took = run.stop === undefined ? '' : `, took ${formatSeconds(secondsBetween(run.start, run.stop))}s`;
  const so = state === 'finished' ? '' : ' so far';
  return `Run ${run.id} (${run.profile}) started ${formatTime(run.start)}${took}, ${describeState(run, state)}; ${plural(total, 'test')}${so}: ${formatCounts(run.counts, paint)}\n`;
}

/** How a run stands, in words: `complete`, `in progress (process 41 on this machine)`, … */
export function describeState(run: StoredRun, state: RunState): string {
  const writer = run.writer;
  switch (state) {
    case 'running':
      return `in progress (process ${writer!.pid} on this machine)`;
    case 'elsewhere':
      return `not finished: recorded by process ${writer!.pid} on ${writer!.host}, which may still be running it`;
    case 'stopped':
      return `cut short: ${writer === undefined ? 'the process recording it' : `process ${writer.pid}, which recorded it,`} stopped before finishing`;
    case 'finished':
      if (run.exitStatus === ExitCode.INFRA) return 'ended by an infrastructure problem (exit status 3: interrupted, or workers lost)';
      return run.partial ? 'partial: its input was damaged' : 'complete';
  }
}

/** Whether counts per status include a failing result. */
export function hasFailures(counts: Readonly<Partial<Record<ResultStatus, number>>>): boolean {
  return Object.entries(counts).some(([status, n]) => n !== undefined && n > 0 && isFailing(status as ResultStatus));
}

/** A run's failing results, in the order recorded (none read when its counts show no failure). */
export function failingOf(repo: RunRepository, run: StoredRun): StoredResult[] {
  return hasFailures(run.counts) ? repo.results(run.id).filter((r) => isFailing(r.status)) : [];
}

/** A passing result whose attachments are shown (`--all-attachments`): its heading, then them. */
export function formatPassing(heading: string, attachments: readonly Attachment[]): string {
  return `${heading}\n${formatAttachments(attachments)}`;
}

/**
 * A run as `last` and `history show` print it: its results as `shown` asks (a line or a
 * character each, passing tests' attachments), its failures with their details, then its line.
 */
export function formatRunReport(repo: RunRepository, run: StoredRun, state: RunState, shown: Shown): string {
  const everyResult = shown.results !== 'failures' || shown.passing !== 'none';
  const results = everyResult ? repo.results(run.id) : failingOf(repo, run);
  let out = '';
  if (shown.results === 'lines') {
    for (const r of results) out += `${traceLine(traced(r), shown.paint)}\n${passes(r.status) ? capturedAttachments(passingShown(r.attachments, shown.passing)) : ''}`;
  } else {
    if (shown.results === 'chars' && results.length > 0) out += `${results.map((r) => traceChar(traced(r), shown.paint)).join('')}\n`;
    for (const r of results) {
      const attachments = passes(r.status) ? passingShown(r.attachments, shown.passing) : [];
      if (attachments.length > 0) out += formatPassing(`${statusLabel(r.status, shown.paint)}: ${r.testId}`, attachments);
    }
  }
  return out + results.filter((r) => isFailing(r.status)).map((r) => formatFailure(r.testId, r, shown.paint)).join('') + formatRunLine(run, state, shown.paint);
}

/** A recorded result as a per-test line shows it. */
function traced(r: StoredResult): TracedResult {
  return { id: r.testId, status: r.status, tags: r.tags, attachments: r.attachments, duration: r.start && r.stop ? secondsBetween(r.start, r.stop) : undefined };
}
