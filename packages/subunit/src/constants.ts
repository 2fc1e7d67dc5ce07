/** The byte every subunit v2 packet starts with. */
export const SIGNATURE = 0xb3;

/** Flag bits of the 16-bit flags field (python-subunit's `v2.py` names). */
export const Flag = {
  VERSION_2: 0x2000,
  TEST_ID: 0x0800,
  ROUTE_CODE: 0x0400,
  TIMESTAMP: 0x0200,
  RUNNABLE: 0x0100,
  TAGS: 0x0080,
  FILE_CONTENT: 0x0040,
  MIME_TYPE: 0x0020,
  EOF: 0x0010,
} as const;

/** The version nibble occupies the top four bits of the flags. */
export const VERSION_MASK = 0xf000;
export const STATUS_MASK = 0x0007;

/**
 * The largest packet the format allows: its length is a varint of at most three
 * bytes, so 4 MiB - 1 (python-subunit refuses to write or read anything longer).
 */
export const MAX_PACKET_SIZE: number = 4 * 1024 * 1024 - 1;

/** signature (1) + flags (2) + the shortest length varint (1) + CRC32 (4). */
export const MIN_PACKET_SIZE = 8;

/**
 * The mime type of the text attachments baton writes itself (captured output, why baton
 * failed a test), spelled as python-subunit's tools and baton's Python server spell it.
 */
export const TEXT_MIME_TYPE = 'text/plain; charset=utf8';

/** The statuses a packet can carry, indexed by their 3-bit code (0 = none). */
export const STATUSES: readonly [
  undefined, 'exists', 'inprogress', 'success', 'uxsuccess', 'skip', 'fail', 'xfail',
] = [
  undefined,
  'exists',
  'inprogress',
  'success',
  'uxsuccess',
  'skip',
  'fail',
  'xfail',
];

/** A test status as subunit v2 encodes it. */
export type TestStatus = Exclude<(typeof STATUSES)[number], undefined>;

/** Statuses that end a test; `exists` and `inprogress` are interim. */
export const FINAL_STATUSES: ReadonlySet<TestStatus> = new Set<TestStatus>([
  'success',
  'uxsuccess',
  'skip',
  'fail',
  'xfail',
]);

/**
 * Statuses that count as a failure, for a run's verdict, the failing set and every report:
 * the test failed, passed unexpectedly, or never finished (`inprogress` at the end).
 */
export const FAILING_STATUSES: readonly ['inprogress', 'uxsuccess', 'fail'] = ['inprogress', 'uxsuccess', 'fail'];

const FAILING: ReadonlySet<TestStatus | undefined> = new Set<TestStatus | undefined>(FAILING_STATUSES);

/** Whether `status` counts as a failure (one of FAILING_STATUSES). */
export function isFailing(status: TestStatus | undefined): boolean {
  return FAILING.has(status);
}

/** Statuses that count as a pass: the test did what it should (a skip is neither). */
export const PASSING_STATUSES: readonly ['success', 'xfail'] = ['success', 'xfail'];

const PASSING: ReadonlySet<TestStatus | undefined> = new Set<TestStatus | undefined>(PASSING_STATUSES);

/** Whether `status` counts as a pass (one of PASSING_STATUSES). */
export function isPassing(status: TestStatus | undefined): boolean {
  return PASSING.has(status);
}

/** The 3-bit code of a status. */
export function statusCode(status: TestStatus | undefined): number {
  return status === undefined ? 0 : STATUSES.indexOf(status);
}
