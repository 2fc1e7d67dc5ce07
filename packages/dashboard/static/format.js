// How the page writes numbers and times.

/** Seconds with a precision that suits their size: 0.3 ms, 42.1 ms, 3.20 s, 1m 05s, 2h 03m. */
export function formatSeconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  if (s === 0) return '0 s';
  if (s < 0) return `-${formatSeconds(-s)}`;
  if (s < 1) return `${Number((s * 1000).toPrecision(3))} ms`;
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** 12,345. */
export function grouped(n) {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

export function percent(x) {
  return x === null || x === undefined ? '–' : `${Math.round(x * 100)}%`;
}

/** "118 passed, 2 failed, 3 skipped". */
export function formatCounts(counts) {
  const words = [['success', 'passed'], ['fail', 'failed'], ['uxsuccess', 'unexpectedly passed'], ['inprogress', 'unfinished'], ['skip', 'skipped'], ['xfail', 'expected failures']];
  const parts = words.filter(([k]) => counts[k]).map(([k, w]) => `${grouped(counts[k])} ${w}`);
  return parts.length === 0 ? 'no results' : parts.join(', ');
}
