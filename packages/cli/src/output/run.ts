import { isFailing, secondsBetween } from '@baton/subunit';
import { type ResultStatus, type StoredRun, type StoredResult } from '@baton/store';
import { formatAttachments, formatCounts, formatSeconds, formatTime, plural } from './format.js';

const LABEL: Readonly<Record<string, string>> = { fail: 'FAIL', uxsuccess: 'UNEXPECTED SUCCESS', inprogress: 'UNFINISHED' };

/** A failing result with its details, as `last` and `failing` print it. */
export function formatFailure(testId: string, result: StoredResult | undefined): string {
  const label = result === undefined ? 'FAIL' : LABEL[result.status] ?? result.status.toUpperCase();
  return `${label}: ${testId}\n${result ? formatAttachments(result.attachments) : ''}`;
}

/** One line about a run: when, how long, whether it finished, what it counted. */
export function formatRunLine(run: StoredRun): string {
  const total = Object.values(run.counts).reduce((n, c) => n + (c ?? 0), 0);
  const took = run.stop === undefined ? '' : `, took ${formatSeconds(secondsBetween(run.start, run.stop))}s`;
  const state = !run.complete ? 'incomplete: its writer stopped before finishing' : run.partial ? 'partial: its input was damaged' : 'complete';
  return `Run ${run.id} (${run.profile}) started ${formatTime(run.start)}${took}, ${state}; ${plural(total, 'test')}: ${formatCounts(run.counts)}\n`;
}

/** Whether counts per status include a failing result. */
export function hasFailures(counts: Readonly<Partial<Record<ResultStatus, number>>>): boolean {
  return Object.entries(counts).some(([status, n]) => n !== undefined && n > 0 && isFailing(status as ResultStatus));
}
