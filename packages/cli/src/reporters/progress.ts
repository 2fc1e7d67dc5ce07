import {
  type Reporter,
  type RunFinished,
  type RunResult,
  type RunStarted,
  type RunStats,
  type RunSummary,
  type TestFinished,
  type TestRetried,
  type TestStarted,
  type TestsDispatched,
  type TestsReclaimed,
  type WorkerGone,
  type WorkerJoined,
  type WorkerRefused,
} from '@baton/coordinator';
import { systemClock, type Clock } from '@baton/protocol';
import { isFailing } from '@baton/subunit';
import { efficiency, speedup } from '../output/bound.js';
import type { OutputSink } from '../context.js';
import { plain, type Paint } from '../output/color.js';
import { compareNatural, formatCounts, formatSeconds, plural } from '../output/format.js';
import type { Shown } from '../output/options.js';
import type { LiveDisplay } from '../output/run-log.js';
import { failureBody, formatAttempts, formatPassing, statusLabel } from '../output/run.js';
import { capturedAttachments, passes, passingShown, traceChar, traceLine } from '../output/trace.js';

/** How often the live display is redrawn: elapsed times and the ETA move even while no test ends. */
export const REDRAW_INTERVAL_MS = 100;
/** Plain mode (not a terminal, e.g. a CI log) prints a progress line this often. */
export const PLAIN_INTERVAL_MS = 10_000;

export interface ProgressOptions {
  /** Where to write; a terminal gets the live display. */
  readonly out: OutputSink;
  /** Time, and the timer that redraws. @default systemClock */
  readonly clock?: Clock;
  /** How results show as they end, and in what colours (see shownFor). @default failures only, without colour */
  readonly shown?: Shown;
  /** Whether the summary lists the slowest tests (`--no-slowest`). @default true */
  readonly slowest?: boolean;
}

const FAILURES_ONLY: Shown = { results: 'failures', passing: 'none', paint: plain };

/** A worker slot as the display shows it. */
interface SlotView {
  /** The test it runs, if it reported one started and not finished. */
  test: string | undefined;
  /** Since when it runs `test`, or is between tests, or idle. */
  since: number;
  /** Tests sent to it without a result yet: while it holds any, it is busy (a fixture, a fresh process). */
  readonly held: Set<string>;
}

/**
 * What a person watching the run sees. On a terminal: a live block (done/total, failures
 * so far, elapsed time, ETA, one line per worker slot with what it is doing) redrawn in
 * place every REDRAW_INTERVAL_MS, with each failure and each log line of the run
 * (`above`) printed above it as it happens. Elsewhere (CI logs): a progress line every
 * PLAIN_INTERVAL_MS and one per failure. With `--verbose`, a subunit-trace line per test
 * instead of the failures' (above the live block on a terminal, and no progress lines
 * elsewhere); with `--abbreviate`, a character per test and no live block. At the end:
 * every failure with its details, the slowest tests, the summary, and how close the run
 * came to the best possible.
 */
export class ProgressReporter implements Reporter, LiveDisplay {
  readonly name = 'progress';
  private readonly out: ProgressOptions['out'];
  private readonly clock: Clock;
  private readonly live: boolean;
  private readonly shown: Shown;
  private readonly slowest: boolean;
  /** Characters of `--abbreviate` are on a line not ended yet. */
  private charsOpen = false;
  private readonly slots = new Map<string, SlotView>();
  private startedAt = 0;
  private stats: RunStats | undefined;
  /** When `stats` was current: the ETA counts down from there. */
  private statsAt = 0;
  private drawnLines = 0;
  private timer: { cancel(): void } | undefined;
  /** What failed in a redraw of the timer's, where no guard is: thrown at the next event, for the coordinator's guard to report. */
  private failure: unknown;

  constructor(options: ProgressOptions) {
    this.out = options.out;
    this.clock = options.clock ?? systemClock;
    this.shown = options.shown ?? FAILURES_ONLY;
    this.slowest = options.slowest ?? true;
    // Characters run along one line, which a block redrawn below it cannot leave alone.
    this.live = options.out.isTTY === true && this.shown.results !== 'chars';
  }

  onRunStarted(event: RunStarted): void {
    this.startedAt = event.at;
    const what =
      event.estimatedWork === undefined
        ? `${plural(event.total, 'test')} with no history yet`
        : `${plural(event.total, 'test')}, about ${formatSeconds(event.estimatedWork)} s of work${event.unknown > 0 ? `, ${plural(event.unknown, 'test')} with no history` : ''}`;
    this.line(`baton: run ${event.run} (${event.profile}): ${what}`);
    // Where every test shows as it ends, progress lines would only interrupt them.
    if (!this.live && this.shown.results !== 'failures') return;
    const tick = this.live ? () => this.draw() : () => this.plainLine();
    this.timer = this.clock.setInterval(() => {
      try {
        tick();
      } catch (error) {
        this.stop();
        this.failure = error;
      }
    }, this.live ? REDRAW_INTERVAL_MS : PLAIN_INTERVAL_MS);
  }

  onEvent(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  onWorkerJoined(event: WorkerJoined): void {
    for (let i = 0; i < event.slots; i++) this.slots.set(`${event.worker}/${i}`, { test: undefined, since: event.at, held: new Set() });
    if (!this.live) this.line(`baton: worker ${event.worker} joined with ${plural(event.slots, 'slot')}`);
  }

  onWorkerRefused(event: WorkerRefused): void {
    this.line(`baton: refused worker ${event.worker}: ${event.reason}`);
  }

  onWorkerGone(event: WorkerGone): void {
    for (const key of [...this.slots.keys()]) if (key.startsWith(`${event.worker}/`)) this.slots.delete(key);
    if (event.how === 'lost') this.line(`baton: lost worker ${event.worker}: ${event.reason}`);
  }

  onTestsDispatched(event: TestsDispatched): void {
    const slot = this.slot(event.worker, event.at);
    if (slot.test === undefined && slot.held.size === 0) slot.since = event.at;
    for (const id of event.tests) slot.held.add(id);
  }

  onTestsReclaimed(event: TestsReclaimed): void {
    const slot = this.slots.get(event.worker);
    if (slot !== undefined) for (const id of event.tests) slot.held.delete(id);
  }

  onTestStarted(event: TestStarted): void {
    const slot = this.slot(event.worker, event.at);
    slot.test = event.test;
    slot.since = event.at;
    this.setStats(event.stats, event.at);
  }

  onTestFinished(event: TestFinished): void {
    this.setStats(event.stats, event.at);
    this.slotDone(event.result, event.at);
    this.showResult(event.result);
  }

  onTestRetried(event: TestRetried): void {
    this.setStats(event.stats, event.at);
    this.slotDone(event.result, event.at);
    const r = event.result;
    const next = (r.attempt ?? 1) + 1;
    this.line(`${statusLabel(r.status, this.shown.paint)} ${r.id} (${r.worker}${durationText(r)}, attempt ${r.attempt}): trying it again on a fresh process, attempt ${next} of at most ${next + event.retriesLeft}`);
  }

  /** A slot's test has a result, or a failed attempt: the slot moves on. */
  private slotDone(r: RunResult, at: number): void {
    const slot = this.slots.get(r.worker);
    if (slot === undefined) return;
    slot.held.delete(r.id);
    if (slot.test === r.id) {
      slot.test = undefined;
      slot.since = at;
    }
  }

  onRunFinished(event: RunFinished): void {
    this.stop();
    this.clear();
    this.endChars();
    this.out.write(`${summaryLines(event.summary, this.shown.paint, this.slowest).join('\n')}\n`);
  }

  close(): void {
    this.stop();
    this.clear();
    this.endChars();
  }

  /** Prints through `print` above the live display (or just prints, without one), on a line of its own. */
  above(print: () => void): void {
    this.clear();
    this.endChars();
    print();
    this.draw();
  }

  /** A result as it ends: its line or character, or, showing failures only, a line if it failed; then the attachments of a pass that are shown. */
  private showResult(r: RunResult): void {
    const { results, paint } = this.shown;
    const shown = passes(r.status) ? passingShown(r.attachments, this.shown.passing) : [];
    const heading = () => `${statusLabel(r.status, paint)} ${r.id} (${r.worker}${durationText(r)}${r.attempt === undefined ? '' : `, attempt ${r.attempt}`})`;
    // A pass on retry is told whatever the mode: it is what --retries is there to show.
    const flaky = () => {
      if (!isFailing(r.status) && r.failedAttempts !== undefined) this.line(`FLAKY ${r.id} passed only when tried again (attempts: ${formatAttempts(r.failedAttempts, r, paint)})`);
    };
    if (results === 'lines') {
      this.above(() => void this.out.write(`${traceLine(r, paint)}\n${capturedAttachments(shown)}`));
      flaky();
      return;
    }
    if (results === 'chars') {
      this.out.write(traceChar(r, paint));
      this.charsOpen = true;
    } else if (isFailing(r.status)) {
      this.line(heading());
    }
    flaky();
    if (shown.length > 0) this.above(() => void this.out.write(formatPassing(heading(), shown)));
  }

  /** Ends the line of `--abbreviate`'s characters, so that what follows starts a line of its own. */
  private endChars(): void {
    if (!this.charsOpen) return;
    this.charsOpen = false;
    this.out.write('\n');
  }

  private slot(name: string, at: number): SlotView {
    let slot = this.slots.get(name);
    if (slot === undefined) this.slots.set(name, (slot = { test: undefined, since: at, held: new Set() }));
    return slot;
  }

  private setStats(stats: RunStats, at: number): void {
    this.stats = stats;
    this.statsAt = at;
  }

  private stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Prints a line of its own above the live display. */
  private line(text: string): void {
    this.above(() => void this.out.write(`${text}\n`));
  }

  private plainLine(): void {
    if (this.stats !== undefined) this.out.write(`baton: ${this.statusText()}\n`);
  }

  /** Draws the live display afresh (nothing off a terminal, or before the first test). */
  private draw(): void {
    if (!this.live || this.timer === undefined) return;
    this.clear();
    if (this.stats === undefined) return;
    const now = this.clock.now();
    // A terminal that reports no width (0: a pty nobody sized) is taken as 100 wide.
    const width = Math.max(20, (this.out.columns || 100) - 1);
    const lines = [this.statusText()];
    for (const [name, slot] of [...this.slots].sort(([a], [b]) => compareNatural(a, b))) {
      const busy = slot.test !== undefined || slot.held.size > 0;
      const what = slot.test ?? `(between tests, ${plural(slot.held.size, 'test')} to go)`;
      lines.push(`  ${name}  ${busy ? `${formatSeconds((now - slot.since) / 1000).padStart(6)} s  ${what}` : 'idle'}`);
    }
    const text = lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
    this.out.write(`${text.join('\n')}\n`);
    this.drawnLines = text.length;
  }

  /** Erases the live display, so that ordinary lines print where it was. */
  private clear(): void {
    if (!this.live || this.drawnLines === 0) return;
    this.out.write(`\x1b[${this.drawnLines}A\x1b[J`);
    this.drawnLines = 0;
  }

  /** Counts, the time since the run started and the ETA, both as of now, not of the last event. */
  private statusText(): string {
    const s = this.stats!;
    const now = this.clock.now();
    const eta = s.etaMs === undefined ? '' : `, ETA ${formatSeconds(Math.max(0, s.etaMs - (now - this.statsAt)) / 1000)} s`;
    return `${s.done}/${s.total} done, ${s.failed} failed, ${s.skipped} skipped, ${s.running} running, ${formatSeconds((now - this.startedAt) / 1000)} s${eta}`;
  }
}

/** The end of the run: failures, tests never run, the slowest (unless `--no-slowest`), the counts, the bound, the verdict. */
function summaryLines(s: RunSummary, paint: Paint, slowest: boolean): string[] {
  const out: string[] = [];
  for (const f of s.failures) {
    out.push('', `${'='.repeat(70)}`, `${statusLabel(f.status, paint)}: ${f.id}  [${f.worker}${durationText(f)}]`, '-'.repeat(70));
    out.push(failureBody(f.status, f.attachments).replace(/\n$/, ''));
    if (f.failedAttempts !== undefined) out.push(`  attempts: ${formatAttempts(f.failedAttempts, f, paint)}`);
  }
  if (s.flaky.length > 0) {
    const verdict = s.exitCode === 0 ? 'they count as passes' : '--flaky-fails: they fail the run';
    out.push('', `${plural(s.flaky.length, 'test')} passed only when tried again (flaky; ${verdict}):`);
    for (const f of s.flaky) out.push(`  ${f.id}  attempts: ${formatAttempts(f.failedAttempts ?? [], f, paint)}`);
  }
  const cutShort = new Set(s.cutShort);
  const list = (ids: readonly string[], heading: string) => {
    if (ids.length === 0) return;
    out.push('', heading, ...ids.slice(0, 20).map((id) => `  ${id}`));
    if (ids.length > 20) out.push(`  … and ${ids.length - 20} more`);
  };
  list(s.cutShort, `${plural(s.cutShort.length, 'test')} had started when the run was cut short, and ${s.cutShort.length === 1 ? 'has' : 'have'} no result:`);
  const never = s.notRun.filter((id) => !cutShort.has(id));
  list(never, `${plural(never.length, 'test')} never ran:`);
  if (slowest && s.slowest.length > 0) {
    out.push('', `Slowest ${plural(s.slowest.length, 'test')}:`);
    const width = Math.max(...s.slowest.map((t) => formatSeconds(t.duration).length));
    for (const t of s.slowest) out.push(`  ${formatSeconds(t.duration).padStart(width)} s  ${t.id}`);
  }
  const retried = s.retriedAttempts === 0 ? '' : `; ${plural(s.retriedAttempts, 'failed attempt')} tried again, ${s.flaky.length} then passed`;
  out.push('', `Ran ${plural(s.stats.done, 'test')} in ${formatSeconds(s.wallMs / 1000)} s on ${plural(s.workers, 'worker slot')}: ${formatCounts(s.counts, paint)}${s.notRun.length ? `, ${s.notRun.length} not run` : ''}${retried}`);
  const { fresh, restarts } = s.processes;
  if (fresh + restarts > 0)
    out.push(
      `${fresh + restarts} more test server ${fresh + restarts === 1 ? 'process' : 'processes'}: ${fresh} fresh (to go back in discovery order after rebalancing, or for a retry), ${restarts} after a crash or timeout`,
    );
  out.push(...boundLines(s));
  if (s.infrastructureProblem !== undefined) out.push(`baton: infrastructure problem: ${s.infrastructureProblem}`);
  out.push(s.exitCode === 0 ? `${paint('PASSED', 'green')} (run ${s.run})` : `${paint('FAILED', 'red')} (run ${s.run}, exit status ${s.exitCode})`);
  return out;
}

/** How close the run came to the best possible, and what history bought. */
function boundLines(s: RunSummary): string[] {
  const out: string[] = [];
  const e = efficiency(s);
  if (s.lowerBoundMs !== undefined && e !== undefined) {
    out.push(`Lower bound ${formatSeconds(s.lowerBoundMs / 1000)} s (the tests' own durations on ${plural(s.workers, 'slot')}): ${Math.round(e * 100)}% efficient`);
  }
  const faster = speedup(s);
  if (s.baseline !== undefined && faster !== undefined) {
    out.push(
      `With history: ${faster.toFixed(2)}× as fast as run ${s.baseline.run}, the last without (${formatSeconds(s.baseline.wallMs / 1000)} s → ${formatSeconds(s.wallMs / 1000)} s)`,
    );
  } else if (s.unknown === s.stats.total && s.stats.total > 0) {
    out.push('No history yet: the next run is scheduled from the durations this one measured');
  }
  return out;
}

function durationText(r: RunResult): string {
  return r.duration === undefined ? '' : `, ${formatSeconds(r.duration)} s`;
}
