/**
 * Time as the coordinator sees it, injected so that tests drive it by hand. `now` is
 * milliseconds since the epoch; timers are the only way the coordinator waits.
 */
export interface Clock {
  now(): number;
  setInterval(callback: () => void, ms: number): { cancel(): void };
  setTimeout(callback: () => void, ms: number): { cancel(): void };
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setInterval(callback, ms) {
    const handle = setInterval(callback, ms);
    handle.unref?.();
    return { cancel: () => clearInterval(handle) };
  },
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    return { cancel: () => clearTimeout(handle) };
  },
};
