import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RunEvent, RunResult, RunStats } from '@baton/coordinator';
import { SqliteRepository } from '@baton/store';
import { LiveFeed } from './live.js';
import { startDashboard } from './server.js';

const T = 1_700_000_000_000;
const stats = (done: number, running: number): RunStats =>
  ({ total: 3, done, passed: done, failed: 0, skipped: 0, running, elapsedMs: 0, etaMs: 1000 });
const finished = (id: string, worker: string, start: number, stop: number, status: RunResult['status'] = 'success', extra: Partial<RunResult> = {}): RunEvent => ({
  type: 'testFinished',
  at: T + stop,
  result: {
    id, status, worker, seq: 0, startMs: T + start, stopMs: T + stop, duration: (stop - start) / 1000, tags: [],
    attachments: [{ name: 'traceback', mimeType: 'text/plain', content: new TextEncoder().encode(`trace of ${id}`) }], ...extra,
  },
  stats: stats(1, 0),
});

/** A subscriber that collects the events of each message it is sent. */
function collector() {
  const messages: any[][] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  return {
    messages,
    get ended() {
      return ended;
    },
    write(chunk: string) {
      assert.match(chunk, /^data: .*\n\n$/s);
      messages.push(JSON.parse(chunk.slice(6, -2)));
      wake?.();
    },
    end() {
      ended = true;
    },
    /** Resolves once `n` messages have arrived. */
    until(n: number): Promise<void> {
      return new Promise((resolve) => {
        const check = () => (messages.length >= n ? resolve() : (wake = check));
        check();
      });
    },
  };
}

describe('the live feed', () => {
  it('sends a late page the run so far, less the starts of tests that have finished, then the events as they come', async () => {
    const feed = new LiveFeed();
    const events: RunEvent[] = [
      { type: 'runStarted', at: T, run: 7, profile: 'p', total: 3, estimatedWork: 3, unknown: 0, segments: 1 },
      { type: 'workerJoined', at: T, worker: 'h', slots: 2, version: 2 },
      { type: 'testsDispatched', at: T, worker: 'h/0', tests: ['a', 'b'] },
      { type: 'testStarted', at: T + 1, worker: 'h/0', test: 'a', stats: stats(0, 1) },
      { type: 'testStarted', at: T + 1, worker: 'h/1', test: 'c', stats: stats(0, 2) },
      { type: 'output', at: T + 2, worker: 'h/0', name: 'stdout', content: new Uint8Array([65]) },
      finished('a', 'h/0', 1, 500),
      { type: 'processStarted', at: T + 520, worker: 'h/1', cause: 'fresh', askedMs: T + 490, readyMs: T + 496, fromMs: T + 510 },
    ];
    for (const e of events) feed.onEvent(e);
    const page = collector();
    feed.subscribe(page);
    assert.deepEqual(page.messages[0]!.map((e) => e.type), ['runStarted', 'workerJoined', 'testStarted', 'testFinished', 'processStarted']);
    assert.deepEqual(page.messages[0]![4], events.at(-1), 'where a slot continued on a fresh test server, and what its start cost');
    assert.equal(page.messages[0]![2].test, 'c', 'the start of the test still running');
    // A passing result carries no attachments; the page needs none.
    assert.deepEqual(page.messages[0]![3].result.attachments, []);

    feed.onEvent({ type: 'testStarted', at: T + 500, worker: 'h/0', test: 'b', stats: stats(1, 2) });
    feed.onEvent(finished('b', 'h/0', 500, 900, 'fail', { infrastructure: 'timeout' }));
    await page.until(2);
    assert.deepEqual(page.messages[1]!.map((e) => e.type), ['testStarted', 'testFinished'], 'gathered into one message');
    assert.deepEqual(page.messages[1]![1].result.attachments, [{ name: 'traceback', mimeType: 'text/plain', text: 'trace of b' }]);
    assert.equal(page.messages[1]![1].result.infrastructure, 'timeout');
  });

  it('sends the end of the run at once, with the run\'s lower bound, and ends every stream when closed', () => {
    const feed = new LiveFeed();
    const page = collector();
    feed.subscribe(page);
    assert.deepEqual(page.messages, [[]], 'an empty first message: nothing happened yet');
    feed.onEvent(finished('a', 'h/0', 0, 3000));
    feed.onEvent(finished('b', 'h/1', 0, 1000));
    feed.onEvent(finished('c', 'h/1', 1000, 2000));
    const failure = (finished('c', 'h/1', 1000, 2000) as { result: RunResult }).result;
    feed.onEvent({
      type: 'runFinished', at: T + 4000,
      summary: {
        run: 7, profile: 'p', stats: stats(3, 0), counts: { success: 3 }, notRun: ['x', 'y'], cutShort: [], failures: [failure], flaky: [failure], retriedAttempts: 1, slowest: [],
        wallMs: 4000, workers: 2, processes: { fresh: 1, restarts: 0 }, exitCode: 1, infrastructureProblem: undefined,
        lowerBoundMs: 3000, unknown: 0, baseline: undefined,
      },
    });
    // No timer: the results and the end went out together, straight away.
    assert.equal(page.messages.length, 2);
    // (deepEqual above narrowed the type of messages to what it compared with.)
    const end: any = (page.messages as any[][])[1]!.at(-1);
    assert.equal(end.type, 'runFinished');
    assert.deepEqual(end.bound, { seconds: 3, efficiency: 0.75, basis: 'run' });
    assert.equal(end.summary.failures, 1);
    assert.equal(end.summary.notRun, 2);
    assert.equal(end.summary.flaky, 1);
    assert.deepEqual(end.summary.processes, { fresh: 1, restarts: 0 });
    feed.close();
    assert.equal(page.ended, true);
    const late = collector();
    feed.subscribe(late);
    assert.equal(late.ended, true);
    assert.equal(late.messages[0]!.at(-1).type, 'runFinished');
  });

  it('streams as server-sent events at /api/live', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-live-'));
    const repository = SqliteRepository.open(join(dir, 'baton.db'));
    const feed = new LiveFeed();
    const dashboard = await startDashboard({ host: '127.0.0.1', port: 0, repository, live: feed });
    try {
      feed.onEvent({ type: 'runStarted', at: T, run: 1, profile: 'p', total: 1, estimatedWork: 1, unknown: 1, segments: 1 });
      const info = (await (await fetch(new URL('/api/info', dashboard.url))).json()) as { live: boolean };
      assert.equal(info.live, true);
      const res = await fetch(new URL('/api/live', dashboard.url));
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /^text\/event-stream/);
      const reader = res.body!.getReader();
      let text = '';
      const read = async (until: RegExp) => {
        while (!until.test(text)) {
          const { value, done } = await reader.read();
          if (done) break;
          text += new TextDecoder().decode(value);
        }
      };
      await read(/runStarted.*\n\n/s);
      feed.onEvent(finished('a', 'h/0', 0, 10));
      feed.close();
      await read(/testFinished.*\n\n/s);
      const { done } = await reader.read();
      assert.equal(done, true, 'the stream ends with the run');
      assert.equal((await fetch(new URL('/api/live?since=3', dashboard.url))).status, 400);
    } finally {
      await dashboard.close();
      repository.close();
      rmSync(dir, { recursive: true });
    }
  });
});
