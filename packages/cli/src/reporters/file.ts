import { writeFileSync } from 'node:fs';
import type { Reporter, RunFinished, RunResult, RunSummary, TestFinished } from '@baton/coordinator';

/**
 * A report written to a file once the run is over, from an entry per result in finishing
 * order. An entry is made as its result comes in, while the run leaves this process idle,
 * so that the end of the run only joins them.
 */
export abstract class FileReporter<Entry = RunResult> implements Reporter {
  private readonly file: string;
  private readonly entries: Entry[] = [];

  constructor(file: string) {
    this.file = file;
  }

  onTestFinished(event: TestFinished): void {
    this.entries.push(this.entry(event.result));
  }

  onRunFinished(event: RunFinished): void {
    writeFileSync(this.file, this.render(this.entries, event.summary));
  }

  /** What the report keeps of a result. */
  protected abstract entry(result: RunResult): Entry;

  /** The file's content. */
  protected abstract render(entries: readonly Entry[], summary: RunSummary): string;
}
