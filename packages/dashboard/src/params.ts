import { STATUSES } from '@baton/subunit';
import type { ResultStatus } from '@baton/store';
import { badParam } from './errors.js';

const RESULT_STATUSES: readonly ResultStatus[] = STATUSES.filter((s): s is ResultStatus => s !== undefined && s !== 'exists');

/**
 * The query parameters of one endpoint, checked strictly: a name the endpoint does not
 * take, a repeated name or a value out of range is a 400 naming it, so that a typo in a
 * script's URL is an error rather than a silently different answer.
 */
export class Params {
  private readonly values = new Map<string, string>();

  constructor(
    private readonly endpoint: string,
    search: URLSearchParams,
    allowed: readonly string[],
  ) {
    for (const [name, value] of search) {
      if (!allowed.includes(name)) {
        throw badParam(`${endpoint} takes ${allowed.length === 0 ? 'no query parameters' : allowed.join(', ')}, not ${JSON.stringify(name)}`);
      }
      if (this.values.has(name)) throw badParam(`${endpoint}: ${name} is given twice`);
      this.values.set(name, value);
    }
  }

  string(name: string): string | undefined {
    const value = this.values.get(name);
    if (value === '') throw badParam(`${this.endpoint}: ${name} is empty`);
    return value;
  }

  /** A whole number in [min, max], or `fallback` when absent. */
  int(name: string, min: number, max: number, fallback: number): number;
  int(name: string, min: number, max: number): number | undefined;
  int(name: string, min: number, max: number, fallback?: number): number | undefined {
    const text = this.values.get(name);
    if (text === undefined) return fallback;
    const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw badParam(`${this.endpoint}: ${name} takes a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
    }
    return n;
  }

  /** A comma-separated list of result statuses. */
  statuses(name: string): ResultStatus[] | undefined {
    const text = this.values.get(name);
    if (text === undefined) return undefined;
    const list = text.split(',');
    for (const s of list) {
      if (!(RESULT_STATUSES as readonly string[]).includes(s)) {
        throw badParam(`${this.endpoint}: ${name} takes statuses separated by commas (${RESULT_STATUSES.join(', ')}), not ${JSON.stringify(s)}`);
      }
    }
    return list as ResultStatus[];
  }
}
