// What both processes of `npm run bench -- load` agree on: the test ids (so that the
// workers' Hello carries the digest the coordinator checks) and how flags are passed.

/** `count` no-op test ids, 1,000 to a module, in discovery order. */
export function loadTestIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `load.m${String(Math.floor(i / 1000)).padStart(3, '0')}.T.test_${String(i).padStart(6, '0')}`);
}

/** `--name value` pairs; every name in `required` must be there. */
export function parseFlags(argv: readonly string[], required: readonly string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) flags[argv[i]!.replace(/^--/, '')] = argv[i + 1]!;
  const missing = required.filter((name) => flags[name] === undefined);
  if (missing.length > 0) throw new Error(`missing ${missing.map((m) => `--${m}`).join(', ')}`);
  return flags;
}
