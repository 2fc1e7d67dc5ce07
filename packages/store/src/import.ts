import { ResultAggregator, StreamDecoder, isFailing, type SubunitError, type TestResult, type Timestamp } from '@baton/subunit';
import { StoreError } from './errors.js';
import type { ResultInput, ResultStatus, RunRepository, RunWriter } from './types.js';

/** Options of `importStream`. */
export interface ImportOptions {
  readonly profile: string;
  /** Recorded with the run; see `RunRepository.hasSource`. */
  readonly source?: string;
  /** Names the input in messages. */
  readonly name: string;
  /** The process importing, recorded with the run (see `RunStart.writer`). */
  readonly writer?: RunWriter;
  /** The clock for the run's start and stop when the stream carries no timestamps. */
  readonly now: () => Timestamp;
  /**
   * Results per transaction. Large batches matter for big imports: each commit rewrites
   * every index page it touched, and new test ids land all over the name index.
   * @default 10000
   */
  readonly batchSize?: number;
  /**
   * A batch is committed this long after its first result even if not full, so that a
   * slow live stream (or a writer killed mid-run) loses at most this much.
   * @default 200
   */
  readonly flushAfterMs?: number;
}

/** What an import stored. */
export interface ImportReport {
  /** The run created. */
  readonly run: number;
  readonly results: number;
  readonly counts: Readonly<Partial<Record<ResultStatus, number>>>;
  readonly bytes: number;
  /** Set when the input was damaged: code BATON_STORE_CORRUPT_INPUT, `offset` at the first damage. */
  readonly damage: StoreError | undefined;
}

const WORKER_TAG = /^worker-\d+$/;

/**
 * Decodes a subunit v2 byte stream and records it as one run, committing in batches as
 * results arrive. A damaged stream is stored up to its damage (the decoder resumes at the
 * next valid packet) and the run marked partial; input with no packet at all is refused
 * with BATON_STORE_NOT_SUBUNIT before anything is written.
 */
export async function importStream(
  repo: RunRepository,
  chunks: AsyncIterable<Uint8Array>,
  options: ImportOptions,
): Promise<ImportReport> {
  const batchSize = options.batchSize ?? 10_000;
  const flushAfterMs = options.flushAfterMs ?? 200;

  let run: number | undefined;
  let batch: ResultInput[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushError: unknown;
  let bytes = 0;
  let results = 0;
  let lastStop: Timestamp | undefined;
  let firstError: SubunitError | undefined;
  let errors = 0;
  const counts: Partial<Record<ResultStatus, number>> = {};

  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (run === undefined || batch.length === 0) return;
    const pending = batch;
    batch = [];
    repo.recordResults(run, pending);
  };
  // From a timer, a failed commit cannot throw to anyone: keep it for the read loop.
  const flushLater = (): void => {
    try {
      flush();
    } catch (error) {
      flushError ??= error;
    }
  };
  const aggregator = new ResultAggregator({
    result(result) {
      const input = toInput(result);
      if (input === undefined) return;
      batch.push(input);
      timer ??= setTimeout(flushLater, flushAfterMs);
      results++;
      counts[input.status] = (counts[input.status] ?? 0) + 1;
      if (input.stop !== undefined) lastStop = input.stop;
      if (batch.length >= batchSize) flush();
    },
  });
  const decoder = new StreamDecoder({
    packet(packet) {
      run ??= repo.beginRun({
        profile: options.profile,
        start: packet.timestamp ?? options.now(),
        ...(options.source === undefined ? {} : { source: options.source }),
        ...(options.writer === undefined ? {} : { writer: options.writer }),
      });
      aggregator.packet(packet);
    },
    // Text between packets is what python-subunit passes through; it is not damage.
    bytes() {},
    error(error) {
      firstError ??= error;
      errors++;
    },
  });

  try {
    for await (const chunk of chunks) {
      if (flushError !== undefined) throw flushError;
      bytes += chunk.length;
      decoder.push(chunk);
    }
    decoder.end();
    aggregator.end();
    flush();
  } finally {
    clearTimeout(timer);
  }
  if (flushError !== undefined) throw flushError;

  if (run === undefined) {
    const what = bytes === 0 ? 'is empty' : `holds no subunit v2 packet in its ${bytes} bytes`;
    throw new StoreError('BATON_STORE_NOT_SUBUNIT', `${options.name} ${what}; baton loads subunit v2 streams (\`subunit-1to2\` converts v1)`);
  }
  // A stream reports no exit status: readers judge an imported run by its results.
  repo.finishRun(run, { stop: lastStop ?? options.now(), partial: firstError !== undefined });
  const damage = firstError && new StoreError(
    'BATON_STORE_CORRUPT_INPUT',
    `${options.name} is damaged at byte ${firstError.offset} (${errors} bad packet${errors === 1 ? '' : 's'}; first: ${firstError.message}); ` +
      `stored the ${results} results that could be read as partial run ${run}`,
    { offset: firstError.offset, cause: firstError },
  );
  return { run, results, counts, bytes, damage };
}

function toInput(result: TestResult): ResultInput | undefined {
  // A test only announced (`exists` with an attachment) never ran.
  if (result.status === 'exists') return undefined;
  return {
    testId: result.id,
    status: result.status ?? 'inprogress',
    start: result.start,
    stop: result.stop,
    worker: result.routeCode ?? result.tags.find((t) => WORKER_TAG.test(t)),
    tags: result.tags,
    attachments: result.attachments,
  };
}
