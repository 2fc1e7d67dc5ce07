import { writeFile } from 'node:fs/promises';
import type { Reporter, RunFinished, RunResult, RunSummary, TestFinished } from '@baton/coordinator';

/**
 * A report written to a file once the run is over, from an entry per result in finishing
 * order. An entry is made as its result comes in, while the run leaves this process idle;
 * the file is joined and written in `close`, which the coordinator awaits off the path of
 * its events: a file that cannot be written fails this reporter (and the run's exit
 * status), never the run's recording.
 */
export abstract class FileReporter<Entry = RunResult> implements Reporter {
  /** The option that asked for it and its file (`--junit out/junit.xml`), as failures name it. */
  readonly name: string;
  private readonly file: string;
  private readonly entries: Entry[] = [];
  private summary: RunSummary | undefined;

  constructor(option: string, file: string) {
    this.name = `${option} ${file}`;
    this.file = file;
  }

  onTestFinished(event: TestFinished): void {
    this.entries.push(this.entry(event.result));
  }

  onRunFinished(event: RunFinished): void {
    this.summary = event.summary;
  }

  async close(): Promise<void> {
    if (this.summary !== undefined) await writeFile(this.file, this.render(this.entries, this.summary));
  }

  /** What the report keeps of a result. */
  protected abstract entry(result: RunResult): Entry;

  /** The file's content. */
  protected abstract render(entries: readonly Entry[], summary: RunSummary): string;
}
