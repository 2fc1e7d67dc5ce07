import { Neighbours, type Chain } from './neighbours.js';

/** Historic durations in seconds per test id (e.g. from the repository, for one profile). */
export type KnownEstimates = ReadonlyMap<string, number> | Iterable<{ readonly id: string; readonly seconds: number }>;

/** The estimate of a test with no history and no known neighbour in a suite with no history at all. */
export const DEFAULT_ESTIMATE_SECONDS = 1;
/** Estimates are never below this, so that ratios and longest-first order stay meaningful. */
export const MIN_ESTIMATE_SECONDS = 0.001;

/** Where an estimate came from, most trusted first. */
export type EstimateSource = 'history' | 'neighbours' | 'suite' | 'default';

/** The tests of a run by index (the scheduler's Ledger is one). */
export interface RunTests {
  readonly tests: readonly string[];
  indexOf(test: string): number | undefined;
}

/** Options for Estimator. */
export interface EstimatorOptions {
  /** Used when nothing at all is known. @default DEFAULT_ESTIMATE_SECONDS */
  readonly defaultSeconds?: number | undefined;
  /** The tests of the run, which the `…At` methods take by index. @default none */
  readonly run?: RunTests | undefined;
}

const NO_RUN: RunTests = { tests: [], indexOf: () => undefined };

/**
 * Estimates test durations from plain data. A test with history gets its
 * history. A test without gets the median of its nearest known neighbours
 * (same class, else module, else package, by id prefix), else the suite
 * median, else `defaultSeconds` — never zero. Durations of such tests
 * observed during the run join their neighbours' medians, so the estimates of
 * the tests still waiting improve as the run goes on.
 *
 * A scheduler asks on every event, so the tests of the run are kept by index
 * in arrays, and the neighbour medians are only built from the history once a
 * test without history asks (never, in a run where every test has some).
 */
export class Estimator {
  private readonly run: RunTests;
  /** History of the run's tests, by index; NaN when there is none. */
  private readonly known: Float64Array;
  /** History of tests outside the run. */
  private readonly otherHistory = new Map<string, number>();
  /** The chains of the run's tests without history, found when first needed. */
  private readonly chains: (Chain | undefined)[];
  private readonly neighbours: Neighbours;
  /** The history has been added to the neighbours. */
  private fed = false;
  private revisionCount = 0;

  constructor(known: KnownEstimates = new Map(), options: EstimatorOptions = {}) {
    this.neighbours = new Neighbours(Math.max(MIN_ESTIMATE_SECONDS, options.defaultSeconds ?? DEFAULT_ESTIMATE_SECONDS));
    this.run = options.run ?? NO_RUN;
    this.known = new Float64Array(this.run.tests.length).fill(Number.NaN);
    this.chains = new Array<Chain | undefined>(this.run.tests.length).fill(undefined);
    const entries: Iterable<readonly [string, number]> = isMap(known) ? known : mapEntries(known);
    for (const [id, seconds] of entries) {
      if (!Number.isFinite(seconds) || seconds < 0) continue;
      const t = this.run.indexOf(id);
      if (t === undefined) this.otherHistory.set(id, seconds);
      else this.known[t] = seconds;
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
    const t = this.run.indexOf(testId);
    return t === undefined ? this.otherHistory.has(testId) : this.hasHistoryAt(t);
  }

  /** hasHistory of the run's test `t`. */
  hasHistoryAt(t: number): boolean {
    return !Number.isNaN(this.known[t]);
  }

  /** The estimated duration of a test on a speed-1 worker, in seconds. */
  estimate(testId: string): number {
    const t = this.run.indexOf(testId);
    if (t !== undefined) return this.estimateAt(t);
    const h = this.otherHistory.get(testId);
    if (h !== undefined) return Math.max(MIN_ESTIMATE_SECONDS, h);
    const neighbours = this.fedNeighbours();
    return Math.max(MIN_ESTIMATE_SECONDS, neighbours.estimate(neighbours.chainOf(testId)));
  }

  /** estimate of the run's test `t`. */
  estimateAt(t: number): number {
    const h = this.known[t] as number;
    if (!Number.isNaN(h)) return Math.max(MIN_ESTIMATE_SECONDS, h);
    // Before any duration is known, a run without history need not find its
    // tests' neighbours to know that all of them get the default.
    const neighbours = this.fedNeighbours();
    return neighbours.empty ? neighbours.defaultSeconds : this.chainEstimate(this.chainAt(t));
  }

  /**
   * The neighbours of the run's test `t`, which has no history: what its
   * estimate comes from, shared by the tests of its class.
   */
  chainAt(t: number): Chain {
    return (this.chains[t] ??= this.neighbours.chainOf(this.run.tests[t] as string));
  }

  /** The estimate of the tests without history whose neighbours these are. */
  chainEstimate(chain: Chain): number {
    return Math.max(MIN_ESTIMATE_SECONDS, this.fedNeighbours().estimate(chain));
  }

  /** Where estimate(testId) comes from. */
  sourceOf(testId: string): EstimateSource {
    if (this.hasHistory(testId)) return 'history';
    const neighbours = this.fedNeighbours();
    const t = this.run.indexOf(testId);
    return neighbours.sourceOf(t === undefined ? neighbours.chainOf(testId) : this.chainAt(t));
  }

  /**
   * Records a finished test's duration, normalised to a speed-1 worker. Only
   * tests without history feed their neighbours: a test with history is
   * already counted, and counting it twice would weigh it double.
   */
  observe(testId: string, seconds: number): void {
    const t = this.run.indexOf(testId);
    if (t !== undefined) return this.observeAt(t, seconds);
    if (this.otherHistory.has(testId) || !Number.isFinite(seconds) || seconds < 0) return;
    const neighbours = this.fedNeighbours();
    neighbours.add(neighbours.chainOf(testId), seconds);
    this.revisionCount++;
  }

  /** observe for the run's test `t`. */
  observeAt(t: number, seconds: number): void {
    if (this.hasHistoryAt(t) || !Number.isFinite(seconds) || seconds < 0) return;
    this.fedNeighbours().add(this.chainAt(t), seconds);
    this.revisionCount++;
  }

  private fedNeighbours(): Neighbours {
    if (!this.fed) this.feed();
    return this.neighbours;
  }

  private feed(): void {
    const neighbours = this.neighbours;
    this.fed = true;
    this.known.forEach((seconds, t) => {
      if (!Number.isNaN(seconds)) neighbours.add(neighbours.chainOf(this.run.tests[t] as string), seconds);
    });
    for (const [id, seconds] of this.otherHistory) neighbours.add(neighbours.chainOf(id), seconds);
  }
}

function isMap(k: KnownEstimates): k is ReadonlyMap<string, number> {
  return k instanceof Map;
}

function* mapEntries(k: Iterable<{ readonly id: string; readonly seconds: number }>): Iterable<readonly [string, number]> {
  for (const { id, seconds } of k) yield [id, seconds];
}
