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

/** An attempt at a test as the lines about retries name it. */
interface AttemptView {
  readonly status: ResultStatus;
  readonly worker: string | undefined;
}

/** A passing result whose attachments are shown (`--all-attachments`): its heading, then them. */
export function formatPassing(heading: string, attachments: readonly Attachment[]): string {
  return `${heading}\n${formatAttachments(attachments)}`;
}

/**
 * Where each attempt at a test ran and how it ended, from the first, the failed ones that
 * were tried again (`--retries`) then its result: `1 FAIL on local/0, 2 SUCCESS on local/1`.
 */
export function formatAttempts(failedAttempts: readonly AttemptView[], result: AttemptView, paint: Paint): string {
  return [...failedAttempts, result].map((a, i) => `${i + 1} ${statusLabel(a.status, paint)} on ${a.worker ?? 'an unnamed worker'}`).join(', ');
}

/** A test of a run that was tried again: its result, and the failed attempts before it. */
export interface Retried {
  readonly result: StoredResult;
  readonly failedAttempts: readonly StoredResult[];
}

/** What `last` and `history show` report of a run. */
export interface RunReport {
  /** Its failing results, in the order recorded. */
  readonly failing: readonly StoredResult[];
  /** Its tests that were tried again (`--retries`), in the order their results were recorded. */
  readonly retried: readonly Retried[];
}

/**
 * A run's failing results (none read when its counts show no failure) and its tests that
 * were tried again (none read when it kept no attempts). A test whose run was cut short
 * before its retry ran has no result, and is not among them.
 */
export function reportOf(repo: RunRepository, run: StoredRun): RunReport {
  const attempts = repo.attempts(run.id);
  const failed = hasFailures(run.counts);
  if (attempts.length === 0 && !failed) return { failing: [], retried: [] };
  const results = repo.results(run.id);
  const byTest = new Map<string, StoredResult[]>();
  for (const a of attempts) byTest.set(a.testId, [...(byTest.get(a.testId) ?? []), a]);
  return {
    failing: failed ? results.filter((r) => isFailing(r.status)) : [],
    retried: results.flatMap((result) => {
      const failedAttempts = byTest.get(result.testId);
      return failedAttempts === undefined ? [] : [{ result, failedAttempts }];
    }),
  };
}

/**
 * A run as `last` and `history show` print it: its results as `shown` asks (a line or a
 * character each, passing tests' attachments), its failures with their details (and where
 * each attempt ran, for one tried again), the tests that passed only when tried again
 * with the details of their failed attempts, then its line.
 */
export function formatRunReport(repo: RunRepository, run: StoredRun, report: RunReport, state: RunState, shown: Shown): string {
  const everyResult = shown.results !== 'failures' || shown.passing !== 'none';
  const results = everyResult ? repo.results(run.id) : report.failing;
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
  const retried = new Map(report.retried.map((r) => [r.result.testId, r.failedAttempts]));
  for (const r of report.failing) {
    out += formatFailure(r.testId, r, shown.paint);
    const failedAttempts = retried.get(r.testId);
    if (failedAttempts !== undefined) out += `  attempts: ${formatAttempts(failedAttempts, r, shown.paint)}\n`;
  }
  const flaky = report.retried.filter((r) => !isFailing(r.result.status));
  for (const { result, failedAttempts } of flaky) {
    out += `FLAKY: ${result.testId} (passed only when tried again)\n  attempts: ${formatAttempts(failedAttempts, result, shown.paint)}\n`;
    for (const a of failedAttempts) {
      out += `  attempt ${a.attempt ?? 1}, ${statusLabel(a.status, shown.paint)} on ${a.worker ?? 'an unnamed worker'}:\n${failureBody(a.status, a.attachments).replace(/^(?=.)/gm, '  ')}`;
    }
  }
  const note = flaky.length === 0 ? '' : `${plural(flaky.length, 'test')} passed only when tried again (flaky)\n`;
  return out + formatRunLine(run, state, shown.paint) + note;
}

/** A recorded result as a per-test line shows it. */
function traced(r: StoredResult): TracedResult {
  return { id: r.testId, status: r.status, tags: r.tags, attachments: r.attachments, duration: r.start && r.stop ? secondsBetween(r.start, r.stop) : undefined };
}
