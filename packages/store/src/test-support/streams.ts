// Synthetic subunit v2 streams shaped like stestr's: tests spread over `workers` with
// worker-N tags, realistic ids, a few failures with tracebacks and some skips. Seeded, so
// a given size always produces the same bytes.
import { encodePackets, type Packet } from '@baton/subunit';

/** Options of `syntheticStream`. */
export interface SyntheticOptions {
  readonly results: number;
  /** @default 8 */
  readonly workers?: number;
  /** Every `failEvery`-th test fails with a traceback. @default 97 */
  readonly failEvery?: number;
  /** @default 1 */
  readonly seed?: number;
  /** First test's start, seconds since the epoch. @default 1_700_000_000 */
  readonly start?: number;
}

/** The id of the i-th synthetic test. */
export function syntheticTestId(i: number): string {
  return `pkg.module_${i % 997}.TestCase${Math.floor(i / 997) % 50}.test_${i}`;
}

const TRACEBACK = new TextEncoder().encode('Traceback (most recent call last):\n  File "pkg/module.py", line 42, in test\n    self.assertEqual(a, b)\nAssertionError: 1 != 2\n');

/** One encoded result (its inprogress, [traceback] and final packets) per yield. */
export function* syntheticStream(options: SyntheticOptions): Generator<Uint8Array> {
  const workers = options.workers ?? 8;
  const failEvery = options.failEvery ?? 97;
  let state = options.seed ?? 1;
  const random = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const clocks = new Array<number>(workers).fill((options.start ?? 1_700_000_000) * 1e6);
  for (let i = 0; i < options.results; i++) {
    const w = i % workers;
    const tags = [`worker-${w}`];
    const testId = syntheticTestId(i);
    const startUs = clocks[w]!;
    const durationUs = Math.floor(random() * random() * 2e6) + 50;
    clocks[w] = startUs + durationUs + 10;
    const status: Packet['status'] = i % failEvery === failEvery - 1 ? 'fail' : i % 50 === 7 ? 'skip' : 'success';
    const ts = (us: number) => ({ seconds: Math.floor(us / 1e6), nanos: (us % 1e6) * 1000 });
    const packets: Packet[] = [{ testId, status: 'inprogress', timestamp: ts(startUs), tags }];
    if (status === 'fail') {
      packets.push({ testId, file: { name: 'traceback', content: TRACEBACK }, mimeType: 'text/x-traceback; charset="utf8"; language="python"', eof: true, tags });
    }
    packets.push({ testId, status, timestamp: ts(startUs + durationUs), tags });
    yield encodePackets(packets);
  }
}

/** The whole synthetic stream in one buffer (for small sizes). */
export function syntheticBytes(options: SyntheticOptions): Buffer {
  return Buffer.concat([...syntheticStream(options)]);
}
