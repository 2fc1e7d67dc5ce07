import type {
  Reporter,
  RunFinished,
  RunResult,
  RunStarted,
  RunStats,
  TestFinished,
  TestStarted,
  TestsDispatched,
  WorkerGone,
  WorkerJoined,
  WorkerRefused,
} from '@baton/coordinator';
import { compareNatural, formatCounts, formatSeconds, plural } from '../output/format.js';
import { failureBody, statusLabel } from '../output/run.js';

/** Redraws of the live display per second, at most. */
export const REDRAW_INTERVAL_MS = 100;
/** Plain mode (not a terminal, e.g. a CI log) prints a progress line this often. */
export const PLAIN_INTERVAL_MS = 10_000;

export interface ProgressOptions {
  /** Where to write; a terminal gets the live display. */
  readonly out: { write(data: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
  /** The clock, for throttling. @default Date.now */
  readonly now?: () => number;
}

interface SlotView {
  test: string | undefined;
  since: number;
}

/**
 * What a person watching the run sees. On a terminal: a live block (done/total,
 * failures so far, ETA, one line per worker slot with the test it is running) redrawn in
 * place, with each failure printed above it as it happens. Elsewhere (CI logs): a plain
 * line every PLAIN_INTERVAL_MS and one per failure. At the end: every failure with its
 * details, the summary, and the slowest tests of the run.
 */
export class ProgressReporter implements Reporter {
  private readonly out: ProgressOptions['out'];
  private readonly now: () => number;
  private readonly live: boolean;
  private readonly slots = new Map<string, SlotView>();
  private stats: RunStats | undefined;
  private drawnLines = 0;
  private lastDraw = 0;
  private lastPlain = 0;

  constructor(options: ProgressOptions) {
    this.out = options.out;
    this.now = options.now ?? Date.now;
    this.live = options.out.isTTY === true;
  }

  onRunStarted(event: RunStarted): void {
    const unknown = event.unknown > 0 ? `, ${plural(event.unknown, 'test')} with no history` : '';
    this.line(`baton: run ${event.run} (${event.profile}): ${plural(event.total, 'test')}, about ${formatSeconds(event.estimatedWork)} s of work${unknown}`);
    this.lastPlain = this.now();
  }

  onWorkerJoined(event: WorkerJoined): void {
    for (let i = 0; i < event.slots; i++) this.slots.set(`${event.worker}/${i}`, { test: undefined, since: event.at });
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
    if (!this.slots.has(event.worker)) this.slots.set(event.worker, { test: undefined, since: event.at });
  }

  onTestStarted(event: TestStarted): void {
    this.slots.set(event.worker, { test: event.test, since: event.at });
    this.stats = event.stats;
    this.refresh();
  }

  onTestFinished(event: TestFinished): void {
    this.stats = event.stats;
    const slot = this.slots.get(event.result.worker);
    if (slot?.test === event.result.id) slot.test = undefined;
    if (isFailure(event.result)) this.line(`${statusLabel(event.result.status)} ${event.result.id} (${event.result.worker}${durationText(event.result)})`);
    this.refresh();
  }

  onRunFinished(event: RunFinished): void {
    this.clear();
    const s = event.summary;
    const out: string[] = [];
    for (const f of s.failures) {
      out.push('', `${'='.repeat(70)}`, `${statusLabel(f.status)}: ${f.id}  [${f.worker}${durationText(f)}]`, '-'.repeat(70));
      out.push(failureBody(f.status, f.attachments).replace(/\n$/, ''));
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
    if (s.slowest.length > 0) {
      out.push('', `Slowest ${plural(s.slowest.length, 'test')}:`);
      const width = Math.max(...s.slowest.map((t) => formatSeconds(t.duration).length));
      for (const t of s.slowest) out.push(`  ${formatSeconds(t.duration).padStart(width)} s  ${t.id}`);
    }
    out.push('', `Ran ${plural(s.stats.done, 'test')} in ${formatSeconds(s.wallMs / 1000)} s on ${plural(s.workers, 'worker slot')}: ${formatCounts(s.counts)}${s.notRun.length ? `, ${s.notRun.length} not run` : ''}`);
    const { fresh, restarts } = s.processes;
    if (fresh + restarts > 0)
      out.push(
        `${fresh + restarts} more test server ${fresh + restarts === 1 ? 'process' : 'processes'}: ${fresh} to go back in discovery order after rebalancing, ${restarts} after a crash or timeout`,
      );
    if (s.infrastructureProblem !== undefined) out.push(`baton: infrastructure problem: ${s.infrastructureProblem}`);
    out.push(s.exitCode === 0 ? `PASSED (run ${s.run})` : `FAILED (run ${s.run}, exit status ${s.exitCode})`);
    this.out.write(`${out.join('\n')}\n`);
  }

  close(): void {
    this.clear();
  }

  /** Prints a line above the live display (or just prints it). */
  private line(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
    this.refresh(true);
  }

  private refresh(force = false): void {
    const now = this.now();
    if (!this.live) {
      if (this.stats && now - this.lastPlain >= PLAIN_INTERVAL_MS) {
        this.lastPlain = now;
        this.out.write(`baton: ${statusText(this.stats)}\n`);
      }
      return;
    }
    if (!force && now - this.lastDraw < REDRAW_INTERVAL_MS) return;
    this.lastDraw = now;
    this.clear();
    if (!this.stats) return;
    const width = Math.max(20, (this.out.columns ?? 100) - 1);
    const lines = [statusText(this.stats)];
    for (const [name, slot] of [...this.slots].sort(([a], [b]) => compareNatural(a, b))) {
      const doing = slot.test === undefined ? 'idle' : `${formatSeconds((now - slot.since) / 1000).padStart(6)} s  ${slot.test}`;
      lines.push(`  ${name}  ${doing}`);
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
}

function statusText(s: RunStats): string {
  const eta = s.etaMs === undefined ? '' : `, ETA ${formatSeconds(s.etaMs / 1000)} s`;
  return `${s.done}/${s.total} done, ${s.failed} failed, ${s.skipped} skipped, ${s.running} running, ${formatSeconds(s.elapsedMs / 1000)} s${eta}`;
}

function isFailure(r: RunResult): boolean {
  return r.status === 'fail' || r.status === 'uxsuccess' || r.status === 'inprogress';
}

function durationText(r: RunResult): string {
  return r.duration === undefined ? '' : `, ${formatSeconds(r.duration)} s`;
}
