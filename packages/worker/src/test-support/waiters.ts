// Waiting for a condition without sleeping: whoever holds the state says when it changed.

/** Promises that settle once their condition holds, checked at once and on every `changed()`. */
export class Waiters {
  private readonly waiting: { check: () => boolean; resolve: () => void }[] = [];

  /** Resolves once `check` holds; rejects naming `what` after `timeoutMs`. */
  until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiting.push({
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  changed(): void {
    for (const waiter of [...this.waiting]) {
      if (!waiter.check()) continue;
      this.waiting.splice(this.waiting.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}
