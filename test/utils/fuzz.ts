// Seeded, bounded fuzzing of baton's input readers. Every case draws from its own
// generator, seeded from the target's seed and the case number, so a failure names the
// case that reproduces it alone (BATON_FUZZ_CASE=N). `npm test` runs a slice of each
// target; `npm run fuzz` (BATON_FUZZ_CASES=100000) runs the full count.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { PlanError, ValidationError, WorkloadError } from '@baton/scheduler';
import { int, rng } from '../../packages/subunit/src/test-support/random.js';

export { int, rng };

/** A seeded source of floats in [0, 1). */
export type Rng = () => number;

/** How a reader answered one case. */
export type Outcome = 'accepted' | 'refused';

/** A case may run this long before it counts as a hang (generous: the machine is shared). */
export const CASE_BOUND_MS = 2_000;

/**
 * Cases for one target: the slice given here in `npm test`, BATON_FUZZ_CASES under `npm
 * run fuzz`, or at most `cap` of those for a target whose case is a whole command.
 */
export function caseCount(slice: number, cap = Number.POSITIVE_INFINITY): number {
  const full = Number(process.env['BATON_FUZZ_CASES']);
  return Number.isSafeInteger(full) && full > 0 ? Math.min(full, cap) : slice;
}

export interface FuzzOptions<I> {
  readonly seed: number;
  readonly cases: number;
  /** The input of case `i`, from its own generator. */
  readonly input: (r: Rng, i: number) => I;
  /** Feeds the input to the reader and asserts the properties; throws on a violation. */
  readonly check: (input: I) => Outcome;
  /** A short printable form of an input, for the failure message. */
  readonly show: (input: I) => string;
}

export interface FuzzReport {
  readonly cases: number;
  readonly accepted: number;
  readonly refused: number;
  /** The slowest case, so that `npm run fuzz` shows how far from the bound the worst input is. */
  readonly slowestMs: number;
  readonly slowestCase: number;
}

/**
 * Runs `cases` cases (or only BATON_FUZZ_CASE). A property violation, an unexpected
 * throw or a case over CASE_BOUND_MS fails with the case number and its input.
 */
export function fuzz<I>(options: FuzzOptions<I>): FuzzReport {
  const tally = new Tally(options, CASE_BOUND_MS);
  for (const i of tally.cases()) {
    const input = options.input(rng(caseSeed(options.seed, i)), i);
    const start = performance.now();
    let outcome: Outcome;
    try {
      outcome = options.check(input);
    } catch (error) {
      throw tally.failure(i, input, error);
    }
    tally.record(i, input, performance.now() - start, outcome);
  }
  return tally.report();
}

/** `fuzz` for checks that run something asynchronously (a whole command), each within `boundMs`. */
export async function fuzzAsync<I>(options: Omit<FuzzOptions<I>, 'check'> & { readonly check: (input: I) => Promise<Outcome>; readonly boundMs: number }): Promise<FuzzReport> {
  const tally = new Tally(options, options.boundMs);
  for (const i of tally.cases()) {
    const input = options.input(rng(caseSeed(options.seed, i)), i);
    const start = performance.now();
    let outcome: Outcome;
    try {
      outcome = await options.check(input);
    } catch (error) {
      throw tally.failure(i, input, error);
    }
    tally.record(i, input, performance.now() - start, outcome);
  }
  return tally.report();
}

/** The cases a fuzz target runs, what they did, and the failure that names one. */
class Tally<I> {
  private readonly first: number;
  private readonly end: number;
  private accepted = 0;
  private slowestMs = 0;
  private slowestCase: number;

  constructor(
    private readonly options: Pick<FuzzOptions<I>, 'seed' | 'cases' | 'show'>,
    private readonly boundMs: number,
  ) {
    const only = process.env['BATON_FUZZ_CASE'];
    this.first = only === undefined ? 0 : Number(only);
    this.end = only === undefined ? options.cases : this.first + 1;
    this.slowestCase = this.first;
  }

  *cases(): Generator<number> {
    for (let i = this.first; i < this.end; i++) yield i;
  }

  failure(i: number, input: I, error: unknown): Error {
    const e = error as Error;
    return new Error(`fuzz case ${i} (seed ${this.options.seed}; rerun with BATON_FUZZ_CASE=${i}): ${e.message}\ninput: ${this.options.show(input)}`, { cause: e });
  }

  record(i: number, input: I, ms: number, outcome: Outcome): void {
    if (ms > this.slowestMs) {
      this.slowestMs = ms;
      this.slowestCase = i;
    }
    if (ms > this.boundMs) throw new Error(`fuzz case ${i} (seed ${this.options.seed}) took ${Math.round(ms)} ms, over the ${this.boundMs} ms bound\ninput: ${this.options.show(input)}`);
    if (outcome === 'accepted') this.accepted++;
  }

  report(): FuzzReport {
    const cases = this.end - this.first;
    return { cases, accepted: this.accepted, refused: cases - this.accepted, slowestMs: this.slowestMs, slowestCase: this.slowestCase };
  }
}

/**
 * Both paths of a reader were really exercised: more than `accepted` and `refused` of the
 * cases (shares of 1) went each way. Skipped when BATON_FUZZ_CASE reruns a single case.
 */
export function assertExercised(report: FuzzReport, shares: { readonly accepted: number; readonly refused: number }): void {
  if (process.env['BATON_FUZZ_CASE'] !== undefined) return;
  assert.ok(report.accepted > report.cases * shares.accepted, `only ${report.accepted} of ${report.cases} cases accepted`);
  assert.ok(report.refused > report.cases * shares.refused, `only ${report.refused} of ${report.cases} cases refused`);
}

/** One line for `t.diagnostic`. */
export function summary(report: FuzzReport): string {
  return `${report.cases} cases: ${report.accepted} accepted, ${report.refused} refused; slowest case ${report.slowestCase} took ${report.slowestMs.toFixed(1)} ms`;
}

function caseSeed(seed: number, i: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(i + 1, 0x85ebca6b)) >>> 0;
}

export function pick<T>(r: Rng, items: readonly T[]): T {
  return items[int(r, items.length)]!;
}

/** A printable preview of bytes. */
export function hex(bytes: Uint8Array, max = 200): string {
  const shown = Buffer.from(bytes.subarray(0, max)).toString('hex');
  return `${bytes.length} bytes: ${shown}${bytes.length > max ? '…' : ''}`;
}

/** A printable preview of text. */
export function preview(text: string, max = 400): string {
  return `${text.length} chars: ${JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text)}`;
}

// Bytes at the edges of subunit's fields: the signature, varint prefixes of each width,
// the largest values of one, two and three varint bytes.
const BOUNDARY_BYTES: readonly (readonly number[])[] = [
  [0x00], [0xff], [0x7f], [0x80], [0xb3], [0x3f], [0x40, 0x00], [0x7f, 0xff], [0x80, 0x00, 0x00], [0xbf, 0xff, 0xff],
  [0xc0, 0x00, 0x00, 0x00], [0xff, 0xff, 0xff, 0xff], [0xb3, 0x29, 0x01], [0xb3, 0x20, 0x00],
];

/**
 * 1 to 6 edits of `input`: bit flips, deletions, insertions of random or boundary bytes,
 * truncation, overwrites, duplicated ranges and splices from other seeds.
 */
export function mutateBytes(r: Rng, input: Uint8Array, pool: readonly Uint8Array[]): Uint8Array {
  let bytes = input;
  const edits = 1 + int(r, 6);
  for (let k = 0; k < edits; k++) {
    const at = int(r, bytes.length + 1);
    switch (int(r, 9)) {
      case 0:
        if (at < bytes.length) bytes = withByte(bytes, at, bytes[at]! ^ (1 << int(r, 8)));
        break;
      case 1:
        bytes = join(bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + int(r, 16))));
        break;
      case 2:
        bytes = insert(bytes, at, Uint8Array.from({ length: 1 + int(r, 16) }, () => int(r, 256)));
        break;
      case 3:
        bytes = insert(bytes, at, Uint8Array.from(pick(r, BOUNDARY_BYTES)));
        break;
      case 4:
        bytes = bytes.subarray(0, at);
        break;
      case 5:
        if (at < bytes.length) bytes = withByte(bytes, at, int(r, 256));
        break;
      case 6: {
        const from = int(r, bytes.length + 1);
        bytes = insert(bytes, at, bytes.slice(from, from + 1 + int(r, 64)));
        break;
      }
      case 7: {
        // A splice: the head of this input and the tail of another.
        const other = pick(r, pool);
        bytes = join(bytes.subarray(0, at), other.subarray(int(r, other.length + 1)));
        break;
      }
      default: {
        const other = pick(r, pool);
        const from = int(r, other.length + 1);
        bytes = insert(bytes, at, other.subarray(from, from + 1 + int(r, 256)));
      }
    }
  }
  return bytes;
}

function withByte(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice();
  out[at] = value;
  return out;
}

function insert(bytes: Uint8Array, at: number, extra: Uint8Array): Uint8Array {
  return join(join(bytes.subarray(0, at), extra), bytes.subarray(at));
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

// Characters that matter to JSON and INI readers, and text at Unicode's edges.
const SIGNIFICANT = [
  '{', '}', '[', ']', '"', ':', ',', '=', '\\', '\n', '\r\n', ' ', '\t', '#', ';', '-', '.', '0', '1', 'e', 'E', '+',
  'null', 'true', 'false', '\\u0000', '\\ud800', '\u0000', '\ud800', '\udfff', '\u2028', '\ufeff', 'é', '🙂', '\\"', '[DEFAULT]',
];
// Numbers at the edges of what readers check: zero, negatives, fractions, beyond 2^53,
// beyond a double (1e400 parses as Infinity), and forms JSON refuses.
const NUMBERS = ['0', '-0', '-1', '1', '0.5', '1.5', '2', '1e-7', '1e308', '1e400', '-1e400', '9007199254740993', '4294967296', '01', '1.', 'NaN', 'Infinity', '0x10'];

/** 1 to 4 edits of `text`: deletions, insertions of significant characters or boundary numbers, truncation, duplication, splices. */
export function mutateText(r: Rng, text: string, pool: readonly string[]): string {
  let s = text;
  const edits = 1 + int(r, 4);
  for (let k = 0; k < edits; k++) {
    const at = int(r, s.length + 1);
    switch (int(r, 8)) {
      case 0:
        s = s.slice(0, at) + s.slice(at + 1 + int(r, 8));
        break;
      case 1:
        s = s.slice(0, at) + pick(r, SIGNIFICANT) + s.slice(at);
        break;
      case 2:
        s = s.slice(0, at) + pick(r, NUMBERS) + s.slice(at);
        break;
      case 3:
        s = s.slice(0, at);
        break;
      case 4: {
        const from = int(r, s.length + 1);
        s = s.slice(0, at) + s.slice(from, from + 1 + int(r, 40)) + s.slice(at);
        break;
      }
      case 5: {
        const other = pick(r, pool);
        s = s.slice(0, at) + other.slice(int(r, other.length + 1));
        break;
      }
      case 6:
        // A number in place: the digits at `at` become a boundary number.
        s = s.replace(/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (m, offset: number) => (offset >= at && r() < 0.5 ? pick(r, NUMBERS) : m));
        break;
      default:
        s = s.slice(0, at) + String.fromCharCode(int(r, 0x10000)) + s.slice(at);
    }
  }
  return s;
}

/** A JSON value whose edges readers check: boundary numbers, empty and odd strings, deep or empty containers. */
export function boundaryValue(r: Rng): unknown {
  switch (int(r, 14)) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return pick(r, [0, -0, -1, 1, 0.5, 2, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 32, 1e-7]);
    case 3: return '';
    case 4: return pick(r, ['a', ' ', '\u0000', '\ud800', '🙂', '__proto__', 'constructor', '$.x[0]', 'a.b', 'x"y', '\n']);
    case 5: return 'x'.repeat(1 + int(r, 5000));
    case 6: return [];
    case 7: return {};
    case 8: return [pick(r, ['a', 1, null])];
    case 9: return { [pick(r, ['a', '', '__proto__', 'toString', 'a b', 'ü'])]: 1 };
    case 10: return nest(1 + int(r, 2000));
    case 11: return Array.from({ length: int(r, 3000) }, (_, i) => `t${i}`);
    case 12: return Array.from({ length: 1 + int(r, 5) }, () => 'dup');
    default: return generateJson(r, 3);
  }
}

function nest(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** A random JSON value, up to `depth` containers deep. */
export function generateJson(r: Rng, depth: number): unknown {
  const kind = depth <= 0 ? int(r, 4) : int(r, 6);
  switch (kind) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return r() < 0.5 ? int(r, 10) : (r() - 0.5) * 10 ** int(r, 20);
    case 3: return pick(r, ['', 'a', 'test_x', 'pkg.mod.T.test_a', '1', 'version', 'segments', 'tests', '🙂']);
    case 4: return Array.from({ length: int(r, 5) }, () => generateJson(r, depth - 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let k = int(r, 5); k > 0; k--) out[pick(r, ['version', 'segments', 'tests', 'name', 'concurrency', 'a', 'msg', 'nonce', ''])] = generateJson(r, depth - 1);
      return out;
    }
  }
}

/**
 * 1 to 3 structural edits of a JSON value: a node replaced by a boundary value, a value
 * of another type or a subtree of another seed; a key deleted or added; an array element
 * duplicated, dropped or the array emptied.
 */
export function mutateJson(r: Rng, value: unknown, pool: readonly unknown[]): unknown {
  let root = structuredClone(value);
  const edits = 1 + int(r, 3);
  for (let k = 0; k < edits; k++) {
    const nodes: { parent: Record<string, unknown> | unknown[] | undefined; key: string | number; value: unknown }[] = [];
    collect(root, undefined, '', nodes);
    const node = pick(r, nodes);
    const replace = (v: unknown): void => {
      if (node.parent === undefined) root = v;
      else (node.parent as Record<string | number, unknown>)[node.key] = v;
    };
    const target = node.value;
    switch (int(r, 7)) {
      case 0: replace(boundaryValue(r)); break;
      case 1: replace(generateJson(r, 2)); break;
      case 2: replace(structuredClone(pickNode(r, pick(r, pool)))); break;
      case 3:
        if (Array.isArray(node.parent)) node.parent.splice(node.key as number, 1);
        else if (node.parent !== undefined) delete node.parent[node.key as string];
        break;
      case 4:
        if (isObject(target)) target[pick(r, ['extra', 'version', 'segments', 'tests', 'name', 'concurrency', 'workers', 'msg', '__proto__', 'a.b'])] = boundaryValue(r);
        else replace(boundaryValue(r));
        break;
      case 5:
        if (Array.isArray(target) && target.length > 0) target.splice(int(r, target.length + 1), 0, structuredClone(pick(r, target)));
        else replace([target]);
        break;
      default:
        if (Array.isArray(target)) target.length = int(r, target.length + 1);
        else replace({ value: target });
    }
  }
  return root;
}

function collect(value: unknown, parent: Record<string, unknown> | unknown[] | undefined, key: string | number, out: { parent: Record<string, unknown> | unknown[] | undefined; key: string | number; value: unknown }[]): void {
  out.push({ parent, key, value });
  if (out.length > 500) return;
  if (Array.isArray(value)) value.forEach((v, i) => collect(v, value, i, out));
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) collect(v, value, k, out);
}

function pickNode(r: Rng, value: unknown): unknown {
  const nodes: { parent: Record<string, unknown> | unknown[] | undefined; key: string | number; value: unknown }[] = [];
  collect(value, undefined, '', nodes);
  return pick(r, nodes).value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The text of a JSON-shaped input for one case: a valid seed as is, a structural
 * mutation of one, a text-level mutation of one (malformed JSON, boundary numbers), or a
 * random value.
 */
/**
 * Fuzzes a JSON document reader (plans, workloads): seeded random and mutated documents
 * from `seeds` and `texts`, each judged by `check`; at least 1 in 20 accepted and 1 in 4
 * refused, so that both paths are exercised.
 */
export function fuzzJsonReader(
  t: { diagnostic(message: string): void },
  options: { readonly seed: number; readonly seeds: readonly unknown[]; readonly texts: readonly string[]; readonly check: (text: string) => Outcome },
): void {
  const report = fuzz({
    seed: options.seed,
    cases: caseCount(10_000),
    input: (r) => jsonCase(r, options.seeds, options.texts),
    check: options.check,
    show: preview,
  });
  t.diagnostic(summary(report));
  assertExercised(report, { accepted: 1 / 20, refused: 1 / 4 });
}

export function jsonCase(r: Rng, seeds: readonly unknown[], texts: readonly string[]): string {
  const choice = int(r, 10);
  if (choice === 0) return pick(r, texts);
  if (choice <= 4) return JSON.stringify(mutateJson(r, pick(r, seeds), seeds), null, r() < 0.5 ? undefined : 2);
  if (choice <= 8) return mutateText(r, pick(r, texts), texts);
  return JSON.stringify(generateJson(r, 4));
}

/**
 * The value a JSONPath such as `$.segments[2]["a b"].tests[0]` names in `doc`, or
 * `missing` when the path does not lead anywhere. Refusals must point at a real place.
 */
function atJsonPath(doc: unknown, path: string): { found: true; value: unknown } | { found: false } {
  if (!path.startsWith('$')) return { found: false };
  let value = doc;
  const step = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  step.lastIndex = 1;
  while (step.lastIndex < path.length) {
    const m = step.exec(path);
    if (m === null) return { found: false };
    const key: string | number = m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string));
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return { found: false };
    value = (value as Record<string | number, unknown>)[key];
  }
  return { found: true, value };
}

/** Whether a path names a value in the document, or a missing member of a value that is there. */
function pointsIntoDocument(doc: unknown, path: string): boolean {
  if (atJsonPath(doc, path).found) return true;
  const parent = /^(.*)(?:\.[A-Za-z_$][\w$]*|\["(?:[^"\\]|\\.)*"\])$/.exec(path)?.[1];
  return parent !== undefined && atJsonPath(doc, parent).found;
}

/**
 * The properties of a refused plan or workload: a ValidationError with `code` listing
 * problems of the expected codes, each naming the file and either the line and column of
 * a syntax error inside the text, or a JSON path that leads into the document.
 */
export function assertLocatedRefusal(error: unknown, text: string, expect: { readonly code: ValidationError['code']; readonly file: string; readonly codes: RegExp }): void {
  assert.ok(error instanceof ValidationError, `threw ${String(error)} instead of a ValidationError`);
  assert.equal(error.code, expect.code);
  assert.ok(error.errors.length > 0, 'a refusal lists its problems');
  let doc: unknown;
  for (const e of error.errors) {
    assert.ok(e instanceof PlanError || e instanceof WorkloadError, String(e));
    assert.match(e.code, expect.codes);
    assert.ok(e.message.startsWith(`${expect.file}: `), `the message names the file: ${e.message}`);
    if (e.code.endsWith('_BAD_JSON')) {
      assert.ok(e.offset !== undefined && e.offset >= 0 && e.offset <= text.length, `syntax error offset ${e.offset} inside the text`);
      assert.ok(e.line! >= 1 && e.column! >= 1);
      assert.match(e.message, /line \d+ column \d+/);
      continue;
    }
    doc ??= JSON.parse(text);
    assert.ok(e.message.includes(e.jsonPath), `the message names its JSON path ${e.jsonPath}: ${e.message}`);
    assert.ok(pointsIntoDocument(doc, e.jsonPath), `${e.jsonPath} names no place in the document (${e.message})`);
  }
}
