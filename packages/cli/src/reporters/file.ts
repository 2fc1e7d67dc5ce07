import { writeFile } from 'node:fs/promises';
import type { Reporter, RunFinished, RunResult, RunSummary, TestFinished } from '@baton/coordinator';

/** Where a report goes: a file's path, or a stream (stdout for `--json -`). */
export type ReportTarget = string | { write(text: string): unknown };

/**
 * A report written to a file (or stdout) once the run is over, from an entry per result
 * in finishing order. An entry is made as its result comes in, while the run leaves this
 * process idle; the report is joined and written in `close`, which the coordinator awaits
 * off the path of its events: a file that cannot be written fails this reporter (and the
 * run's exit status), never the run's recording.
 */
export abstract class FileReporter<Entry = RunResult> implements Reporter {
  /** The option that asked for it and its file (`--junit out/junit.xml`, `--json -`), as failures name it. */
  readonly name: string;
  private readonly target: ReportTarget;
  private readonly entries: Entry[] = [];
  private summary: RunSummary | undefined;

  /** `file` as the user gave it (`-`: stdout); `target` where it goes, `file` itself by default. */
  constructor(option: string, file: string, target: ReportTarget = file) {
    this.name = `${option} ${file}`;
    this.target = target;
  }

  onTestFinished(event: TestFinished): void {
    this.entries.push(this.entry(event.result));
  }

  onRunFinished(event: RunFinished): void {
    this.summary = event.summary;
  }

  async close(): Promise<void> {
    if (this.summary === undefined) return;
    const text = this.render(this.entries, this.summary);
    if (typeof this.target === 'string') await writeFile(this.target, text);
    else this.target.write(text);
  }

  /** What the report keeps of a result. */
  protected abstract entry(result: RunResult): Entry;

  /** The file's content. */
  protected abstract render(entries: readonly Entry[], summary: RunSummary): string;
}
