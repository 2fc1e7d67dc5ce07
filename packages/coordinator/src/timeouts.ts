/**
 * How long a test may run before its worker kills it: a fixed number of seconds, a
 * multiple of its history (with a floor, so that a test whose history says 10 ms is not
 * killed for a slow moment), or none.
 */
export type TimeoutPolicy =
  | { readonly kind: 'none' }
  | { readonly kind: 'fixed'; readonly seconds: number }
  | { readonly kind: 'history'; readonly multiple: number; readonly minimum: number };

/** The floor of history-based timeouts: no test is killed before this many seconds. */
export const HISTORY_TIMEOUT_FLOOR_SECONDS = 60;

/** The timeout of a batch of tests (a Run carries one): the largest any of them gets. */
export function batchTimeout(policy: TimeoutPolicy, estimates: readonly number[]): number | undefined {
  switch (policy.kind) {
    case 'none':
      return undefined;
    case 'fixed':
      return policy.seconds;
    case 'history': {
      let longest = 0;
      for (const e of estimates) longest = Math.max(longest, e);
      return Math.max(policy.minimum, Math.ceil(longest * policy.multiple));
    }
  }
}
