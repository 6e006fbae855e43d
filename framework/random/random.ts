/**
 * Randomness as an injected component: production uses {@link CryptoRandom}; tests and simulations use
 * {@link SeededRandom} so a run can be replayed from its seed.
 * @module
 */
import { randomFillSync } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';

/** A source of random bytes and numbers. */
export interface Random {
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
  /** A uniform integer in `[0, maxExclusive)`; `maxExclusive` must be a positive safe integer. */
  int(maxExclusive: number): number;
  /** A uniform float in `[0, 1)`. */
  float(): number;
}

/** Cryptographically secure randomness from `node:crypto`. */
export class CryptoRandom implements Random {
  /** @inheritDoc */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    randomFillSync(out);
    return out;
  }

  /** @inheritDoc */
  int(maxExclusive: number): number {
    checkMax(maxExclusive);
    return Math.floor(this.float() * maxExclusive);
  }

  /** @inheritDoc */
  float(): number {
    const b = this.bytes(7);
    // 53 random bits
    let hi = 0;
    for (let i = 0; i < 3; i++) hi = hi * 256 + b[i]!;
    let lo = 0;
    for (let i = 3; i < 7; i++) lo = lo * 256 + b[i]!;
    return ((hi & 0x1fffff) * 2 ** 32 + lo) / 2 ** 53;
  }
}

/**
 * A fast deterministic generator (sfc32 seeded by splitmix32). Not for key material in production:
 * use it in tests and simulations, where replaying a seed matters more than secrecy.
 */
export class SeededRandom implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param seed any 32-bit integer; the same seed gives the same sequence. */
  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** The next raw 32-bit unsigned value. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** @inheritDoc */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      out[i] = v & 0xff;
      if (i + 1 < n) out[i + 1] = (v >>> 8) & 0xff;
      if (i + 2 < n) out[i + 2] = (v >>> 16) & 0xff;
      if (i + 3 < n) out[i + 3] = v >>> 24;
    }
    return out;
  }

  /** @inheritDoc */
  int(maxExclusive: number): number {
    checkMax(maxExclusive);
    return Math.floor(this.float() * maxExclusive);
  }

  /** @inheritDoc */
  float(): number {
    return ((this.u32() >>> 5) * 2 ** 26 + (this.u32() >>> 6)) / 2 ** 53;
  }
}

function checkMax(maxExclusive: number): void {
  if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0) {
    throw new InvalidArgumentError(`maxExclusive must be a positive safe integer, got ${maxExclusive}`);
  }
}

/** Returns a new array with the items of `items` in random order (Fisher-Yates). */
export function shuffle<T>(random: Random, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}

/** One uniformly chosen item of `items`, or `undefined` when it is empty. */
export function pick<T>(random: Random, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[random.int(items.length)];
}
