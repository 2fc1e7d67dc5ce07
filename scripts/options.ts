/**
 * The `--name N` options of a script (`--coordinator-kills` for `coordinatorKills`), each
 * a positive whole number, with their defaults; a bad value ends the script with exit 2.
 */
export function wholeNumbers<T extends Record<string, number>>(script: string, argv: readonly string[], defaults: T): T {
  const out: Record<string, number> = { ...defaults };
  for (const key of Object.keys(defaults)) {
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    const i = argv.indexOf(flag);
    if (i === -1) continue;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n <= 0) {
      console.error(`${script}: ${flag} takes a positive whole number, not ${JSON.stringify(argv[i + 1])}`);
      process.exit(2);
    }
    out[key] = n;
  }
  return out as T;
}
