// Shared output helpers for benchmarks: every benchmark prints a plain-text table whose
// columns line up, so that the table can be pasted as it is.

/** Renders rows (first row = header) as an aligned table with a rule under the header. */
export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** The median of some numbers (benchmarks repeat a measurement and report this). */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A rate with thousands separators and no decimals. */
export function rate(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A ratio to two decimals with a trailing ×. */
export function ratio(n: number): string {
  return `${n.toFixed(2)}×`;
}
