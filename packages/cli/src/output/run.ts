import { isFailing, secondsBetween, type Attachment } from '@baton/subunit';
import { type ResultStatus, type RunRepository, type RunState, type StoredRun, type StoredResult } from '@baton/store';
import { ExitCode } from '../errors.js';
import { formatAttachments, formatCounts, formatSeconds, formatTime, plural } from './format.js';

const LABEL: Readonly<Record<string, string>> = { fail: 'FAIL', uxsuccess: 'UNEXPECTED SUCCESS', inprogress: 'UNFINISHED' };

/** How a failing status is headed wherever a failure is printed (`run`, `last`, `failing`). */
export function statusLabel(status: ResultStatus): string {
  return LABEL[status] ?? status.toUpperCase();
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
export function formatFailure(testId: string, result: StoredResult | undefined): string {
  if (result === undefined) return `FAIL: ${testId}\n`;
  return `${statusLabel(result.status)}: ${testId}\n${failureBody(result.status, result.attachments)}`;
}

/** One line about a run: when, how long, how it ended or whether it still runs, what it counted. */
export function formatRunLine(run: StoredRun, state: RunState): string {
  const total = Object.values(run.counts).reduce((n, c) => n + (c ?? 0), 0);
  const took = run.stop === undefined ? '' : `, took ${formatSeconds(secondsBetween(run.start, run.stop))}s`;
  const so = state === 'finished' ? '' : ' so far';
  return `Run ${run.id} (${run.profile}) started ${formatTime(run.start)}${took}, ${describeState(run, state)}; ${plural(total, 'test')}${so}: ${formatCounts(run.counts)}\n`;
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

/** A run as `last` and `history show` print it: its failures with their details, then its line. */
export function formatRunReport(run: StoredRun, failing: readonly StoredResult[], state: RunState): string {
  return failing.map((r) => formatFailure(r.testId, r)).join('') + formatRunLine(run, state);
}
