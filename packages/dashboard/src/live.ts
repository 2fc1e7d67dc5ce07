// A run watched as it happens: the dashboard is one more reporter of the run's events
// (like progress, JUnit and JSON), which it hands to the pages that watch it as
// server-sent events. It never reads the coordinator's state.
import type { Reporter, RunEvent, RunResult, RunSummary } from '@baton/coordinator';
import { isFailing } from '@baton/subunit';
import { attachmentText, type AttachmentJson } from './json.js';
import { recordedBound, type RunBound } from './timeline.js';

/**
 * How long events gather before they go out together: a run finishing a thousand tests a
 * second sends ten messages a second rather than a thousand, and a page redraws once per
 * message at most.
 */
export const LIVE_FLUSH_MS = 100;
/** Events per message when a page that just connected is sent what happened before. */
const REPLAY_CHUNK = 5000;

/** A result as the live stream carries it: attachments only for failures (their tracebacks). */
export interface LiveResult {
  readonly id: string;
  readonly status: RunResult['status'];
  readonly worker: string;
  readonly seq: number;
  readonly startMs?: number;
  readonly stopMs?: number;
  readonly duration?: number;
  readonly infrastructure?: RunResult['infrastructure'];
  readonly attachments: readonly AttachmentJson[];
}

function liveResult(r: RunResult): LiveResult {
  return {
    id: r.id,
    status: r.status,
    worker: r.worker,
    seq: r.seq,
    ...(r.startMs === undefined ? {} : { startMs: r.startMs }),
    ...(r.stopMs === undefined ? {} : { stopMs: r.stopMs }),
    ...(r.duration === undefined ? {} : { duration: r.duration }),
    ...(r.infrastructure === undefined ? {} : { infrastructure: r.infrastructure }),
    attachments: isFailing(r.status) ? r.attachments.map(attachmentText) : [],
  };
}

/**
 * An event as the live stream carries it, or undefined for those a page does not draw
 * (tests dispatched and reclaimed, stray output): JSON-ready, attachments as text.
 */
export function liveEvent(event: RunEvent): object | undefined {
  switch (event.type) {
    case 'testsDispatched':
    case 'testsReclaimed':
    case 'output':
      return undefined;
    case 'testFinished':
      return { type: event.type, at: event.at, result: liveResult(event.result), stats: event.stats };
    case 'testRetried':
      return { type: event.type, at: event.at, result: liveResult(event.result), retriesLeft: event.retriesLeft, stats: event.stats };
    case 'runFinished': {
      // Failures and flaky tests went out one by one as they happened; the summary names how many.
      const { failures, notRun, flaky, ...summary } = event.summary;
      return { type: event.type, at: event.at, summary: { ...summary, failures: failures.length, notRun: notRun.length, flaky: flaky.length } };
    }
    default:
      return event;
  }
}

/** Where the stream goes: an HTTP response, in the server. */
export interface LiveSubscriber {
  write(chunk: string): unknown;
  end(): unknown;
}

const message = (events: readonly string[]): string => `data: [${events.join(',')}]\n\n`;

/**
 * The reporter behind `/api/live`. It keeps what a page that connects late needs to draw
 * the run so far (every event, less the starts of tests that have finished since: a
 * result carries its start) and sends it first, then the events as they come.
 */
export class LiveFeed implements Reporter {
  private readonly backlog: (string | undefined)[] = [];
  /** Where each running test's start sits in the backlog. */
  private readonly starts = new Map<string, number>();
  private readonly subscribers = new Set<LiveSubscriber>();
  private pending: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  onEvent(event: RunEvent): void {
    let live = liveEvent(event);
    if (live === undefined) return;
    // The page can draw a finished run without asking the server again: it may be gone.
    if (event.type === 'runFinished') live = { ...live, bound: summaryBound(event.summary) };
    const text = JSON.stringify(live);
    if (event.type === 'testStarted') this.starts.set(event.test, this.backlog.length);
    if (event.type === 'testFinished') {
      const at = this.starts.get(event.result.id);
      if (at !== undefined) {
        this.backlog[at] = undefined;
        this.starts.delete(event.result.id);
      }
    }
    this.backlog.push(text);
    this.pending.push(text);
    if (event.type === 'runFinished') this.flush();
    else this.timer ??= setTimeout(() => this.flush(), LIVE_FLUSH_MS);
  }

  /** Sends `to` everything so far, then every event as it comes, until the returned function is called. */
  subscribe(to: LiveSubscriber): () => void {
    // What is pending goes to the others now: the backlog holds it already.
    this.flush();
    const soFar = this.backlog.filter((e): e is string => e !== undefined);
    // An empty message tells a page that connected before the run began that it has everything.
    if (soFar.length === 0) to.write(message([]));
    for (let i = 0; i < soFar.length; i += REPLAY_CHUNK) to.write(message(soFar.slice(i, i + REPLAY_CHUNK)));
    if (this.closed) {
      to.end();
      return () => undefined;
    }
    this.subscribers.add(to);
    return () => this.subscribers.delete(to);
  }

  /** Sends what is pending and ends every stream: the run is over and reported. */
  close(): void {
    this.flush();
    this.closed = true;
    for (const s of this.subscribers) s.end();
    this.subscribers.clear();
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const text = message(this.pending);
    this.pending = [];
    for (const s of this.subscribers) s.write(text);
  }
}

/** The run's own bound (the coordinator's, which knows its plan and groups), as the page shows bounds; null when no test was timed. */
function summaryBound({ lowerBoundMs, wallMs }: RunSummary): RunBound | null {
  return lowerBoundMs === undefined ? null : recordedBound(lowerBoundMs / 1000, wallMs);
}
