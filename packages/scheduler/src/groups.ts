/** stestr's `parallel_class` group regex: everything up to the last dot, i.e. the class. */
export const CLASS_GROUP_REGEX = '([^\\.]*\\.)*';

/** A schedulable unit: test ids that run on one worker, in this order. */
export type Unit = readonly string[];

/**
 * The group key of a test id under stestr's `group_regex` semantics: the regex
 * is matched at the start of the id (Python's `re.match`) and the whole match
 * is the key; an id that does not match, or matches the empty string, is its
 * own group. (stestr's `group_callback` returns `match.group(0)`, and
 * `partition_tests` falls back to the id itself when the key is falsy.) So
 * stestr's own `parallel_class` regex `([^\.]*\.)*` groups by class.
 */
export function groupKeyOf(groupRegex: string | RegExp): (testId: string) => string {
  const source = typeof groupRegex === 'string' ? groupRegex : groupRegex.source;
  const flags = typeof groupRegex === 'string' ? '' : groupRegex.flags.replace(/[gy]/g, '');
  const re = new RegExp(source, `${flags}y`);
  return (testId) => {
    re.lastIndex = 0;
    const m = re.exec(testId);
    return m && m[0] !== '' ? m[0] : testId;
  };
}

/**
 * The class of a test id: what comes before its method, as Python's unittest writes ids
 * (`pkg.module.Class.test_method`, with testscenarios' `(scenario)` after the method).
 */
export function classOfTest(testId: string): string {
  const paren = testId.indexOf('(');
  const name = paren === -1 ? testId : testId.slice(0, paren);
  const dot = name.lastIndexOf('.');
  return dot === -1 ? testId : name.slice(0, dot);
}

/**
 * Tests that share a fixture with the other tests of their class or module (setUpClass,
 * setUpModule and their teardowns), as the test server's listing says.
 */
export interface SharedFixtures {
  readonly classFixtureTests?: ReadonlySet<string> | undefined;
  readonly moduleFixtureTests?: ReadonlySet<string> | undefined;
}

/**
 * Splits tests into units, in the order given, each placed where the first of its tests
 * appears. With a group regex, tests sharing a key form one unit. Tests that share a
 * fixture go together too: one unit per module with module fixtures, per class with class
 * fixtures, so that each fixture is set up once, in the one process that runs all its
 * tests (where a group regex joins some of them to other tests, the unit holds both).
 * Every other test is its own unit.
 */
export function groupTests(tests: readonly string[], groupRegex?: string | RegExp, fixtures: SharedFixtures = {}): Unit[] {
  const { classFixtureTests: classes, moduleFixtureTests: modules } = fixtures;
  if (groupRegex === undefined && !classes?.size && !modules?.size) return tests.map((t) => [t]);
  const regexKey = groupRegex === undefined ? undefined : groupKeyOf(groupRegex);
  // Keys are tagged apart, so that a module, a class and a test id that spell the same stay apart.
  const fixtureKey = (t: string): string | undefined =>
    modules?.has(t) ? `module ${classOfTest(classOfTest(t))}` : classes?.has(t) ? `class ${classOfTest(t)}` : undefined;
  const joined = new KeyUnion();
  const keys = tests.map((t) => {
    const own = regexKey === undefined ? `test ${t}` : `group ${regexKey(t)}`;
    const shared = fixtureKey(t);
    if (shared !== undefined) joined.join(own, shared);
    return own;
  });
  const byKey = new Map<string, string[]>();
  tests.forEach((t, i) => {
    const key = joined.find(keys[i]!);
    const unit = byKey.get(key);
    if (unit) unit.push(t);
    else byKey.set(key, [t]);
  });
  return [...byKey.values()];
}

/** Union-find over string keys: which keys were joined, directly or through others. */
class KeyUnion {
  private readonly parent = new Map<string, string>();

  find(key: string): string {
    let root = key;
    for (let up = this.parent.get(root); up !== undefined; up = this.parent.get(root)) root = up;
    // Path compression: every key on the way now points at the root.
    for (let at = key; at !== root; ) {
      const next = this.parent.get(at)!;
      this.parent.set(at, root);
      at = next;
    }
    return root;
  }

  join(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(rb, ra);
  }
}
