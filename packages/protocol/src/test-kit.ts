// The test kit (`@baton/protocol/test-kit`): a clock that tests move by hand, for the
// tests of every package that takes a `Clock` (protocol, coordinator, worker).
import type { Clock, ClockTimer } from './clock.js';

interface Timer {
  at: number;
  every: number | undefined;
  callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when a test calls `advance` (or `advanceAsync`); its timers
 * fire in time order, each with `now()` at the time it fell due. Nothing real waits, so a
 * test of a 30 s timeout takes no time and cannot be late on a busy machine.
 */
export class FakeClock implements Clock {
  private ms: number;
  private readonly timers: Timer[] = [];

  constructor(startMs: number = Date.UTC(2026, 0, 1)) {
    this.ms = startMs;
  }

  now(): number {
    return this.ms;
  }

  setTimeout(callback: () => void, ms: number): ClockTimer {
    return this.add({ at: this.ms + ms, every: undefined, callback, cancelled: false });
  }

  setInterval(callback: () => void, ms: number): ClockTimer {
    return this.add({ at: this.ms + ms, every: Math.max(1, ms), callback, cancelled: false });
  }

  /** Timers armed and not yet fired or cancelled. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, in order.
   * What a timer sets off asynchronously (a send, a promise) has not run yet on return.
   */
  advance(ms: number): void {
    const end = this.ms + ms;
    for (let due = this.next(end); due !== undefined; due = this.next(end)) this.fire(due);
    this.ms = end;
  }

  /**
   * Moves time forward by `ms` as `advance` does, but lets the I/O each timer sets off
   * run (the microtasks and callbacks of one event-loop turn: an in-memory transport's
   * delivery, the promises behind it) before the next timer falls due, so that a timer
   * armed in answer (the next heartbeat after a Pong) fires within the same call.
   */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.ms + ms;
    await turn();
    for (let due = this.next(end); due !== undefined; due = this.next(end)) {
      this.fire(due);
      await turn();
    }
    this.ms = end;
  }

  private next(end: number): Timer | undefined {
    let first: Timer | undefined;
    for (const t of this.timers) if (!t.cancelled && t.at <= end && (first === undefined || t.at < first.at)) first = t;
    return first;
  }

  private fire(timer: Timer): void {
    this.ms = Math.max(this.ms, timer.at);
    if (timer.every === undefined) {
      timer.cancelled = true;
      this.timers.splice(this.timers.indexOf(timer), 1);
    } else {
      timer.at += timer.every;
    }
    timer.callback();
  }

  private add(timer: Timer): ClockTimer {
    this.timers.push(timer);
    return {
      cancel: () => {
        if (timer.cancelled) return;
        timer.cancelled = true;
        this.timers.splice(this.timers.indexOf(timer), 1);
      },
    };
  }
}

/** One turn of the event loop: every queued microtask and immediate callback runs first. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Lets queued I/O callbacks run, a turn of the event loop at a time, until `done()`
 * holds; fails, naming `what`, rather than hang. For in-memory I/O on a fake clock, which
 * settles within a few turns and needs no real time.
 */
export async function spinUntil(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (done()) return;
    await turn();
  }
  throw new Error(`gave up waiting for ${what}`);
}
