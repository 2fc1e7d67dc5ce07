import { FINAL_STATUSES, type TestStatus } from './constants.js';
import { secondsBetween, type Packet, type Timestamp } from './packet.js';

/** A file attached to a test (traceback, captured stdout, a reason…), its chunks joined. */
export interface Attachment {
  readonly name: string;
  readonly mimeType: string | undefined;
  readonly content: Uint8Array;
}

const TEXT = /^text\/|[/+](json|xml)\b|^application\/x-(sh|python)/;

/** Whether an attachment reads as text (tracebacks, captured output, reasons). */
export function isText(a: Attachment): boolean {
  return a.mimeType === undefined || a.mimeType === '' || TEXT.test(a.mimeType);
}

/**
 * Everything the stream said about one execution of a test. `status` is the final
 * status, or `inprogress` / undefined for a test the stream left unfinished.
 */
export interface TestResult {
  readonly id: string;
  readonly status: TestStatus | undefined;
  /** First and last timestamps seen for the test (the inprogress and the final packet). */
  readonly start: Timestamp | undefined;
  readonly stop: Timestamp | undefined;
  readonly tags: readonly string[];
  readonly routeCode: string | undefined;
  readonly attachments: readonly Attachment[];
}

/** An attachment that belongs to no test (output printed between tests, say). */
export interface StrayOutput {
  readonly attachment: Attachment;
  readonly routeCode: string | undefined;
  readonly timestamp: Timestamp | undefined;
}

export interface AggregatorHandlers {
  /** A test reached a final status (or the stream ended with it unfinished). */
  result(result: TestResult): void;
  /** A test announced with `exists` (a listing), outside any execution of it. */
  listed?(id: string, packet: Packet): void;
  /** A file chunk sent for no test. */
  output?(output: StrayOutput): void;
}

interface Pending {
  id: string;
  status: TestStatus | undefined;
  start: Timestamp | undefined;
  stop: Timestamp | undefined;
  tags: readonly string[];
  routeCode: string | undefined;
  files: Map<string, { mimeType: string | undefined; chunks: Uint8Array[] }>;
}

/** Duration of a result in seconds, when both ends are known. */
export function durationOf(result: TestResult): number | undefined {
  return result.start && result.stop ? secondsBetween(result.start, result.stop) : undefined;
}

/**
 * Folds packets into per-test results the way testtools' `StreamToDict` does, which is
 * what python-subunit's tools report: a test is keyed by (test id, route code), its
 * start and stop are the first and last timestamps seen for it, the latest non-empty
 * tags win, file chunks of one name are joined, and a final status completes it.
 */
export class ResultAggregator {
  private readonly handlers: AggregatorHandlers;
  private readonly pending = new Map<string, Pending>();

  constructor(handlers: AggregatorHandlers) {
    this.handlers = handlers;
  }

  /** Tests started but not finished so far. */
  get inProgress(): number {
    return this.pending.size;
  }

  packet(packet: Packet): void {
    const id = packet.testId;
    if (id === undefined) {
      if (packet.file) {
        this.handlers.output?.({
          attachment: { name: packet.file.name, mimeType: packet.mimeType, content: packet.file.content },
          routeCode: packet.routeCode,
          timestamp: packet.timestamp,
        });
      }
      return;
    }
    const key = packet.routeCode === undefined ? id : `${id}\u0000${packet.routeCode}`;
    let test = this.pending.get(key);
    if (test === undefined) {
      if (packet.status === 'exists' && packet.file === undefined) {
        this.handlers.listed?.(id, packet);
        return;
      }
      test = {
        id,
        status: undefined,
        start: packet.timestamp,
        stop: packet.timestamp,
        tags: [],
        routeCode: packet.routeCode,
        files: new Map(),
      };
      this.pending.set(key, test);
    }
    if (packet.timestamp) {
      test.start ??= packet.timestamp;
      test.stop = packet.timestamp;
    }
    if (packet.status !== undefined) test.status = packet.status;
    if (packet.tags !== undefined && packet.tags.length > 0) test.tags = packet.tags;
    if (packet.file) {
      let file = test.files.get(packet.file.name);
      if (file === undefined) {
        file = { mimeType: packet.mimeType, chunks: [] };
        test.files.set(packet.file.name, file);
      }
      file.mimeType ??= packet.mimeType;
      if (packet.file.content.length > 0) file.chunks.push(packet.file.content);
    }
    if (packet.status !== undefined && FINAL_STATUSES.has(packet.status)) {
      this.pending.delete(key);
      this.handlers.result(complete(test));
    }
  }

  /** The stream ended: reports every unfinished test, as StreamToDict's stopTestRun does. */
  end(): void {
    const unfinished = [...this.pending.values()];
    this.pending.clear();
    for (const test of unfinished) this.handlers.result(complete(test));
  }
}

function complete(test: Pending): TestResult {
  const attachments: Attachment[] = [];
  for (const [name, file] of test.files) {
    attachments.push({ name, mimeType: file.mimeType, content: joinChunks(file.chunks) });
  }
  return {
    id: test.id,
    status: test.status,
    start: test.start,
    stop: test.stop,
    tags: test.tags,
    routeCode: test.routeCode,
    attachments,
  };
}

function joinChunks(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let size = 0;
  for (const c of chunks) size += c.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Aggregates a whole packet list at once. */
export function aggregate(packets: Iterable<Packet>): { results: TestResult[]; listed: string[]; output: StrayOutput[] } {
  const results: TestResult[] = [];
  const listed: string[] = [];
  const output: StrayOutput[] = [];
  const agg = new ResultAggregator({
    result: (r) => results.push(r),
    listed: (id) => listed.push(id),
    output: (o) => output.push(o),
  });
  for (const p of packets) agg.packet(p);
  agg.end();
  return { results, listed, output };
}
