/**
 * A push-driven async iterable: a producer pushes, ends or fails it; one consumer
 * iterates and gets everything pushed before the end or the error, in order.
 */
export class EventQueue<T> implements AsyncIterable<T> {
  private readonly buffered: T[] = [];
  private finished = false;
  private error: unknown;
  private wake: (() => void) | undefined;

  push(item: T): void {
    if (this.finished) return;
    this.buffered.push(item);
    this.poke();
  }

  end(): void {
    this.finished = true;
    this.poke();
  }

  fail(error: unknown): void {
    if (this.finished) return;
    this.error = error ?? new Error('failed');
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const next = this.buffered.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.error !== undefined) throw this.error;
      if (this.finished) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
