import { toResultInput, type Reporter, type RunResult, type TestFinished, type WorkerOutput } from '@baton/coordinator';
import { testResultOf } from '@baton/store';
import { StreamEncoder, resultPackets, timestampFromMillis, type Packet } from '@baton/subunit';

/**
 * `--subunit`: the run as a subunit v2 stream, each test written when it finishes
 * (inprogress, attachments, final status) with its `worker-N` tag, as testrepository
 * writes them, so that subunit-trace, subunit2junitxml and subunit-ls read it live.
 */
export class SubunitReporter implements Reporter {
  readonly name = '--subunit';
  private readonly encoder: StreamEncoder;

  constructor(out: { write(data: Uint8Array): unknown }) {
    this.encoder = new StreamEncoder((chunk) => out.write(chunk));
  }

  onTestFinished(event: TestFinished): void {
    for (const packet of packetsOf(event.result)) this.encoder.write(packet);
    // A live stream: consumers (subunit-trace) show each test as it ends.
    this.encoder.flush();
  }

  onOutput(event: WorkerOutput): void {
    this.encoder.write({ file: { name: event.name, content: event.content }, routeCode: event.worker, timestamp: timestampFromMillis(event.at) });
  }

  close(): void {
    this.encoder.flush();
  }
}

function packetsOf(result: RunResult): Packet[] {
  const input = toResultInput(result);
  const stored = { ...input, run: 0, seq: result.seq, start: input.start, stop: input.stop, worker: input.worker, tags: input.tags ?? [], attachments: input.attachments ?? [] };
  return resultPackets(testResultOf(stored), { withStart: true });
}
