import type { Clock } from '@baton/protocol';
import { deliver, type Reporter, type RunEvent } from './events.js';

/** How long the end of a run waits for its reporters' `close` (report files being written). */
export const REPORTERS_CLOSE_WAIT_MS = 60_000;

/**
 * Run events on their way to the reporters, through a guard. A reporter that throws, or
 * whose hook or `close` rejects, is reported once through `onFailure` (a sentence naming
 * it and what it was doing), gets no more events and is not closed; the others, and the
 * run, go on. What a reporter does can therefore never stop a run, leave its end
 * unrecorded, or become an unhandled rejection: the coordinator alone decides how the run
 * ends, and a failed reporter is one of its reasons.
 */
export class ReporterGuard {
  private readonly live: Set<Reporter>;
  private readonly failed = new WeakSet<Reporter>();
  private readonly onFailure: (problem: string) => void;
  private readonly clock: Clock;

  constructor(reporters: readonly Reporter[], onFailure: (problem: string) => void, clock: Clock) {
    this.live = new Set(reporters);
    this.onFailure = onFailure;
    this.clock = clock;
  }

  /** Delivers an event to every reporter still in the run, in the order they were given. */
  emit(event: RunEvent): void {
    for (const reporter of this.live) {
      try {
        deliver(reporter, event)?.catch((error: unknown) => this.fail(reporter, `on ${event.type}`, error));
      } catch (error) {
        this.fail(reporter, `on ${event.type}`, error);
      }
    }
  }

  /**
   * Closes every reporter still in the run, together; resolves once each has closed,
   * failed, or overrun REPORTERS_CLOSE_WAIT_MS (then it counts as failed and is left).
   */
  async close(): Promise<void> {
    await Promise.all(
      [...this.live].map(async (reporter) => {
        let timer: { cancel(): void } | undefined;
        const overdue = new Promise<'overdue'>((resolve) => (timer = this.clock.setTimeout(() => resolve('overdue'), REPORTERS_CLOSE_WAIT_MS)));
        try {
          const closing = Promise.resolve().then(() => reporter.close?.());
          if ((await Promise.race([closing, overdue])) === 'overdue') {
            this.fail(reporter, 'at its end', new Error(`it did not finish within ${REPORTERS_CLOSE_WAIT_MS / 1000} s`));
          }
        } catch (error) {
          this.fail(reporter, 'at its end', error);
        } finally {
          timer?.cancel();
        }
      }),
    );
    this.live.clear();
  }

  private fail(reporter: Reporter, when: string, error: unknown): void {
    // Once per reporter: a rejection may come after a later event already failed it.
    if (this.failed.has(reporter)) return;
    this.failed.add(reporter);
    this.live.delete(reporter);
    const message = error instanceof Error ? error.message : String(error);
    this.onFailure(`reporter ${nameOf(reporter)} failed ${when}: ${message}`);
  }
}

function nameOf(reporter: Reporter): string {
  return reporter.name ?? (reporter.constructor === Object ? 'an unnamed reporter' : reporter.constructor.name);
}
