import type { Reporter, RunResult, TestFinished, StrayOutput } from '@baton/coordinator';
import { resultPackets } from '@baton/store';
import { StreamEncoder, timestampFromMillis, type Packet } from '@baton/subunit';

/**
 * `--subunit`: the run as a subunit v2 stream, each test written when it finishes
 * (inprogress, attachments, final status) with its `worker-N` tag, as testrepository
 * writes them, so that subunit-trace, subunit2junitxml and subunit-ls read it live.
 */
export class SubunitReporter implements Reporter {
  private readonly encoder: StreamEncoder;

  constructor(out: { write(data: Uint8Array): unknown }) {
    this.encoder = new StreamEncoder((chunk) => out.write(chunk));
  }

  onTestFinished(event: TestFinished): void {
    for (const packet of packetsOf(event.result)) this.encoder.write(packet);
    // A live stream: consumers (subunit-trace) show each test as it ends.
    this.encoder.flush();
  }

  onOutput(event: StrayOutput): void {
    this.encoder.write({ file: { name: event.name, content: event.content }, routeCode: event.worker, timestamp: timestampFromMillis(event.at) });
  }

  close(): void {
    this.encoder.flush();
  }
}

function packetsOf(result: RunResult): Packet[] {
  return resultPackets({
    run: 0,
    testId: result.id,
    status: result.status,
    start: result.startMs === undefined ? undefined : timestampFromMillis(result.startMs),
    stop: result.stopMs === undefined ? undefined : timestampFromMillis(result.stopMs),
    worker: result.worker,
    seq: result.seq,
    tags: result.tags,
    attachments: result.attachments,
  });
}
