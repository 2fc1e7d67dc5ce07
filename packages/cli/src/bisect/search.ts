// The search of `baton bisect`: which tests, of those the failing test's process ran before
// it (its prefix), make it fail. Zeller's ddmin (delta debugging) over the prefix, with a
// statistical oracle: a candidate (a subset of the prefix, run in order before the test
// in a fresh process) that fails once is proven to make the test fail, since the test
// alone is run beside the search and a failure alone ends it ("fails on its own"); a
// candidate is cleared only after enough passes in a row for the confidence asked, given
// the failure rate seen so far (confidence.ts). Every candidate of a round races: the
// first failure decides it, so passes are waited for only where nothing fails.
//
// Pure: the caller runs the candidates `next` hands out, as many at once as it has slots,
// and reports each execution with `record`. The state and the evidence are plain data,
// kept in the repository, so that a bisection resumes where it stopped.
import type { BisectEvidence } from '@baton/store';
import { passesNeeded, type Clearance } from './confidence.js';

/** A subset of the prefix to run before the test: positions, ascending, and their key. */
export interface Candidate {
  readonly key: string;
  readonly members: readonly number[];
}

/** Where the search is; what the repository keeps between invocations. */
export interface SearchState {
  /** Key of the smallest candidate seen to make the test fail; the whole prefix before any did. */
  readonly suspects: string;
  /** ddmin's n: the suspects are tried in this many parts (and without each part). */
  readonly granularity: number;
  /** The whole prefix made the test fail in a fresh process (until then it is only presumed to). */
  readonly reproduced: boolean;
}

/** What a bisection concluded. */
export type SearchOutcome =
  /** These tests of the prefix (positions), run before it, make the test fail, and each is needed. */
  | { readonly kind: 'culprits'; readonly culprits: readonly number[] }
  /** The test failed with nothing before it. */
  | { readonly kind: 'alone' }
  /** The prefix run before it in a fresh process did not make it fail. */
  | { readonly kind: 'not-reproduced' };

/** The key of the candidate with nothing before the test. */
export const ALONE = '';

const NONE: BisectEvidence = { runs: 0, failures: 0 };

/** Positions as a key: ascending runs written `first-last` (or `first`), comma-separated. */
export function candidateKey(members: readonly number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < members.length; ) {
    let j = i;
    while (j + 1 < members.length && members[j + 1] === members[j]! + 1) j++;
    runs.push(i === j ? `${members[i]}` : `${members[i]}-${members[j]}`);
    i = j + 1;
  }
  return runs.join(',');
}

/** The positions a key stands for. */
export function membersOf(key: string): number[] {
  return rangesOf(key).flatMap(([first, last]) => Array.from({ length: last - first + 1 }, (_, i) => first + i));
}

/** The runs of positions a key stands for, as [first, last] pairs, ascending. */
function rangesOf(key: string): [number, number][] {
  if (key === '') return [];
  return key.split(',').map((run) => {
    const [first, last = first] = run.split('-').map(Number) as [number, number?];
    return [first, last];
  });
}

/** Whether every position of `inner` is one of `outer`'s (both as rangesOf gives them). */
function holds(outer: readonly [number, number][], inner: readonly [number, number][]): boolean {
  let i = 0;
  for (const [first, last] of inner) {
    while (i < outer.length && outer[i]![1] < first) i++;
    if (i === outer.length || outer[i]![0] > first || outer[i]![1] < last) return false;
  }
  return true;
}

const candidate = (members: readonly number[]): Candidate => ({ key: candidateKey(members), members });

/** `members` in `n` contiguous parts of nearly equal size, in order. */
function split(members: readonly number[], n: number): number[][] {
  const parts: number[][] = [];
  for (let i = 0; i < n; i++) parts.push(members.slice(Math.floor((i * members.length) / n), Math.floor(((i + 1) * members.length) / n)));
  return parts;
}

export class BisectSearch {
  /** How many tests the prefix holds. */
  readonly size: number;
  private readonly confidence: Clearance;
  private readonly seen: Map<string, BisectEvidence>;
  private readonly flying = new Map<string, number>();
  private current: SearchState;
  private concluded: SearchOutcome | undefined;
  /** Worked out once per state (a round of a large prefix holds large candidates). */
  private step: Step | undefined;
  /** Worked out once per state and execution. */
  private needed: number | undefined;

  /** A new search over a prefix of `size` tests, or one resumed from its state and evidence. */
  constructor(size: number, confidence: Clearance, saved?: { readonly state: SearchState; readonly evidence: ReadonlyMap<string, BisectEvidence> }) {
    this.size = size;
    this.confidence = confidence;
    this.seen = new Map(saved?.evidence);
    this.current = saved?.state ?? { suspects: candidateKey(Array.from({ length: size }, (_, i) => i)), granularity: 2, reproduced: false };
    this.advance();
  }

  get state(): SearchState {
    return this.current;
  }

  /** What the search concluded; undefined while it goes on. */
  get outcome(): SearchOutcome | undefined {
    return this.concluded;
  }

  /** Executions of the test after candidate `key`, and how many failed. */
  evidence(key: string): BisectEvidence {
    return this.seen.get(key) ?? NONE;
  }

  /**
   * The failure rate that a run of passes is weighed against: that of the candidates
   * known to make the test fail. Those are the suspects once they made it fail, and, since
   * a test that makes it fail keeps doing so whatever else runs before it, every candidate
   * that holds the suspects. Pooling only the candidates that happened to fail would
   * leave out the passes of those that raced and lost, and overstate the rate.
   */
  get rate(): BisectEvidence {
    if (!this.current.reproduced) return NONE;
    const suspects = rangesOf(this.current.suspects);
    let runs = 0;
    let failures = 0;
    for (const [key, e] of this.seen) {
      if (!holds(rangesOf(key), suspects)) continue;
      runs += e.runs;
      failures += e.failures;
    }
    return { runs, failures };
  }

  /** Passes in a row that clear a candidate now. */
  get passesNeeded(): number {
    return (this.needed ??= passesNeeded(this.confidence, this.rate));
  }

  /**
   * The candidate to run next, counted as running until `record`ed or `abandon`ed; none
   * when the search is over, or when every open candidate has enough executions running
   * to settle it (wait for one to end).
   */
  next(): Candidate | undefined {
    if (this.concluded !== undefined) return undefined;
    const needed = this.passesNeeded;
    let best: Candidate | undefined;
    let bestLoad = Infinity;
    for (const c of this.round()) {
      const e = this.evidence(c.key);
      const load = e.runs + (this.flying.get(c.key) ?? 0);
      // The least tried first, so that every candidate of the round races.
      if (e.failures === 0 && load < needed && load < bestLoad) {
        best = c;
        bestLoad = load;
      }
    }
    if (best !== undefined) this.flying.set(best.key, (this.flying.get(best.key) ?? 0) + 1);
    return best;
  }

  /** One execution of `c` ended: the test failed after it, or did not. */
  record(c: Candidate, failed: boolean): void {
    this.land(c);
    const e = this.evidence(c.key);
    this.seen.set(c.key, { runs: e.runs + 1, failures: e.failures + (failed ? 1 : 0) });
    this.needed = undefined;
    this.advance();
  }

  /** One execution of `c` ended without telling anything (it was stopped). */
  abandon(c: Candidate): void {
    this.land(c);
  }

  private land(c: Candidate): void {
    const n = (this.flying.get(c.key) ?? 1) - 1;
    if (n > 0) this.flying.set(c.key, n);
    else this.flying.delete(c.key);
  }

  private fails(key: string): boolean {
    return this.evidence(key).failures > 0;
  }

  private cleared(key: string): boolean {
    const e = this.evidence(key);
    return e.failures === 0 && e.runs >= this.passesNeeded;
  }

  private moveTo(state: SearchState): void {
    this.current = state;
    this.step = undefined;
    this.needed = undefined;
  }

  /** The candidates the current step of the search weighs, the test alone always among them. */
  private round(): readonly Candidate[] {
    return this.split().round;
  }

  /**
   * ddmin's candidates at the current granularity: the suspects in parts, and (beyond two
   * parts, where they are the parts again) the suspects without each part. None for a
   * single suspect, and before the whole prefix made the test fail.
   */
  private split(): Step {
    if (this.step !== undefined) return this.step;
    const alone = candidate([]);
    const { suspects, granularity, reproduced } = this.current;
    const members = membersOf(suspects);
    const n = Math.min(granularity, members.length);
    if (!reproduced) return (this.step = { members, n, parts: [], complements: [], round: suspects === ALONE ? [alone] : [candidate(members), alone] });
    if (members.length < 2) return (this.step = { members, n, parts: [], complements: [], round: [alone] });
    const parts = split(members, n).map(candidate);
    const complements = n > 2 ? parts.map((_, i) => candidate(parts.filter((__, j) => j !== i).flatMap((p) => p.members))) : [];
    return (this.step = { members, n, parts, complements, round: [...parts, ...complements, alone] });
  }

  /** Moves on as far as the evidence allows: ddmin's steps, each decided by a failure or by clearances. */
  private advance(): void {
    for (;;) {
      if (this.fails(ALONE)) {
        this.concluded = { kind: 'alone' };
        return;
      }
      const { suspects, reproduced } = this.current;
      if (!reproduced) {
        if (suspects !== ALONE && this.fails(suspects)) {
          this.moveTo({ suspects, granularity: 2, reproduced: true });
          continue;
        }
        if (this.cleared(suspects)) this.concluded = { kind: 'not-reproduced' };
        return;
      }
      const { members, n, parts, complements } = this.split();
      const part = parts.find((p) => this.fails(p.key));
      if (part !== undefined) {
        this.moveTo({ suspects: part.key, granularity: 2, reproduced: true });
        continue;
      }
      const complement = complements.find((c) => this.fails(c.key));
      if (complement !== undefined) {
        this.moveTo({ suspects: complement.key, granularity: Math.max(n - 1, 2), reproduced: true });
        continue;
      }
      if (![...parts, ...complements].every((c) => this.cleared(c.key))) return;
      if (n < members.length) {
        this.moveTo({ suspects, granularity: Math.min(2 * n, members.length), reproduced: true });
        continue;
      }
      // No smaller part makes the test fail: each suspect is needed, once the test alone is cleared.
      if (this.cleared(ALONE)) this.concluded = { kind: 'culprits', culprits: members };
      return;
    }
  }
}

/** One step of the search, worked out from its state. */
interface Step {
  readonly members: readonly number[];
  readonly n: number;
  readonly parts: readonly Candidate[];
  readonly complements: readonly Candidate[];
  readonly round: readonly Candidate[];
}
