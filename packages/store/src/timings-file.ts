import { FINAL_STATUSES } from '@baton/subunit';
import { StoreError } from './errors.js';
import type { Timing, TimingsFile } from './types.js';

const STATUSES: ReadonlySet<string> = new Set<string>([...FINAL_STATUSES, 'inprogress']);

/** Parses the text of a timings file, refusing anything but the documented shape. */
export function parseTimingsFile(text: string, name: string): TimingsFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StoreError('BATON_STORE_BAD_TIMINGS', `${name} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  checkTimingsFile(value, name);
  return value;
}

/** Throws BATON_STORE_BAD_TIMINGS, naming the JSON path, unless `value` is a timings file. */
export function checkTimingsFile(value: unknown, name = 'the timings file'): asserts value is TimingsFile {
  const bad = (path: string, what: string): never => {
    throw new StoreError('BATON_STORE_BAD_TIMINGS', `${name}: ${path} ${what} (expected a file written by \`baton timings export\`)`);
  };
  if (!isObject(value)) return bad('$', 'is not an object');
  if (value.format !== 'baton-timings') bad('$.format', 'is not "baton-timings"');
  if (value.version !== 1) bad('$.version', `is ${JSON.stringify(value.version)}, this baton reads version 1`);
  if (!isObject(value.profiles)) return bad('$.profiles', 'is not an object');
  for (const [profile, tests] of Object.entries(value.profiles)) {
    const at = `$.profiles[${JSON.stringify(profile)}]`;
    if (!isObject(tests)) return bad(at, 'is not an object');
    for (const [id, timing] of Object.entries(tests)) {
      const problem = timingProblem(timing);
      if (problem !== undefined) bad(`${at}[${JSON.stringify(id)}]`, problem);
    }
  }
}

function timingProblem(t: unknown): string | undefined {
  if (!isObject(t)) return 'is not an object';
  const timing = t as Partial<Record<keyof Timing, unknown>>;
  for (const key of ['estimate', 'last', 'updated'] as const) {
    const v = timing[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) return `.${key} is not a non-negative number`;
  }
  for (const key of ['count', 'failures'] as const) {
    const v = timing[key];
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0)) return `.${key} is not a non-negative integer`;
  }
  if (typeof timing.lastStatus !== 'string' || !STATUSES.has(timing.lastStatus)) return '.lastStatus is not a result status';
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
