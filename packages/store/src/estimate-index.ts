// A compact, persisted lookup table from test id to estimate, so that the scheduler's
// question "how long do these 100,000 tests take?" costs one blob read and 100,000 hash
// probes in JS instead of 200,000 B-tree searches in SQLite (measured: ~10× faster).
//
// The key of a test is the 53-bit cyrb53 hash of its id: its top 21 bits pick a bucket
// (of a power-of-two count, about BUCKET_ENTRIES entries each) and its low 32 bits are the
// fingerprint kept. Entries are stored bucket by bucket with no empty slots, so that a
// million estimates take 12.5 MB to read instead of the 32 MB of a half-empty hash table
// of whole keys (reading the blob was most of the time of a lookup). Names are not stored:
// an id never recorded matches a stored one only if bucket and fingerprint both agree,
// with probability about BUCKET_ENTRIES / 2^32 (2e-9); it then borrows another test's
// estimate, which the online scheduler corrects as results arrive.
//
// Layout, native byte order (every platform Node runs on is little-endian):
//   uint32 count, uint32 bucket bits | float64 estimates[count] |
//   uint32 starts[buckets + 1] | uint32 fingerprints[count]
// where bucket b holds entries starts[b] to starts[b + 1] - 1.
import type { Estimates } from './types.js';

/** Entries a bucket holds on average: ~0.5 byte of directory per entry, a short scan per probe. */
const BUCKET_ENTRIES = 8;
/** cyrb53's high part has 21 bits. */
const MAX_BUCKET_BITS = 21;
const HIGH = 2 ** 32;
const HEADER_BYTES = 8;

/** cyrb53 (bryc, public domain): a fast 53-bit string hash, exact in a double. Never 0. */
export function hashTestId(id: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < id.length; i++) {
    const ch = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0) || 1;
}

interface Table {
  readonly mask: number;
  readonly estimates: Float64Array;
  readonly starts: Uint32Array;
  readonly fingerprints: Uint32Array;
}

/** Views of the parts of a table of `count` entries in `bucketBits` bits, at `offset` of `buffer`. */
function views(buffer: ArrayBufferLike, offset: number, count: number, bucketBits: number): Table {
  const buckets = 2 ** bucketBits;
  const startsAt = offset + HEADER_BYTES + 8 * count;
  return {
    mask: buckets - 1,
    estimates: new Float64Array(buffer, offset + HEADER_BYTES, count),
    starts: new Uint32Array(buffer, startsAt, buckets + 1),
    fingerprints: new Uint32Array(buffer, startsAt + 4 * (buckets + 1), count),
  };
}

/** Builds the table from the `hashTestId` of each test id and its estimate, index by index. */
export function buildEstimateIndex(keys: Float64Array, estimates: Float64Array): Buffer {
  const n = keys.length;
  let bucketBits = 0;
  while (bucketBits < MAX_BUCKET_BITS && 2 ** bucketBits * BUCKET_ENTRIES < n) bucketBits++;
  const blob = Buffer.alloc(HEADER_BYTES + 8 * n + 4 * (2 ** bucketBits + 1) + 4 * n);
  new Uint32Array(blob.buffer, blob.byteOffset, 2).set([n, bucketBits]);
  const table = views(blob.buffer, blob.byteOffset, n, bucketBits);
  const { mask, starts, fingerprints } = table;
  for (let i = 0; i < n; i++) starts[((keys[i]! / HIGH) & mask) + 1]!++;
  for (let b = 0; b <= mask; b++) starts[b + 1]! += starts[b]!;
  const next = starts.slice(0, -1);
  for (let i = 0; i < n; i++) {
    const at = next[(keys[i]! / HIGH) & mask]!++;
    fingerprints[at] = keys[i]! >>> 0;
    table.estimates[at] = estimates[i]!;
  }
  return blob;
}

/** Looks `ids` up in a table from `buildEstimateIndex`. */
export function lookupEstimates(blob: Uint8Array, ids: readonly string[]): Estimates {
  const { mask, starts, fingerprints, estimates } = readTable(blob);
  const known = new Map<string, number>();
  const unknown: string[] = [];
  for (const id of ids) {
    const key = hashTestId(id);
    const bucket = (key / HIGH) & mask;
    const fingerprint = key >>> 0;
    let at = starts[bucket]!;
    const end = starts[bucket + 1]!;
    while (at < end && fingerprints[at] !== fingerprint) at++;
    if (at < end) known.set(id, estimates[at]!);
    else unknown.push(id);
  }
  return { known, unknown };
}

/** The blob's parts: views when it is 8-byte aligned (large blobs are), else of a copy. */
function readTable(blob: Uint8Array): Table {
  const aligned = blob.byteOffset % 8 === 0 ? blob : new Uint8Array(blob);
  const [count = 0, bucketBits = 0] = new Uint32Array(aligned.buffer, aligned.byteOffset, 2);
  return views(aligned.buffer, aligned.byteOffset, count, bucketBits);
}
