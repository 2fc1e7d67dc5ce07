import { RunningMedian } from './runningMedian.js';

/** Where a neighbour estimate came from. */
export type NeighbourSource = 'neighbours' | 'suite' | 'default';

/**
 * The medians of a test id's prefixes, nearest first. Tests of one class have
 * the same prefixes, so they share one chain, and its estimate is computed
 * once per change of the medians rather than once per test.
 */
export interface Chain {
  readonly nodes: readonly RunningMedian[];
  estimate: number;
  /** The `Neighbours` version `estimate` was computed at. */
  version: number;
}

const DOT = 0x2e;
const SLASH = 0x2f;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const OPEN_PAREN = 0x28;

/**
 * Where the prefixes of a test id end: the positions (after the first
 * character) of its separators `.`, `/` and `::`, before any `[tags]` or
 * `(params)`. Pushes them in order to `ends` if given; returns the last (the
 * end of the nearest prefix), 0 if there is none. With `from`, only what
 * follows it is read, as if it were the start of a separator or of the id.
 */
function prefixEnds(testId: string, ends?: number[], from = 0): number {
  let end = from;
  for (; end < testId.length; end++) {
    const c = testId.charCodeAt(end);
    if (c === OPEN_BRACKET || c === OPEN_PAREN) break;
  }
  let last = 0;
  for (let i = from; i < end; i++) {
    const c = testId.charCodeAt(i);
    const double = c === COLON && i + 1 < end && testId.charCodeAt(i + 1) === COLON;
    if (!double && c !== DOT && c !== SLASH) continue;
    if (i > 0) {
      last = i;
      ends?.push(i);
    }
    if (double) i++;
  }
  return last;
}

/**
 * The ancestors of a test id, nearest first: `pkg.mod.Class.test_x[tags]`
 * gives `pkg.mod.Class`, `pkg.mod`, `pkg`. Tags and parameters (`[…]`, `(…)`)
 * are dropped; `.`, `/` and `::` all separate, so pytest ids work too.
 */
export function prefixesOf(testId: string): string[] {
  const ends: number[] = [];
  prefixEnds(testId, ends);
  return ends.map((end) => testId.slice(0, end)).reverse();
}

/**
 * The neighbour model: a running median per id prefix and one for the whole
 * suite. A test is estimated by its nearest prefix with any duration, else the
 * suite median, else the default.
 */
export class Neighbours {
  private readonly nodes = new Map<string, RunningMedian>();
  /** Chains by nearest prefix: tests with the same nearest prefix have the same prefixes. */
  private readonly chains = new Map<string, Chain>();
  private readonly suite = new RunningMedian();
  readonly defaultSeconds: number;
  /** Counts additions: a chain's cached estimate is current while its version is this. */
  private version = 0;
  /** The last chain found and its key: tests come in id order, a class at a time. */
  private lastKey = '';
  private lastChain: Chain | undefined;

  constructor(defaultSeconds: number) {
    this.defaultSeconds = defaultSeconds;
  }

  chainOf(testId: string): Chain {
    // A sibling of the last test: the same nearest prefix, then nothing but a
    // separator and a name. The prefix ended where a separator began, so the
    // rest reads the same from there alone, unless a ':' after a final ':'
    // makes them one '::'.
    const last = this.lastKey;
    if (
      this.lastChain &&
      testId.startsWith(last) &&
      !(last.charCodeAt(last.length - 1) === COLON && testId.charCodeAt(last.length) === COLON) &&
      prefixEnds(testId, undefined, last.length) === last.length
    )
      return this.lastChain;
    const key = testId.slice(0, prefixEnds(testId));
    let chain = this.chains.get(key);
    if (!chain) {
      const nodes = prefixesOf(testId).map((prefix) => {
        let node = this.nodes.get(prefix);
        if (!node) this.nodes.set(prefix, (node = new RunningMedian()));
        return node;
      });
      this.chains.set(key, (chain = { nodes, estimate: Number.NaN, version: -1 }));
    }
    this.lastKey = key;
    return (this.lastChain = chain);
  }

  add(chain: Chain, seconds: number): void {
    this.suite.add(seconds);
    for (const node of chain.nodes) node.add(seconds);
    this.version++;
  }

  /** Nothing was added yet: every estimate is the default. */
  get empty(): boolean {
    return this.version === 0;
  }

  /** The median of the nearest prefix with any duration, else of the suite, else the default. */
  estimate(chain: Chain): number {
    return chain.version === this.version ? chain.estimate : this.recompute(chain);
  }

  private recompute(chain: Chain): number {
    chain.version = this.version;
    return (chain.estimate = this.median(chain) ?? this.suite.median ?? this.defaultSeconds);
  }

  sourceOf(chain: Chain): NeighbourSource {
    if (this.median(chain) !== undefined) return 'neighbours';
    return this.suite.count > 0 ? 'suite' : 'default';
  }

  private median(chain: Chain): number | undefined {
    for (const node of chain.nodes) {
      const m = node.median;
      if (m !== undefined) return m;
    }
    return undefined;
  }
}
