// Command-line reading shared by benchmarks that take `--flag value` options.

/**
 * Calls `handle` for each flag of `args` in order, with a reader of the flag's value
 * (which consumes the next argument, and throws if there is none).
 */
export function eachFlag(args: readonly string[], handle: (flag: string, value: () => string) => void): void {
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    handle(flag, () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    });
  }
}
