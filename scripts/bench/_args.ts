// Shared command-line reading for benchmarks: `--flag [value]` pairs, each flag handled by
// the benchmark, every bad value refused with the flag's name.

/** What a flag's handler can take from the arguments that follow it. */
export interface FlagValue {
  /** The next argument, which must be there. */
  text(): string;
  /** The next argument as a number above 0. */
  positive(): number;
}

/** Calls `on` for each flag in `args` in order; `on` takes the flag's value, if it has one, through `value`. */
export function eachFlag(args: string[], on: (flag: string, value: FlagValue) => void): void {
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const text = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    on(flag, {
      text,
      positive: () => {
        const n = Number(text());
        if (!(n > 0)) throw new Error(`${flag} takes a positive number`);
        return n;
      },
    });
  }
}
