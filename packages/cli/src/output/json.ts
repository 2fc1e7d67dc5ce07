import { timestampToIso, type Attachment, type Timestamp } from '@baton/subunit';
import type { RunSummary, StoredResult } from '@baton/store';
import type { RunState } from '../run-state.js';
import { isText } from './format.js';

const utf8 = new TextDecoder();

/** Writes one JSON document and a newline. */
export function writeJson(out: { write(s: string): unknown }, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** An ISO 8601 time with microseconds, or null. */
export function isoJson(t: Timestamp | undefined): string | null {
  return t === undefined ? null : timestampToIso(t);
}

/** A run as the JSON outputs show it; `state` says whether it finished, still runs, or was cut short (see RunState). */
export function runJson(run: RunSummary, state: RunState): Record<string, unknown> {
  return {
    id: run.id,
    profile: run.profile,
    start: isoJson(run.start),
    stop: isoJson(run.stop),
    state,
    complete: run.complete,
    partial: run.partial,
    exitStatus: run.exitStatus ?? null,
    workers: run.workers ?? null,
    source: run.source ?? null,
    counts: run.counts,
  };
}

/** An attachment as JSON: text stays text, anything else is base64. */
export function attachmentJson(a: Attachment): Record<string, unknown> {
  return isText(a)
    ? { name: a.name, mimeType: a.mimeType ?? null, text: utf8.decode(a.content) }
    : { name: a.name, mimeType: a.mimeType ?? null, base64: Buffer.from(a.content).toString('base64') };
}

/** A result as JSON. */
export function resultJson(r: StoredResult): Record<string, unknown> {
  return {
    testId: r.testId,
    status: r.status,
    run: r.run,
    start: isoJson(r.start),
    stop: isoJson(r.stop),
    worker: r.worker ?? null,
    seq: r.seq,
    tags: r.tags,
    attachments: r.attachments.map(attachmentJson),
  };
}
