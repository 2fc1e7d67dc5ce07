// A peer that speaks the wire format by hand, with no Channel: the other end of channel
// tests, and a stand-in for minimal third-party servers written from the spec alone.
import { StreamDecoder, encodePacket, type Packet } from '@baton/subunit';
import { decodeMessage, encodeMessage, isRpcPacket } from '../codec.js';
import type { Message } from '../messages.js';
import type { Transport } from '../transport.js';

interface Waiter {
  match(m: Message): boolean;
  resolve(m: Message): void;
}

export class RawPeer {
  readonly messages: Message[] = [];
  readonly packets: Packet[] = [];
  readonly closed: Promise<void>;
  private readonly waiters: Waiter[] = [];
  private readonly transport: Transport;

  constructor(transport: Transport, onMessage?: (m: Message, peer: RawPeer) => void) {
    this.transport = transport;
    const decoder = new StreamDecoder({
      packet: (p) => {
        if (!isRpcPacket(p)) {
          this.packets.push(p);
          return;
        }
        const decoded = decodeMessage(p);
        if (!decoded.ok) throw decoded.error;
        this.messages.push(decoded.message);
        onMessage?.(decoded.message, this);
        for (const w of [...this.waiters]) {
          if (w.match(decoded.message)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(decoded.message);
          }
        }
      },
    });
    transport.onData((b) => decoder.push(b));
    this.closed = new Promise((resolve) => transport.onClose(() => resolve()));
  }

  /** The first message (received so far or later) with this brand. */
  next<N extends Message['msg']>(msg: N, where: (m: Extract<Message, { msg: N }>) => boolean = () => true): Promise<Extract<Message, { msg: N }>> {
    const match = (m: Message): boolean => m.msg === msg && where(m as Extract<Message, { msg: N }>);
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen as Extract<Message, { msg: N }>);
    return new Promise((resolve) => this.waiters.push({ match, resolve: (m) => resolve(m as Extract<Message, { msg: N }>) }));
  }

  send(message: Message): void {
    void this.transport.send(encodeMessage(message));
  }

  sendPacket(packet: Packet): void {
    void this.transport.send(encodePacket(packet));
  }

  sendBytes(bytes: Uint8Array): void {
    void this.transport.send(bytes);
  }

  close(): void {
    this.transport.close();
  }
}
