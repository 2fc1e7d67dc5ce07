/** A live display that lines must be printed above (the progress block on a terminal). */
export interface LiveDisplay {
  /** Erases the display, calls `print`, and draws the display again below what it printed. */
  above(print: () => void): void;
}

/**
 * Where a run's log lines go ("killing its test server…"): stderr, each after `baton: `.
 * While a live display is drawn on the terminal, each line goes above it, so that a
 * redraw never overwrites it and the display's erasing never takes it away.
 */
export class RunLog {
  private display: LiveDisplay | undefined;
  private readonly err: { write(data: string): unknown };

  constructor(err: { write(data: string): unknown }) {
    this.err = err;
  }

  /** Prints one line; a display that fails to print it is not used again. */
  readonly line = (text: string): void => {
    let printed = false;
    const print = (): void => {
      printed = true;
      this.err.write(`baton: ${text}\n`);
    };
    try {
      this.display?.above(print);
    } catch {
      // The display's own failure is its reporter's to report (the coordinator's guard).
      this.display = undefined;
    }
    if (!printed) print();
  };

  /** From now on lines go above `display` (undefined: it is gone). */
  showAbove(display: LiveDisplay | undefined): void {
    this.display = display;
  }
}
