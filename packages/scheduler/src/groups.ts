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
 * Splits tests into units: with a group regex, tests sharing a key form one
 * unit, in the order given, placed where the first of them appears; without
 * one, every test is its own unit.
 */
export function groupTests(tests: readonly string[], groupRegex?: string | RegExp): Unit[] {
  if (groupRegex === undefined) return tests.map((t) => [t]);
  const keyOf = groupKeyOf(groupRegex);
  const byKey = new Map<string, string[]>();
  for (const t of tests) {
    const key = keyOf(t);
    const unit = byKey.get(key);
    if (unit) unit.push(t);
    else byKey.set(key, [t]);
  }
  return [...byKey.values()];
}
