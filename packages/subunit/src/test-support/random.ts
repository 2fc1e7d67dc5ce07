// Seeded randomness for property and fuzz tests: every failure reproduces from its seed.
import { STATUSES } from '../constants.js';
import type { Packet } from '../packet.js';

/** mulberry32: a tiny, fast, seedable PRNG returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function int(r: () => number, max: number): number {
  return Math.floor(r() * max);
}

const ALPHABET = ['a', 'b', 'Z', '.', '_', '0', 'é', '测', '🙂', ' ', '[', '/'];

export function randomString(r: () => number, maxLength: number): string {
  let s = '';
  const n = int(r, maxLength + 1);
  for (let i = 0; i < n; i++) s += ALPHABET[int(r, ALPHABET.length)]!;
  return s;
}

export function randomBytes(r: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = int(r, 256);
  return out;
}

/** A random packet using every optional field some of the time. */
export function randomPacket(r: () => number): Packet {
  const p: Packet = {};
  if (r() < 0.8) p.testId = randomString(r, 40);
  const status = STATUSES[int(r, STATUSES.length)];
  if (status !== undefined) p.status = status;
  if (r() < 0.7) p.timestamp = { seconds: int(r, 0xffffffff), nanos: int(r, 1e9) };
  if (r() < 0.4) p.tags = Array.from({ length: 1 + int(r, 3) }, () => randomString(r, 10) || 't');
  if (r() < 0.3) p.mimeType = 'text/plain;charset=utf8';
  if (r() < 0.4) {
    const size = r() < 0.05 ? 20000 + int(r, 100000) : int(r, 300);
    p.file = { name: randomString(r, 12), content: randomBytes(r, size) };
  }
  if (r() < 0.3) p.eof = true;
  p.runnable = r() < 0.8;
  if (r() < 0.3) p.routeCode = String(int(r, 8));
  return p;
}
