import { writeFileSync } from 'node:fs';
import type { Reporter, RunFinished, RunResult, RunSummary, TestFinished } from '@baton/coordinator';

/** A report written to a file once the run is over, from every result in finishing order. */
export abstract class FileReporter implements Reporter {
  private readonly file: string;
  private readonly results: RunResult[] = [];

  constructor(file: string) {
    this.file = file;
  }

  onTestFinished(event: TestFinished): void {
    this.results.push(event.result);
  }

  onRunFinished(event: RunFinished): void {
    writeFileSync(this.file, this.render(this.results, event.summary));
  }

  /** The file's content. */
  protected abstract render(results: readonly RunResult[], summary: RunSummary): string;
}
