import { isText, timestampToIso, type Attachment, type Timestamp } from '@baton/subunit';
import type { ResultStatus } from '@baton/store';
import { plain, type Paint } from './color.js';
import { statusColour } from './trace.js';

/** Seconds with a precision that suits their size. */
export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  return seconds >= 100 ? seconds.toFixed(0) : seconds >= 1 ? seconds.toFixed(2) : seconds.toFixed(3);
}

/** A timestamp to the second, UTC. */
export function formatTime(t: Timestamp | undefined): string {
  return t === undefined ? '-' : `${timestampToIso(t).slice(0, 19).replace('T', ' ')}Z`;
}

/**
 * 12,345: an integer with its thousands grouped, as `toLocaleString('en-US')` writes it
 * without loading ICU's number formatting, which costs the first call a few hundredths of
 * a second (at the start of every run).
 */
export function grouped(n: number): string {
  return Number.isSafeInteger(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : String(n);
}

/** "3 runs", "1 run". */
export function plural(n: number, word: string): string {
  return `${grouped(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** Orders names with numbers in them by value (`local/2` before `local/10`), without an Intl.Collator. */
export function compareNatural(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    const numeric = /^\d/.test(x) && /^\d/.test(y);
    if (numeric && Number(x) !== Number(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** A count per status, in a fixed order: "118 passed, 2 failed, 3 skipped"; each in its status's colour by `paint`. */
export function formatCounts(counts: Readonly<Partial<Record<ResultStatus, number>>>, paint: Paint = plain): string {
  const parts: string[] = [];
  for (const [status, word] of COUNTED) {
    const n = counts[status];
    if (!n) continue;
    const text = status === 'xfail' ? plural(n, word) : `${grouped(n)} ${word}`;
    const colour = statusColour(status);
    parts.push(colour === undefined ? text : paint(text, colour));
  }
  return parts.length === 0 ? 'no results' : parts.join(', ');
}

/** The statuses `formatCounts` counts, in its order, with their words. */
const COUNTED: readonly (readonly [ResultStatus, string])[] = [
  ['success', 'passed'],
  ['fail', 'failed'],
  ['uxsuccess', 'unexpectedly passed'],
  ['inprogress', 'unfinished'],
  ['skip', 'skipped'],
  ['xfail', 'expected failure'],
];

const utf8 = new TextDecoder();

/** Attachments as an indented block, for the human-readable listings. */
export function formatAttachments(attachments: readonly Attachment[]): string {
  let out = '';
  for (const a of attachments) {
    if (a.content.length === 0) continue;
    const body = isText(a) ? utf8.decode(a.content).replace(/\s+$/, '') : `(${a.content.length} bytes of ${a.mimeType})`;
    out += `  ${a.name}:\n${body.replace(/^/gm, '    ')}\n`;
  }
  return out;
}
