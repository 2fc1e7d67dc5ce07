import { isText } from '@baton/subunit';
import type { RunResult, RunSummary } from '@baton/coordinator';
import { efficiency, speedup } from '../output/bound.js';
import { FileReporter, type ReportTarget } from './file.js';

const utf8 = new TextDecoder();

/**
 * `new Date(ms).toISOString()` from the minute's text kept between calls, since a run's
 * results share it: formatting two whole dates per result was a tenth of the CPU a
 * 20,000-test `--json` run spent reporting.
 */
export class IsoTimes {
  private minute = Number.NaN;
  private prefix = '';

  format(ms: number): string {
    const whole = Math.trunc(ms);
    const minute = Math.floor(whole / 60_000);
    if (minute !== this.minute) {
      const text = new Date(minute * 60_000).toISOString();
      // Only a four-digit year has a fixed-width prefix.
      if (text.length !== 24) return new Date(whole).toISOString();
      this.minute = minute;
      this.prefix = text.slice(0, 17);
    }
    const millis = whole - minute * 60_000;
    const seconds = Math.floor(millis / 1000);
    return `${this.prefix}${seconds < 10 ? '0' : ''}${seconds}.${String(millis % 1000).padStart(3, '0')}Z`;
  }
}

/**
 * `--json FILE`: the run as one JSON document written when it ends: the summary, then
 * every result in the order it finished, with worker, position in that worker's
 * sequence, times, tags and text attachments (binary ones as base64); a test tried again
 * (`--retries`) with its `attempt` and its `failedAttempts`, each in the same form. Each result is one
 * line: a run of 100,000 tests stays greppable, and indenting every field of every result
 * would double the file and the time to write it.
 */
export class JsonReporter extends FileReporter<string> {
  private readonly times = new IsoTimes();

  constructor(file: string, target?: ReportTarget) {
    super('--json', file, target);
  }

  protected entry(r: RunResult): string {
    return JSON.stringify(this.resultJson(r));
  }

  /** A result, or a failed attempt at a test that was tried again, as the report holds it. */
  private resultJson(r: RunResult): object {
    return {
      id: r.id,
      status: r.status,
      worker: r.worker,
      seq: r.seq,
      start: r.startMs === undefined ? null : this.times.format(r.startMs),
      stop: r.stopMs === undefined ? null : this.times.format(r.stopMs),
      duration: r.duration ?? null,
      tags: r.tags,
      ...(r.infrastructure ? { infrastructure: r.infrastructure } : {}),
      attachments: r.attachments.map((a) => ({
        name: a.name,
        mimeType: a.mimeType ?? null,
        ...(isText(a) ? { text: utf8.decode(a.content) } : { base64: Buffer.from(a.content).toString('base64') }),
      })),
      ...(r.attempt !== undefined && { attempt: r.attempt }),
      ...(r.failedAttempts !== undefined && { failedAttempts: r.failedAttempts.map((a) => this.resultJson(a)) }),
    };
  }

  protected render(lines: readonly string[], summary: RunSummary): string {
    const doc = {
      format: 'baton-run',
      version: 1,
      run: summary.run,
      profile: summary.profile,
      exitCode: summary.exitCode,
      infrastructureProblem: summary.infrastructureProblem ?? null,
      wallSeconds: summary.wallMs / 1000,
      lowerBoundSeconds: summary.lowerBoundMs === undefined ? null : summary.lowerBoundMs / 1000,
      efficiency: efficiency(summary) ?? null,
      withoutHistory: summary.unknown,
      baseline: summary.baseline === undefined ? null : { run: summary.baseline.run, wallSeconds: summary.baseline.wallMs / 1000, speedup: speedup(summary) ?? null },
      workers: summary.workers,
      processes: summary.processes,
      counts: summary.counts,
      notRun: summary.notRun,
      flaky: summary.flaky.map((r) => r.id),
      retriedAttempts: summary.retriedAttempts,
      slowest: summary.slowest,
    };
    // The summary's closing "\n}" makes way for the results, the document's last field.
    const head = JSON.stringify(doc, null, 2).slice(0, -2);
    return `${head},\n  "results": ${lines.length === 0 ? '[]' : `[\n    ${lines.join(',\n    ')}\n  ]`}\n}\n`;
  }
}
