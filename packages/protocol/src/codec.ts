// Message <-> packet. A message is one subunit packet for RPC_TEST_ID whose file
// attachment is the message's UTF-8 JSON, so RPC and results share one byte stream.
import { encodePacket, type Packet } from '@baton/subunit';
import { ProtocolError } from './errors.js';
import {
  MAX_MESSAGE_BYTES,
  MESSAGE_SPECS,
  RPC_FILE_NAME,
  RPC_MIME_TYPE,
  RPC_TEST_ID,
  type Message,
  type MessageName,
  type ProcessStart,
} from './messages.js';

/** What one field must hold; a trailing `?` marks it optional. */
type Kind = 'string' | 'strings' | 'version' | 'count' | 'counts' | 'index' | 'seconds' | 'boolean' | 'processes' | 'starts';
type FieldSpec = Kind | `${Kind}?`;

const FIELDS: Readonly<Record<MessageName, Readonly<Record<string, FieldSpec>>>> = {
  Hello: { max: 'version', min: 'version', slots: 'count?', name: 'string?', token: 'string?', digest: 'string?' },
  Goodbye: {},
  List: { tests: 'strings?', nonce: 'string' },
  Run: { tests: 'strings?', nonce: 'string', timeout: 'seconds?', slot: 'index?', fresh: 'boolean?' },
  Done: { nonce: 'string', processes: 'processes?', starts: 'starts?' },
  Cancel: { tests: 'strings', nonce: 'string', groups: 'counts?' },
  Cancelled: { tests: 'strings', nonce: 'string' },
  Ping: { nonce: 'string' },
  Pong: { nonce: 'string' },
  Error: { code: 'string', message: 'string', nonce: 'string?' },
};

const KIND_CHECKS: Readonly<Record<Kind, { test: (v: unknown) => boolean; what: string }>> = {
  string: { test: (v) => typeof v === 'string', what: 'a string' },
  strings: { test: (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'), what: 'an array of strings' },
  version: { test: (v) => Number.isSafeInteger(v) && (v as number) >= 1, what: 'an integer >= 1' },
  count: { test: (v) => isCount(v), what: 'an integer >= 1' },
  counts: { test: (v) => Array.isArray(v) && v.every(isCount), what: 'an array of integers >= 1' },
  index: { test: (v) => Number.isSafeInteger(v) && (v as number) >= 0, what: 'an integer >= 0' },
  seconds: { test: (v) => typeof v === 'number' && Number.isFinite(v) && v > 0, what: 'a number of seconds > 0' },
  boolean: { test: (v) => typeof v === 'boolean', what: 'true or false' },
  processes: {
    test: (v) => typeof v === 'object' && v !== null && isTally((v as Record<string, unknown>)['fresh']) && isTally((v as Record<string, unknown>)['restarts']),
    what: 'an object with integers >= 0 fresh and restarts',
  },
  starts: {
    test: (v) => Array.isArray(v) && v.every(isProcessStart),
    what: "an array of objects with an integer slot >= 0, a cause 'fresh' or 'restart', and times askedMs, readyMs and fromMs (ms since the epoch)",
  },
};

function isProcessStart(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const time = (t: unknown) => typeof t === 'number' && Number.isFinite(t) && t >= 0;
  return isTally(s['slot']) && (s['cause'] === 'fresh' || s['cause'] === 'restart') && time(s['askedMs']) && time(s['readyMs']) && time(s['fromMs']);
}

function isCount(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 1;
}

function isTally(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/**
 * Why `groups` cannot slice `tests` (a Cancel's), or undefined when it can: the sizes of
 * the slices must add up to the number of tests.
 */
export function groupsProblem(tests: readonly string[], groups: readonly number[] | undefined): string | undefined {
  if (groups === undefined) return undefined;
  if (!groups.every(isCount)) return 'Cancel.groups must be an array of integers >= 1';
  const sum = groups.reduce((a, b) => a + b, 0);
  return sum === tests.length ? undefined : `Cancel.groups must add up to the ${tests.length} tests of the Cancel, not ${sum}`;
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether a packet carries an RPC message rather than a test result. */
export function isRpcPacket(packet: Packet): boolean {
  return packet.testId === RPC_TEST_ID;
}

/** The packet that carries `message`. Throws `BATON_PROTOCOL_TOO_LARGE` past MAX_MESSAGE_BYTES. */
export function messagePacket(message: Message): Packet {
  const content = utf8.encode(JSON.stringify(message));
  if (content.length > MAX_MESSAGE_BYTES) {
    throw new ProtocolError(
      'BATON_PROTOCOL_TOO_LARGE',
      `${message.msg} message of ${content.length} bytes exceeds the limit of ${MAX_MESSAGE_BYTES} bytes; send fewer tests per message`,
    );
  }
  return { testId: RPC_TEST_ID, mimeType: RPC_MIME_TYPE, file: { name: RPC_FILE_NAME, content }, eof: true };
}

/** The bytes of the packet that carries `message`. */
export function encodeMessage(message: Message): Uint8Array {
  return encodePacket(messagePacket(message));
}

/** A decoded message, or why the packet is not one (with its nonce, to address the Error reply). */
export type Decoded =
  | { readonly ok: true; readonly message: Message }
  | { readonly ok: false; readonly error: ProtocolError; readonly nonce: string | undefined };

/**
 * Reads the message an RPC packet carries. Never throws: malformed JSON, wrong field
 * types, an unknown `msg` or an oversized message come back as `ok: false` with a
 * ProtocolError to log and to send back. Unknown fields are dropped, so a newer peer
 * may add optional fields without breaking this reader.
 */
export function decodeMessage(packet: Packet): Decoded {
  const file = packet.file;
  if (file === undefined) return bad('BATON_PROTOCOL_BAD_MESSAGE', 'RPC packet without a JSON attachment');
  if (packet.mimeType !== undefined && !/^application\/json\s*(;|$)/i.test(packet.mimeType)) {
    return bad('BATON_PROTOCOL_BAD_MESSAGE', `RPC attachment has mime type '${packet.mimeType}', not ${RPC_MIME_TYPE}`);
  }
  if (file.content.length > MAX_MESSAGE_BYTES) {
    return bad('BATON_PROTOCOL_TOO_LARGE', `message of ${file.content.length} bytes exceeds the limit of ${MAX_MESSAGE_BYTES} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(file.content));
  } catch (cause) {
    return bad('BATON_PROTOCOL_BAD_MESSAGE', `message is not UTF-8 JSON: ${(cause as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return bad('BATON_PROTOCOL_BAD_MESSAGE', 'message is not a JSON object');
  }
  const record = value as Record<string, unknown>;
  const nonce = typeof record['nonce'] === 'string' ? record['nonce'] : undefined;
  const name = record['msg'];
  if (typeof name !== 'string') return bad('BATON_PROTOCOL_BAD_MESSAGE', "message has no string 'msg' field", nonce);
  if (!Object.hasOwn(MESSAGE_SPECS, name)) {
    return bad('BATON_PROTOCOL_UNKNOWN_MESSAGE', `unknown message '${name.slice(0, 64)}'`, nonce);
  }
  const out: Record<string, unknown> = { msg: name };
  for (const [field, spec] of Object.entries(FIELDS[name as MessageName])) {
    const optional = spec.endsWith('?');
    const check = KIND_CHECKS[(optional ? spec.slice(0, -1) : spec) as Kind];
    const v = record[field];
    if (v === undefined && optional) continue;
    if (!check.test(v)) return bad('BATON_PROTOCOL_BAD_MESSAGE', `${name}.${field} must be ${check.what}`, nonce);
    out[field] = v;
  }
  if (name === 'Hello' && (out['min'] as number) > (out['max'] as number)) {
    return bad('BATON_PROTOCOL_BAD_MESSAGE', `Hello.min ${String(out['min'])} is above Hello.max ${String(out['max'])}`);
  }
  if (name === 'Cancel') {
    const problem = groupsProblem(out['tests'] as string[], out['groups'] as number[] | undefined);
    if (problem !== undefined) return bad('BATON_PROTOCOL_BAD_MESSAGE', problem, nonce);
  }
  if (name === 'Done' && out['processes'] !== undefined) {
    const { fresh, restarts } = out['processes'] as { fresh: number; restarts: number };
    out['processes'] = { fresh, restarts };
  }
  if (name === 'Done' && out['starts'] !== undefined) {
    out['starts'] = (out['starts'] as ProcessStart[]).map(({ slot, cause, askedMs, readyMs, fromMs }) => ({ slot, cause, askedMs, readyMs, fromMs }));
  }
  return { ok: true, message: out as unknown as Message };
}

function bad(code: 'BATON_PROTOCOL_BAD_MESSAGE' | 'BATON_PROTOCOL_UNKNOWN_MESSAGE' | 'BATON_PROTOCOL_TOO_LARGE', message: string, nonce?: string): Decoded {
  return { ok: false, error: new ProtocolError(code, message), nonce };
}
