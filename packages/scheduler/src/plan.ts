import { PlanError, ValidationError } from './errors.js';
import { groupTests, type SharedFixtures, type Unit } from './groups.js';
import { memberPath, parseJson } from './json.js';

/** One segment of a plan as written: its tests may run together; segments never overlap. */
export interface PlanSegment {
  readonly name: string;
  readonly tests: readonly string[];
  /** At most this many workers run the segment at once; undefined means no limit. */
  readonly concurrency?: number | undefined;
  /** JSONPath of the segment's test list in the source, for later errors. */
  readonly testsPath?: string | undefined;
}

/** A validated plan. Both the object form and the bare list-of-lists form parse to this. */
export interface Plan {
  readonly version: 1;
  readonly segments: readonly PlanSegment[];
  /** The file the plan was read from, for later errors. */
  readonly file?: string | undefined;
}

/** A segment ready to schedule: tests resolved against the selection and grouped into units. */
export interface Segment {
  readonly name: string;
  readonly concurrency?: number | undefined;
  readonly units: readonly Unit[];
}

/** Where a plan came from, for error messages. */
export interface PlanSource {
  /** File name to put in errors. */
  readonly file?: string | undefined;
  /** JSONPath of the plan inside a larger document. @default '$' */
  readonly jsonPath?: string | undefined;
}

/**
 * Parses a plan from JSON text. Throws a ValidationError (code
 * `BATON_PLAN_INVALID`) listing every problem; each is a PlanError with its
 * own code and JSON path. A syntax error carries line, column and offset.
 */
export function parsePlan(text: string, source: PlanSource = {}): Plan {
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { message, line, column, offset } = parsed.problem;
    const error = new PlanError('BATON_PLAN_BAD_JSON', `malformed JSON: ${message}`, {
      jsonPath: source.jsonPath ?? '$',
      file: source.file,
      line,
      column,
      offset,
    });
    throw new ValidationError('BATON_PLAN_INVALID', 'plan', [error]);
  }
  return planFromJson(parsed.value, source);
}

/** Validates an already parsed value as a plan; throws like parsePlan. */
export function planFromJson(value: unknown, source: PlanSource = {}): Plan {
  const problems: PlanError[] = [];
  const plan = checkPlan(value, source, problems);
  if (problems.length > 0 || !plan) throw new ValidationError('BATON_PLAN_INVALID', 'plan', problems);
  return plan;
}

/**
 * Validates a plan value, appending problems instead of throwing, so that a
 * workload file can report its plan's problems together with its own.
 */
export function checkPlan(value: unknown, source: PlanSource, problems: PlanError[]): Plan | undefined {
  const base = source.jsonPath ?? '$';
  const file = source.file;
  const problem = (code: PlanError['code'], message: string, jsonPath: string, testId?: string): void => {
    problems.push(new PlanError(code, message, { jsonPath, file, testId }));
  };
  const before = problems.length;
  let rawSegments: unknown;
  let segmentsPath: string;
  let bare: boolean;
  if (Array.isArray(value)) {
    rawSegments = value;
    segmentsPath = base;
    bare = true;
  } else if (isRecord(value)) {
    bare = false;
    segmentsPath = `${base}.segments`;
    rawSegments = value['segments'];
    if (value['version'] !== 1)
      problem('BATON_PLAN_BAD_VERSION', `expected "version": 1, found ${describe(value['version'])}`, `${base}.version`);
    for (const key of Object.keys(value))
      if (key !== 'version' && key !== 'segments') problem('BATON_PLAN_BAD_TYPE', `unknown property ${JSON.stringify(key)}`, memberPath(base, key));
    if (!Array.isArray(rawSegments)) {
      problem('BATON_PLAN_BAD_TYPE', `expected "segments" to be an array, found ${describe(rawSegments)}`, segmentsPath);
      return undefined;
    }
  } else {
    problem('BATON_PLAN_BAD_TYPE', `expected a plan object {"version": 1, "segments": [...]} or a list of lists of test ids, found ${describe(value)}`, base);
    return undefined;
  }
  const firstSeen = new Map<string, string>();
  const segments: PlanSegment[] = [];
  (rawSegments as unknown[]).forEach((raw, i) => {
    const path = `${segmentsPath}[${i}]`;
    let name = `segment ${i + 1}`;
    let rawTests: unknown;
    let testsPath: string;
    let concurrency: number | undefined;
    if (bare) {
      rawTests = raw;
      testsPath = path;
    } else if (isRecord(raw)) {
      testsPath = `${path}.tests`;
      rawTests = raw['tests'];
      for (const key of Object.keys(raw))
        if (key !== 'name' && key !== 'tests' && key !== 'concurrency') problem('BATON_PLAN_BAD_TYPE', `unknown property ${JSON.stringify(key)}`, memberPath(path, key));
      if (raw['name'] !== undefined) {
        if (typeof raw['name'] === 'string' && raw['name'] !== '') name = raw['name'];
        else problem('BATON_PLAN_BAD_TYPE', `expected "name" to be a non-empty string, found ${describe(raw['name'])}`, `${path}.name`);
      }
      const c = raw['concurrency'];
      if (c !== undefined) {
        if (typeof c === 'number' && Number.isInteger(c) && c >= 1) concurrency = c;
        else problem('BATON_PLAN_BAD_TYPE', `expected "concurrency" to be a positive integer, found ${describe(c)}`, `${path}.concurrency`);
      }
    } else {
      problem('BATON_PLAN_BAD_TYPE', `expected a segment object {"name", "tests", "concurrency"?}, found ${describe(raw)}`, path);
      return;
    }
    if (!Array.isArray(rawTests)) {
      problem('BATON_PLAN_BAD_TYPE', `expected a list of test ids, found ${describe(rawTests)}`, testsPath);
      return;
    }
    if (rawTests.length === 0) problem('BATON_PLAN_EMPTY_SEGMENT', `segment "${name}" has no tests; remove it or add tests`, testsPath);
    const tests: string[] = [];
    rawTests.forEach((t: unknown, j) => {
      const tPath = `${testsPath}[${j}]`;
      if (typeof t !== 'string' || t === '') {
        problem('BATON_PLAN_BAD_TYPE', `expected a test id (non-empty string), found ${describe(t)}`, tPath);
        return;
      }
      const seen = firstSeen.get(t);
      if (seen !== undefined) {
        problem('BATON_PLAN_DUPLICATE_TEST', `test "${t}" is already named at ${seen}; a test may appear once in a plan`, tPath, t);
        return;
      }
      firstSeen.set(t, tPath);
      tests.push(t);
    });
    segments.push({ name, tests, concurrency, testsPath });
  });
  if (problems.length > before) return undefined;
  return { version: 1, segments, file };
}

/** What to do with selected tests that the plan does not name. */
export type UnnamedPolicy = 'refuse' | 'append';

/** Options for resolvePlan. */
export interface ResolveOptions {
  /**
   * Every test that exists (discovered), when it is more than the selection:
   * a plan test that exists but is not selected is dropped silently (a user
   * filter), a plan test that does not exist is an error.
   * @default the selection
   */
  readonly known?: Iterable<string> | undefined;
  /**
   * `refuse`: selected tests the plan does not name are an error
   * (`BATON_PLAN_UNNAMED_TESTS`, listing them). `append`: they run last, as an
   * extra segment named `unnamed` with no concurrency limit.
   * @default 'refuse'
   */
  readonly unnamed?: UnnamedPolicy | undefined;
  /** stestr `group_regex`: tests with equal keys form one unit (within a segment). */
  readonly groupRegex?: string | RegExp | undefined;
  /** Without a group regex: tests that share fixtures, grouped by module or class (`groupTests`). */
  readonly fixtures?: SharedFixtures | undefined;
  /** File name for errors. */
  readonly file?: string | undefined;
}

/**
 * Turns a plan and the selected tests into segments of units. Without a plan
 * every selected test is in one unlimited segment. Throws a ValidationError
 * listing every unknown test and, under the `refuse` policy, the unnamed ones.
 * Segments left empty by the selection are dropped.
 */
export function resolvePlan(plan: Plan | undefined, selected: readonly string[], options: ResolveOptions = {}): Segment[] {
  if (!plan) return [{ name: 'all', units: groupTests(selected, options.groupRegex, options.fixtures) }];
  const selectedSet = new Set(selected);
  const known = options.known ? new Set(options.known) : selectedSet;
  const problems: PlanError[] = [];
  const named = new Set<string>();
  const segments: Segment[] = [];
  plan.segments.forEach((segment, i) => {
    const tests: string[] = [];
    segment.tests.forEach((t, j) => {
      named.add(t);
      if (!known.has(t) && !selectedSet.has(t))
        problems.push(
          new PlanError('BATON_PLAN_UNKNOWN_TEST', `unknown test "${t}" in segment "${segment.name}"; is the id exact and the test discoverable?`, {
            jsonPath: `${segment.testsPath ?? `$.segments[${i}].tests`}[${j}]`,
            testId: t,
            file: options.file ?? plan.file,
          }),
        );
      else if (selectedSet.has(t)) tests.push(t);
    });
    if (tests.length > 0) segments.push({ name: segment.name, concurrency: segment.concurrency, units: groupTests(tests, options.groupRegex, options.fixtures) });
  });
  const unnamed = selected.filter((t) => !named.has(t));
  if (unnamed.length > 0) {
    if ((options.unnamed ?? 'refuse') === 'append') segments.push({ name: 'unnamed', units: groupTests(unnamed, options.groupRegex, options.fixtures) });
    else {
      const shown = unnamed.slice(0, 10).join(', ');
      const more = unnamed.length > 10 ? ` and ${unnamed.length - 10} more` : '';
      problems.push(
        new PlanError(
          'BATON_PLAN_UNNAMED_TESTS',
          `${unnamed.length} selected test${unnamed.length === 1 ? ' is' : 's are'} not in the plan: ${shown}${more}; add them to a segment, narrow the selection, or append them as a final segment (unnamed: 'append', --plan-unnamed append)`,
          { jsonPath: '$', file: options.file ?? plan.file, tests: unnamed },
        ),
      );
    }
  }
  if (problems.length > 0) throw new ValidationError('BATON_PLAN_INVALID', 'plan', problems);
  return segments;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}
