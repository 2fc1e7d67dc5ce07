// How runs, results and attachments look in the API's JSON and in the live stream (and in
// the CLI's --json outputs, which share these forms): times as ISO 8601 strings, durations
// in seconds, text attachments as text (binary ones by size only: the page shows
// tracebacks and output, never bytes; the CLI passes its own form with the bytes).
import { isText, secondsBetween, timestampToIso, type Attachment, type Timestamp } from '@baton/subunit';
import { runState, type HistoryEntry, type RunState, type StoredRun, type StoredResult } from '@baton/store';

const utf8 = new TextDecoder();

/** An attachment as the API shows it. */
export type AttachmentJson =
  | { readonly name: string; readonly mimeType: string | null; readonly text: string }
  | { readonly name: string; readonly mimeType: string | null; readonly bytes: number };

export function attachmentText(a: Attachment): AttachmentJson {
  return isText(a)
    ? { name: a.name, mimeType: a.mimeType ?? null, text: utf8.decode(a.content) }
    : { name: a.name, mimeType: a.mimeType ?? null, bytes: a.content.length };
}

export const isoJson = (t: Timestamp | undefined): string | null => (t === undefined ? null : timestampToIso(t));

/** Seconds from start to stop, never negative (workers' clocks may disagree); null unless both are known. */
export function durationJson(start: Timestamp | undefined, stop: Timestamp | undefined): number | null {
  return start === undefined || stop === undefined ? null : Math.max(0, secondsBetween(start, stop));
}

export interface RunJson {
  readonly id: number;
  readonly profile: string;
  readonly start: string;
  readonly stop: string | null;
  /** Seconds from start to stop; null while the run is being recorded. */
  readonly wallSeconds: number | null;
  /** Whether it finished, still runs, or was cut short (its writer gone): see the store's runState. */
  readonly state: RunState;
  readonly complete: boolean;
  readonly partial: boolean;
  readonly exitStatus: number | null;
  readonly workers: number | null;
  readonly source: string | null;
  readonly counts: StoredRun['counts'];
}

export function runJson(run: StoredRun): RunJson {
  return {
    id: run.id,
    profile: run.profile,
    start: timestampToIso(run.start),
    stop: isoJson(run.stop),
    wallSeconds: durationJson(run.start, run.stop),
    state: runState(run),
    complete: run.complete,
    partial: run.partial,
    exitStatus: run.exitStatus ?? null,
    workers: run.workers ?? null,
    source: run.source ?? null,
    counts: run.counts,
  };
}

export interface ResultJson {
  readonly testId: string;
  readonly status: StoredResult['status'];
  readonly run: number;
  readonly start: string | null;
  readonly stop: string | null;
  readonly duration: number | null;
  readonly worker: string | null;
  readonly seq: number;
  readonly tags: readonly string[];
  readonly attachments: readonly object[];
}

/** A result; `attachment` gives each attachment's form (the API's: text, or a size). */
export function resultJson(r: StoredResult, attachment: (a: Attachment) => object = attachmentText): ResultJson {
  return {
    testId: r.testId,
    status: r.status,
    run: r.run,
    start: isoJson(r.start),
    stop: isoJson(r.stop),
    duration: durationJson(r.start, r.stop),
    worker: r.worker ?? null,
    seq: r.seq,
    tags: r.tags,
    attachments: r.attachments.map(attachment),
  };
}

/** One line of a test's history. */
export function historyJson(e: HistoryEntry): { run: number; status: HistoryEntry['status']; start: string | null; duration: number | null; worker: string | null; failedAttempts: number } {
  return { run: e.run, status: e.status, start: isoJson(e.start), duration: e.duration ?? null, worker: e.worker ?? null, failedAttempts: e.failedAttempts };
}
