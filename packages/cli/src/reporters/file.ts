import { writeFileSync } from 'node:fs';
import type { Reporter, RunFinished, RunResult, RunSummary, TestFinished } from '@baton/coordinator';

/** Where a report goes: a file's path, or a stream (stdout for `--json -`). */
export type ReportTarget = string | { write(text: string): unknown };

/**
 * A report written to a file (or stdout) once the run is over, from an entry per result in finishing
 * order. An entry is made as its result comes in, while the run leaves this process idle,
 * so that the end of the run only joins them.
 */
export abstract class FileReporter<Entry = RunResult> implements Reporter {
  private readonly target: ReportTarget;
  private readonly entries: Entry[] = [];

  constructor(target: ReportTarget) {
    this.target = target;
  }

  onTestFinished(event: TestFinished): void {
    this.entries.push(this.entry(event.result));
  }

  onRunFinished(event: RunFinished): void {
    const text = this.render(this.entries, event.summary);
    if (typeof this.target === 'string') writeFileSync(this.target, text);
    else this.target.write(text);
  }

  /** What the report keeps of a result. */
  protected abstract entry(result: RunResult): Entry;

  /** The file's content. */
  protected abstract render(entries: readonly Entry[], summary: RunSummary): string;
}
