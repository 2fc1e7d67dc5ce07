import { resultJson, runJson, type ResultJson } from '@baton/dashboard';
import type { StoredResult, StoredRun } from '@baton/store';
import type { RunReport } from './run.js';
import { isText, type Attachment } from '@baton/subunit';

// Runs, results and histories take the dashboard API's JSON forms, so that a script reads
// `baton last --json` and `/api/runs/ID` alike.
export { historyJson, isoJson, runJson } from '@baton/dashboard';

const utf8 = new TextDecoder();

/** Writes one JSON document and a newline. */
export function writeJson(out: { write(s: string): unknown }, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** An attachment as JSON: text stays text, anything else is base64. */
export function attachmentJson(a: Attachment): Record<string, unknown> {
  return isText(a)
    ? { name: a.name, mimeType: a.mimeType ?? null, text: utf8.decode(a.content) }
    : { name: a.name, mimeType: a.mimeType ?? null, base64: Buffer.from(a.content).toString('base64') };
}

/** A result as the API shows it, binary attachments in full (base64) rather than by size, and which attempt it was when not the first. */
export function fullResultJson(r: StoredResult): ResultJson & { attempt?: number } {
  return { ...resultJson(r, attachmentJson), ...(r.attempt !== undefined && { attempt: r.attempt }) };
}

/**
 * A run as `last --json` and `history show --json` give it: the run, its failing results,
 * and its tests that were tried again (`--retries`), each result with its failed attempts.
 */
export function runReportJson(run: StoredRun, report: RunReport): object {
  return {
    run: runJson(run),
    failing: report.failing.map(fullResultJson),
    retried: report.retried.map(({ result, failedAttempts }) => ({ ...fullResultJson(result), failedAttempts: failedAttempts.map(fullResultJson) })),
  };
}
