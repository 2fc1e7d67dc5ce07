// A run's results reach SQLite in batches (one transaction per few hundred results or
// fraction of a second: what lets a run record thousands a second). Each result is first
// appended here, one write(2) before anyone hears of it, so that a coordinator killed
// between two batches loses nothing it had received: the next open of the repository
// (by any command) stores the journal's tail. A write(2) to a regular file completes
// once begun, whatever signal arrives, so a killed writer leaves no torn line; a line
// torn by a power cut is the journal's end. Once every line is committed the journal is
// emptied, so it never holds more than the batch in flight, and on a full disk SQLite,
// not the journal, runs out of room first.
import { closeSync, ftruncateSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Attachment } from '@baton/subunit';
import { packAttachments, unpackAttachments } from './details.js';
import { diskFull, readOnly, StoreError } from './errors.js';
import { fromMicros, toMicros } from './timing.js';
import type { ResultInput, ResultStatus, RunWriter } from './types.js';
import { thisProcess, writerAlive } from './writer.js';

/**
 * Written first in every journal: whose it is, so that a live writer's journal is left
 * alone, and how many of the run's results were committed before its first line.
 */
interface JournalHeader extends RunWriter {
  readonly batonJournal: 1;
  readonly run: number;
  readonly base: number;
}

/** One result, compact: a run of 100,000 tests writes this 100,000 times. */
interface JournalLine {
  readonly t: string;
  readonly s: ResultStatus;
  readonly a?: number;
  readonly b?: number;
  readonly w?: string;
  readonly g?: readonly string[];
  /** packAttachments' blob, base64. */
  readonly d?: string;
  /** The attempt, when not the first, and 1 when it was retried (`ResultInput.attempt`, `retried`). */
  readonly n?: number;
  readonly r?: 1;
}

const SUFFIX = '.journal';

/** The journal of `run` beside the database `file`. */
export function journalPath(file: string, run: number): string {
  return `${file}.run-${run}${SUFFIX}`;
}

/** The journals beside the database `file`, by run. */
function journalsOf(file: string): Map<number, string> {
  const prefix = `${basename(file)}.run-`;
  const out = new Map<number, string>();
  for (const name of readdirSync(dirname(file))) {
    if (!name.startsWith(prefix) || !name.endsWith(SUFFIX)) continue;
    const run = Number(name.slice(prefix.length, -SUFFIX.length));
    if (Number.isSafeInteger(run)) out.set(run, join(dirname(file), name));
  }
  return out;
}

/** The append side: one per open run of one process. */
export class RunJournal {
  private readonly fd: number;
  readonly path: string;
  private readonly file: string;
  private readonly run: number;
  /** The run's results committed before the journal's first line. */
  private base: number;
  /** Lines written since the header, and how many of them are committed. */
  private lines = 0;
  private committedLines = 0;

  /** `base`: the run's results committed before this journal began (a reopened run's). */
  constructor(file: string, run: number, base = 0) {
    this.file = file;
    this.run = run;
    this.base = base;
    this.path = journalPath(file, run);
    this.fd = fsCall(file, () => openSync(this.path, 'a'));
    this.writeHeader();
  }

  append(r: ResultInput): void {
    const details = packAttachments(r.attachments);
    const line: JournalLine = {
      t: r.testId,
      s: r.status,
      ...(r.start !== undefined && { a: toMicros(r.start) }),
      ...(r.stop !== undefined && { b: toMicros(r.stop) }),
      ...(r.worker !== undefined && { w: r.worker }),
      ...(r.tags !== undefined && r.tags.length > 0 && { g: r.tags }),
      ...(details !== null && { d: details.toString('base64') }),
      ...(r.attempt !== undefined && r.attempt > 1 && { n: r.attempt }),
      ...(r.retried && { r: 1 }),
    };
    this.write(JSON.stringify(line));
    this.lines++;
  }

  /** `count` more of the staged results are committed; once all are, the journal empties. */
  committed(count: number): void {
    this.committedLines += count;
    if (this.committedLines < this.lines) return;
    this.base += this.lines;
    this.lines = this.committedLines = 0;
    // Killed between the two, the journal is empty: everything in it was committed.
    fsCall(this.file, () => ftruncateSync(this.fd, 0));
    this.writeHeader();
  }

  /** Closes and removes the journal: everything in it is in the database. */
  discard(): void {
    closeSync(this.fd);
    unlinkSync(this.path);
  }

  /** Closes the journal and leaves it for the next open to store. */
  close(): void {
    closeSync(this.fd);
  }

  private writeHeader(): void {
    const header: JournalHeader = { batonJournal: 1, run: this.run, ...thisProcess(), base: this.base };
    this.write(JSON.stringify(header));
  }

  private write(line: string): void {
    fsCall(this.file, () => writeSync(this.fd, `${line}\n`));
  }
}

/**
 * A journal found beside the database, its writer gone: the results it holds, in order,
 * the first of which was the run's result number `base` (0-based). None when it was
 * emptied and killed before its new header.
 */
export interface OrphanJournal {
  readonly run: number;
  readonly path: string;
  readonly base: number;
  readonly results: ResultInput[];
}

/**
 * The journals whose writer is gone. A journal of a live process (this one included)
 * belongs to a run in progress; one written on another host is left alone too, since its
 * writer cannot be asked.
 */
export function orphanJournals(file: string): OrphanJournal[] {
  const out: OrphanJournal[] = [];
  for (const [run, path] of journalsOf(file)) {
    const lines = readFileSync(path, 'utf8').split('\n');
    const header = parse<JournalHeader>(lines[0]);
    if (header === undefined && lines.length === 1) {
      out.push({ run, path, base: 0, results: [] });
      continue;
    }
    if (header?.batonJournal !== 1 || header.run !== run) continue;
    if (writerAlive(header) !== false) continue;
    const results: ResultInput[] = [];
    for (const text of lines.slice(1)) {
      const line = parse<JournalLine>(text);
      if (line === undefined) break;
      results.push(resultOf(line));
    }
    out.push({ run, path, base: header.base, results });
  }
  return out;
}

function resultOf(line: JournalLine): ResultInput {
  const attachments: Attachment[] = line.d === undefined ? [] : unpackAttachments(Buffer.from(line.d, 'base64'));
  return {
    testId: line.t,
    status: line.s,
    start: line.a === undefined ? undefined : fromMicros(line.a),
    stop: line.b === undefined ? undefined : fromMicros(line.b),
    worker: line.w,
    ...(line.g !== undefined && { tags: line.g }),
    ...(attachments.length > 0 && { attachments }),
    ...(line.n !== undefined && { attempt: line.n }),
    ...(line.r === 1 && { retried: true }),
  };
}

function parse<T>(text: string | undefined): T | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Runs a journal write, turning a full disk or a read-only directory into its StoreError. */
function fsCall<T>(file: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const detail = (error as Error).message;
    if (code === 'ENOSPC' || code === 'EDQUOT') throw diskFull(file, detail, { cause: error });
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') throw readOnly(file, detail, { cause: error });
    if (error instanceof StoreError) throw error;
    throw new StoreError('BATON_STORE_UNUSABLE', `cannot write the run journal beside ${file}: ${detail}`, { cause: error });
  }
}
