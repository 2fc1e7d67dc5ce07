import type { Transport } from '../transport.js';

type Event = { readonly data: Uint8Array } | { readonly close: true };

class MemoryEnd implements Transport {
  other: MemoryEnd | undefined;
  private closed = false;
  private dataCb: ((bytes: Uint8Array) => void) | undefined;
  private closeCb: ((error?: Error) => void) | undefined;
  // Delivery is asynchronous and ordered, like a socket: nothing is handled re-entrantly
  // inside send(), and a close never overtakes data sent before it.
  private readonly inbox: Event[] = [];
  private draining = false;

  send(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error('memory transport is closed'));
    this.other?.deliver({ data: bytes.slice() });
    return Promise.resolve();
  }

  onData(cb: (bytes: Uint8Array) => void): void {
    this.dataCb = cb;
    this.schedule();
  }

  onClose(cb: (error?: Error) => void): void {
    this.closeCb = cb;
    this.schedule();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.deliver({ close: true });
    this.other?.closeFromPeer();
  }

  private closeFromPeer(): void {
    if (this.closed) return;
    this.closed = true;
    this.deliver({ close: true });
  }

  private deliver(event: Event): void {
    this.inbox.push(event);
    this.schedule();
  }

  private schedule(): void {
    if (this.draining || this.inbox.length === 0) return;
    this.draining = true;
    queueMicrotask(() => {
      this.draining = false;
      // Events wait for their receiver, and keep their order meanwhile.
      while (this.inbox.length > 0) {
        const event = this.inbox[0]!;
        if ('data' in event) {
          if (this.dataCb === undefined) return;
          this.inbox.shift();
          this.dataCb(event.data);
        } else {
          if (this.closeCb === undefined) return;
          this.inbox.shift();
          this.closeCb();
        }
      }
    });
  }
}

/**
 * Two connected in-memory transports: what one sends, the other receives, asynchronously
 * and in order; closing either closes both. For tests of channels and peers.
 */
export function memoryPair(): [Transport, Transport] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.other = b;
  b.other = a;
  return [a, b];
}
