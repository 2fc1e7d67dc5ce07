import { RunningMedian } from './runningMedian.js';

/** Historic durations in seconds per test id (e.g. from the repository, for one profile). */
export type KnownEstimates = ReadonlyMap<string, number> | Iterable<{ readonly id: string; readonly seconds: number }>;

/** The estimate of a test with no history and no known neighbour in a suite with no history at all. */
export const DEFAULT_ESTIMATE_SECONDS = 1;
/** Estimates are never below this, so that ratios and longest-first order stay meaningful. */
export const MIN_ESTIMATE_SECONDS = 0.001;

/** Where an estimate came from, most trusted first. */
export type EstimateSource = 'history' | 'neighbours' | 'suite' | 'default';

/** Options for Estimator. */
export interface EstimatorOptions {
  /** Used when nothing at all is known. @default DEFAULT_ESTIMATE_SECONDS */
  readonly defaultSeconds?: number | undefined;
}

/**
 * The ancestors of a test id, nearest first: `pkg.mod.Class.test_x[tags]`
 * gives `pkg.mod.Class`, `pkg.mod`, `pkg`. Tags and parameters (`[…]`, `(…)`)
 * are dropped; `.`, `/` and `::` all separate, so pytest ids work too.
 */
export function prefixesOf(testId: string): string[] {
  const cut = testId.search(/[[(]/);
  const id = cut === -1 ? testId : testId.slice(0, cut);
  const out: string[] = [];
  const re = /::|[./]/g;
  for (let m = re.exec(id); m; m = re.exec(id)) if (m.index > 0) out.push(id.slice(0, m.index));
  return out.reverse();
}

/**
 * Estimates test durations from plain data. A test with history gets its
 * history. A test without gets the median of its nearest known neighbours
 * (same class, else module, else package, by id prefix), else the suite
 * median, else `defaultSeconds` — never zero. Durations of such tests
 * observed during the run join their neighbours' medians, so the estimates of
 * the tests still waiting improve as the run goes on.
 */
export class Estimator {
  private readonly history = new Map<string, number>();
  private readonly nodes = new Map<string, RunningMedian>();
  private readonly chains = new Map<string, RunningMedian[]>();
  private readonly suite = new RunningMedian();
  private readonly defaultSeconds: number;
  private revisionCount = 0;

  constructor(known: KnownEstimates = new Map(), options: EstimatorOptions = {}) {
    this.defaultSeconds = Math.max(MIN_ESTIMATE_SECONDS, options.defaultSeconds ?? DEFAULT_ESTIMATE_SECONDS);
    const entries: Iterable<readonly [string, number]> = isMap(known) ? known : mapEntries(known);
    for (const [id, seconds] of entries) {
      if (!Number.isFinite(seconds) || seconds < 0) continue;
      this.history.set(id, seconds);
      this.add(id, seconds);
    }
  }

  /**
   * Increases whenever estimates of tests without history may have changed;
   * callers that cache estimates re-read them when it moves.
   */
  get revision(): number {
    return this.revisionCount;
  }

  /** True when the test has history. */
  hasHistory(testId: string): boolean {
    return this.history.has(testId);
  }

  /** The estimated duration of a test on a speed-1 worker, in seconds. */
  estimate(testId: string): number {
    const h = this.history.get(testId);
    if (h !== undefined) return Math.max(MIN_ESTIMATE_SECONDS, h);
    for (const node of this.chain(testId)) {
      const m = node.median;
      if (m !== undefined) return Math.max(MIN_ESTIMATE_SECONDS, m);
    }
    return Math.max(MIN_ESTIMATE_SECONDS, this.suite.median ?? this.defaultSeconds);
  }

  /** Where estimate(testId) comes from. */
  sourceOf(testId: string): EstimateSource {
    if (this.history.has(testId)) return 'history';
    if (this.chain(testId).some((n) => n.count > 0)) return 'neighbours';
    return this.suite.count > 0 ? 'suite' : 'default';
  }

  /**
   * Records a finished test's duration, normalised to a speed-1 worker. Only
   * tests without history feed their neighbours: a test with history is
   * already counted, and counting it twice would weigh it double.
   */
  observe(testId: string, seconds: number): void {
    if (this.history.has(testId) || !Number.isFinite(seconds) || seconds < 0) return;
    this.add(testId, seconds);
    this.revisionCount++;
  }

  private add(testId: string, seconds: number): void {
    this.suite.add(seconds);
    for (const node of this.chain(testId)) node.add(seconds);
  }

  private chain(testId: string): RunningMedian[] {
    let chain = this.chains.get(testId);
    if (!chain) {
      chain = prefixesOf(testId).map((p) => {
        let node = this.nodes.get(p);
        if (!node) this.nodes.set(p, (node = new RunningMedian()));
        return node;
      });
      this.chains.set(testId, chain);
    }
    return chain;
  }
}

function isMap(k: KnownEstimates): k is ReadonlyMap<string, number> {
  return k instanceof Map;
}

function* mapEntries(k: Iterable<{ readonly id: string; readonly seconds: number }>): Iterable<readonly [string, number]> {
  for (const { id, seconds } of k) yield [id, seconds];
}
