// The RPC messages, as JSON objects discriminated by `msg`. Version 1 is exactly the
// draft RPC spec of testrepository (see packages/protocol/README.md); version 2 adds
// messages and optional fields, never changes the meaning of a version 1 field.

/** The test id every RPC packet is sent for. */
export const RPC_TEST_ID = 'testrepository-rpc';
/** The mime type of the attachment that carries a message (UTF-8 JSON). */
export const RPC_MIME_TYPE = 'application/json';
/** The attachment name baton writes; readers accept any name. */
export const RPC_FILE_NAME = 'message';
/**
 * The largest message JSON, in UTF-8 bytes. A message is always one packet, and this
 * leaves room under subunit's 4 MiB packet limit while keeping a Run of tens of thousands
 * of test ids possible. Bigger messages are refused with a `BATON_PROTOCOL_TOO_LARGE` Error.
 */
export const MAX_MESSAGE_BYTES: number = 1024 * 1024;

/** A range of protocol versions an end speaks: every version from `min` to `max`. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/**
 * The code of an Error a worker sends, tied to no request, when it is about to leave:
 * it will take no new work and closes the channel once it has finished what it runs. (v2)
 */
export const WORKER_LEAVING = 'BATON_WORKER_LEAVING';

/**
 * The tags of an `exists` packet (a List's answer) whose test's class has class fixtures
 * (setUpClass or tearDownClass), whose module has module fixtures (setUpModule or
 * tearDownModule): a process sets them up once for all the tests of the class or module
 * that it runs, so a scheduler keeps those together. Optional: a server that does not tag
 * lists its tests as independent. (v2)
 */
export const CLASS_FIXTURES_TAG = 'baton-class-fixtures';
export const MODULE_FIXTURES_TAG = 'baton-module-fixtures';

/**
 * The attachment of a test failed for running past its timeout, saying so (`… timed out
 * after N s …`): the worker adds it when it kills the test's process, a test server when
 * it interrupts the test at the Run's `timeout`. The coordinator reads it to report the
 * test as timed out rather than failed on its own.
 */
export const TIMEOUT_ATTACHMENT = 'baton-timeout';

/**
 * The attachment of a test a worker failed because its test process died under it, or
 * because its test server never reported it, saying why; read as "crashed".
 */
export const ERROR_ATTACHMENT = 'baton-error';

/** The versions this implementation speaks. */
export const SUPPORTED_VERSIONS: VersionRange = { min: 1, max: 2 };

/** Advises the peer of the versions this end supports; the client sends it first. */
export interface HelloMessage {
  readonly msg: 'Hello';
  /** The newest version this end speaks. (v1) */
  readonly max: number;
  /** The oldest version this end speaks. (v1) */
  readonly min: number;
  /** How many Runs the server executes at once; further Runs queue. A worker announces its slots, a test server 1. (v2) */
  readonly slots?: number;
  /** A human-readable identity of the end (host, pid, adapter), shown in reports. (v2) */
  readonly name?: string;
  /** A shared secret the other end may require before it accepts any command. (v2) */
  readonly token?: string;
  /** `testListDigest` of the tests the server can run, so a coordinator can refuse a worker with a different checkout. (v2) */
  readonly digest?: string;
}

/** The client is finished: the server cleans up and stops. No reply. (v1) */
export interface GoodbyeMessage {
  readonly msg: 'Goodbye';
}

/** Asks the server for `exists` packets of the tests it can run, then Done. (v1) */
export interface ListMessage {
  readonly msg: 'List';
  /** Only these ids (the ones the server knows); absent: every test. (v1) */
  readonly tests?: readonly string[];
  /** Echoed by the Done that answers this message. (v1) */
  readonly nonce: string;
}

/**
 * Asks the server to run tests, streaming their results, then Done. (v1)
 *
 * Order: a test server process runs its tests in strictly increasing discovery order (the
 * order its List answers, which for Python is `unittest discover`'s and `stestr list`'s),
 * across all the Runs it gets. A client sends each Run in that order, and sends tests that
 * lie at or before one a process already ran to a fresh process instead. baton's Python
 * server refuses to go back: such a test fails unrun, with a `reason` naming the test it
 * already ran. A worker (a server with slots) sorts each Run itself and keeps the rule per
 * slot by starting fresh test servers, so a coordinator may send any order there.
 *
 * Fixtures: class and module fixtures stay set up while their tests come one after
 * another, across Runs; Done does not wait for their teardown, which happens on a change
 * of class or module (reported during the Run that changes it), at Goodbye and when the
 * channel closes. A fixture's failure is a result of its own, under unittest's id
 * (`setUpClass (pkg.mod.Class)`, `tearDownModule (pkg.mod)`): an id outside the Run.
 */
export interface RunMessage {
  readonly msg: 'Run';
  /** The tests to run, in this order (see above); absent: every test. (v1) */
  readonly tests?: readonly string[];
  /** Echoed by the Done that answers this message. (v1) */
  readonly nonce: string;
  /** Seconds any one test may take before the server fails it as timed out. (v2) */
  readonly timeout?: number;
  /**
   * The slot (0-based, below the server's Hello `slots`) to run these tests on, after
   * what that slot already holds; absent: the server picks its least-loaded slot. (v2)
   */
  readonly slot?: number;
  /**
   * Run these tests in a test server process that has run nothing before (a fresh fork):
   * a retry of a test whose attempt failed. A worker finishes what the slot's process
   * holds first; later Runs may follow on the fresh process, in discovery order. A server
   * that does not know the field runs them as any Run. (v2)
   */
  readonly fresh?: boolean;
}

/**
 * Test server processes a worker started beyond each slot's first, since it began serving
 * this client: what a run's report counts. (v2)
 */
export interface ProcessCounts {
  /**
   * Started because a slot's next tests lay at or before, in discovery order, what its
   * process had already been given, or came in a `fresh` Run (the old one finished what
   * it held and exited first).
   */
  readonly fresh: number;
  /** Started to replace one that died or was killed (a crash, a test past its timeout). */
  readonly restarts: number;
}

/**
 * One test server process a worker started beyond a slot's first, and what it cost: the
 * moment a slot continued on a fresh process, which a timeline marks. Times are
 * milliseconds since the epoch on the worker's clock, the one its results are stamped
 * with. (v2)
 */
export interface ProcessStart {
  /** The slot (0-based, as in Run's `slot`). */
  readonly slot: number;
  /** Why: `fresh` to go back in discovery order, `restart` after a death (see ProcessCounts). */
  readonly cause: ProcessStartCause;
  /** When the worker asked for it: a fork of the fork server begins then, often while the old process still runs. */
  readonly askedMs: number;
  /** When it was ready to run tests. */
  readonly readyMs: number;
  /** When the slot handed it its first tests: from then on the slot runs on it. */
  readonly fromMs: number;
}

/** Why a worker started a test server process beyond a slot's first. */
export type ProcessStartCause = 'fresh' | 'restart';

/** The command with this nonce has completed. (v1) */
export interface DoneMessage {
  readonly msg: 'Done';
  /** The nonce of the List or Run this completes. (v1) */
  readonly nonce: string;
  /** A worker's totals so far, on the Done of a Run; test servers leave it out. (v2) */
  readonly processes?: ProcessCounts;
  /**
   * The processes the worker started (each one `processes` counts) since its previous Done
   * to this client, on the Done of a Run; absent when there were none. Every one is told
   * by the Done of the Run it first ran tests of, at the latest. (v2)
   */
  readonly starts?: readonly ProcessStart[];
}

/** Takes back tests of earlier Runs that have not started yet. Answered by Cancelled. (v2) */
export interface CancelMessage {
  readonly msg: 'Cancel';
  /** The tests to take back. (v2) */
  readonly tests: readonly string[];
  /** Echoed by the Cancelled that answers this message. (v2) */
  readonly nonce: string;
  /**
   * The sizes of consecutive slices of `tests` (each slice one scheduling unit, such as a
   * class under `group_regex`), adding up to `tests.length`: a slice is taken back whole
   * or not at all, so none of it comes back once any of its tests started or finished.
   * Absent: every test is a slice of its own. A server that speaks version 2 must honour
   * it. (v2)
   */
  readonly groups?: readonly number[];
}

/** Answers Cancel: these tests will not run; started or unknown ones are left out. (v2) */
export interface CancelledMessage {
  readonly msg: 'Cancelled';
  /** The subset of the Cancel's tests that had not started and never will. (v2) */
  readonly tests: readonly string[];
  /** The nonce of the Cancel. (v2) */
  readonly nonce: string;
}

/** A heartbeat; the peer answers Pong at once, even while a test runs. (v2) */
export interface PingMessage {
  readonly msg: 'Ping';
  /** Echoed by the Pong. (v2) */
  readonly nonce: string;
}

/** Answers Ping. (v2) */
export interface PongMessage {
  readonly msg: 'Pong';
  /** The nonce of the Ping. (v2) */
  readonly nonce: string;
}

/**
 * Something went wrong: a message was refused, or the sender is about to close the
 * channel. Also sent before the handshake completes (no common version, bad token),
 * when the peer's version is not yet known. (v2)
 */
export interface ErrorMessage {
  readonly msg: 'Error';
  /** A stable code such as `BATON_PROTOCOL_BAD_MESSAGE`. (v2) */
  readonly code: string;
  /** What went wrong, for people. (v2) */
  readonly message: string;
  /** The nonce of the message this refuses, when it refuses one. (v2) */
  readonly nonce?: string;
}

/** Every RPC message. */
export type Message =
  | HelloMessage
  | GoodbyeMessage
  | ListMessage
  | RunMessage
  | DoneMessage
  | CancelMessage
  | CancelledMessage
  | PingMessage
  | PongMessage
  | ErrorMessage;

/** The `msg` brand of a message. */
export type MessageName = Message['msg'];

/** Which end of a channel may send a message. */
export type Sender = 'client' | 'server' | 'either';

/** Where each message stands: the version it appeared in and who may send it. */
export const MESSAGE_SPECS: Readonly<Record<MessageName, { readonly since: number; readonly from: Sender }>> = {
  Hello: { since: 1, from: 'either' },
  Goodbye: { since: 1, from: 'client' },
  List: { since: 1, from: 'client' },
  Run: { since: 1, from: 'client' },
  Done: { since: 1, from: 'server' },
  Cancel: { since: 2, from: 'client' },
  Cancelled: { since: 2, from: 'server' },
  Ping: { since: 2, from: 'either' },
  Pong: { since: 2, from: 'either' },
  Error: { since: 2, from: 'either' },
};

/** Whether `name` exists at protocol `version`. */
export function supports(version: number, name: MessageName): boolean {
  return MESSAGE_SPECS[name].since <= version;
}
