import type { Clock } from '../clock.js';

interface Timer {
  at: number;
  every: number | undefined;
  callback: () => void;
  cancelled: boolean;
}

/** A clock that moves only when a test calls `advance`; timers fire in time order. */
export class FakeClock implements Clock {
  private ms: number;
  private readonly timers: Timer[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.ms = startMs;
  }

  now(): number {
    return this.ms;
  }

  setTimeout(callback: () => void, ms: number): { cancel(): void } {
    return this.add({ at: this.ms + ms, every: undefined, callback, cancelled: false });
  }

  setInterval(callback: () => void, ms: number): { cancel(): void } {
    return this.add({ at: this.ms + ms, every: ms, callback, cancelled: false });
  }

  /** Moves time forward, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.ms + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.ms = Math.max(this.ms, due.at);
      if (due.every === undefined) due.cancelled = true;
      else due.at += due.every;
      due.callback();
    }
    this.ms = end;
  }

  private add(timer: Timer): { cancel(): void } {
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }
}

/** Lets queued I/O callbacks run until `done()` holds; fails rather than hang. */
export async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (done()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`gave up waiting for ${what}`);
}
