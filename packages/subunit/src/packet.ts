import type { TestStatus } from './constants.js';

/**
 * A subunit v2 timestamp: whole seconds since the Unix epoch and nanoseconds within the
 * second, kept apart so that values round-trip exactly (a double would lose nanoseconds).
 */
export interface Timestamp {
  readonly seconds: number;
  readonly nanos: number;
}

/** One subunit v2 packet. Absent optional fields are absent on the wire too. */
export interface Packet {
  /** The test the packet is about; absent for output that belongs to no test. */
  testId?: string;
  /** Absent means "no status" (code 0), as for a packet that only carries a file chunk. */
  status?: TestStatus;
  timestamp?: Timestamp;
  /** Tags in wire order; an empty array is written as no tags, like python-subunit. */
  tags?: readonly string[];
  mimeType?: string;
  /** A file attachment chunk: its name and bytes (a file may span many packets). */
  file?: { readonly name: string; readonly content: Uint8Array };
  /** The last chunk of `file`. */
  eof?: boolean;
  /** Whether the test can be run (python-subunit writes true unless told otherwise). */
  runnable?: boolean;
  /** Which backend the packet came through (e.g. "0", "1/3"). */
  routeCode?: string;
}

/** A timestamp for a number of milliseconds since the epoch (as `Date.now()` gives). */
export function timestampFromMillis(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** Milliseconds since the epoch, with sub-millisecond precision as a fraction. */
export function timestampToMillis(t: Timestamp): number {
  return t.seconds * 1000 + t.nanos / 1e6;
}

/** `b - a` in seconds, exact to the nanosecond for any realistic span. */
export function secondsBetween(a: Timestamp, b: Timestamp): number {
  return b.seconds - a.seconds + (b.nanos - a.nanos) / 1e9;
}

/** An ISO 8601 rendering with microseconds, as python-subunit's tools print them. */
export function timestampToIso(t: Timestamp): string {
  const iso = new Date(t.seconds * 1000).toISOString().slice(0, 19);
  return `${iso}.${String(Math.floor(t.nanos / 1000)).padStart(6, '0')}Z`;
}
