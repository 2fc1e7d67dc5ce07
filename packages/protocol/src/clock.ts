/** A timer a `Clock` armed; `cancel` disarms it (a no-op once it fired). */
export interface ClockTimer {
  cancel(): void;
}

/**
 * Time as baton's processes see it, injected so that tests drive it by hand (`FakeClock`
 * in `@baton/protocol/test-kit`). `now` is milliseconds since the epoch; timers are the
 * only way anything waits. The pure packages (scheduler, subunit) take no clock: time is
 * passed into them.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): ClockTimer;
  /** Its timer never keeps the process alive on its own: a repeating check outlives nothing. */
  setInterval(callback: () => void, ms: number): ClockTimer;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    return { cancel: () => clearTimeout(handle) };
  },
  setInterval(callback, ms) {
    const handle = setInterval(callback, ms);
    handle.unref?.();
    return { cancel: () => clearInterval(handle) };
  },
};

/** Resolves after `ms` on `clock`, or at once when `signal` is aborted. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      timer.cancel();
      resolve();
    };
    signal?.addEventListener('abort', stop, { once: true });
  });
}
