import { describe, expect, it } from 'vitest';
import { AmplificationBudget, InvalidArgumentError, SeededRandom } from '../../../framework/index.js';
import type { Address } from '../../../framework/index.js';

const at = (host: string, port = 9_000): Address => ({ host, port });
const victim = at('203.0.113.7');

describe('AmplificationBudget', () => {
  it('gives an unproven address 3x the bytes received from it, refilled only by more received bytes', () => {
    const b = new AmplificationBudget();
    b.received(victim, 100);
    expect(b.allowance(victim)).toBe(300);
    expect(b.charge(victim, 200)).toBe(true);
    expect(b.charge(victim, 101)).toBe(false); // 100 left: withheld, nothing taken
    expect(b.allowance(victim)).toBe(100);
    expect(b.charge(victim, 100)).toBe(true);
    expect(b.charge(victim, 1)).toBe(false);
    b.received(victim, 10);
    expect(b.allowance(victim)).toBe(30);
    expect(b.stats).toEqual({ withheld: 2, withheldBytes: 102, chargedBytes: 300, proofs: 0, evicted: 0 });
  });

  it('does not limit an address we never heard from (our own first contact), nor one that proved itself', () => {
    const b = new AmplificationBudget();
    const fresh = at('198.51.100.1');
    expect(b.allowance(fresh)).toBe(Number.POSITIVE_INFINITY);
    expect(b.charge(fresh, 10_000)).toBe(true);
    b.received(victim, 50);
    expect(b.charge(victim, 1_000)).toBe(false);
    b.prove(victim);
    expect(b.isProven(victim)).toBe(true);
    expect(b.allowance(victim)).toBe(Number.POSITIVE_INFINITY);
    expect(b.charge(victim, 10_000)).toBe(true);
    b.received(victim, 50); // a proven address earns no credit: it needs none
    expect(b.tracked).toBe(0);
    expect(b.stats.proofs).toBe(1);
    expect(b.stats.chargedBytes).toBe(0);
  });

  it('keys addresses by host and port', () => {
    const b = new AmplificationBudget();
    b.received(at('203.0.113.7', 1), 10);
    expect(b.allowance(at('203.0.113.7', 1))).toBe(30);
    expect(b.allowance(at('203.0.113.7', 2))).toBe(Number.POSITIVE_INFINITY);
  });

  it('holds at most maxAddresses unproven addresses; an evicted one gets no credit until it sends again', () => {
    const b = new AmplificationBudget({ maxAddresses: 100 });
    b.received(victim, 100);
    expect(b.charge(victim, 300)).toBe(true);
    // a flood of spoofed sources pushes the victim out of the table ...
    for (let i = 0; i < 1_000; i++) b.received(at(`198.18.${i >> 8}.${i & 255}`), 100);
    expect(b.tracked).toBe(100);
    expect(b.stats.evicted).toBe(901);
    // ... but that does not lift its limit: it is remembered as evicted, with no credit
    expect(b.allowance(victim)).toBe(0);
    expect(b.charge(victim, 1)).toBe(false);
    b.received(victim, 10);
    expect(b.allowance(victim)).toBe(30);
  });

  it('holds at most maxProven proven addresses; a forgotten one is treated as never heard from', () => {
    const b = new AmplificationBudget({ maxProven: 10 });
    for (let i = 0; i < 20; i++) b.prove(at(`198.51.100.${i}`));
    expect(b.provenCount).toBe(10);
    expect(b.isProven(at('198.51.100.0'))).toBe(false);
    expect(b.isProven(at('198.51.100.19'))).toBe(true);
    expect(b.allowance(at('198.51.100.0'))).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses bad options', () => {
    expect(() => new AmplificationBudget({ factor: 0 })).toThrow(InvalidArgumentError);
    expect(() => new AmplificationBudget({ maxAddresses: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => new AmplificationBudget({ evictedSlots: 1_000 })).toThrow(InvalidArgumentError);
  });
});

/** The budget's rules written plainly (an exact set of evicted addresses instead of the hashed filter). */
class PlainBudget {
  readonly credit = new Map<string, number>();
  readonly proven = new Set<string>();
  readonly evicted = new Set<string>();
  constructor(private readonly maxAddresses: number, private readonly maxProven: number) {}
  received(from: Address, bytes: number): void {
    const key = `${from.host}/${from.port}`;
    if (this.proven.has(key)) return void (this.proven.delete(key), this.proven.add(key));
    const held = this.credit.get(key);
    if (held === undefined) this.evicted.delete(key);
    this.put(key, (held ?? 0) + 3 * bytes);
  }
  allowance(to: Address): number {
    const key = `${to.host}/${to.port}`;
    if (this.proven.has(key)) return Number.POSITIVE_INFINITY;
    return this.credit.get(key) ?? (this.evicted.has(key) ? 0 : Number.POSITIVE_INFINITY);
  }
  charge(to: Address, bytes: number): boolean {
    const key = `${to.host}/${to.port}`;
    if (this.proven.has(key)) return true;
    const held = this.credit.get(key) ?? (this.evicted.has(key) ? 0 : undefined);
    if (held === undefined) return true;
    if (held < bytes) return false;
    this.put(key, held - bytes);
    return true;
  }
  prove(address: Address): void {
    const key = `${address.host}/${address.port}`;
    if (this.proven.delete(key)) return void this.proven.add(key);
    this.credit.delete(key);
    this.evicted.delete(key);
    this.proven.add(key);
    if (this.proven.size > this.maxProven) this.proven.delete(this.proven.values().next().value!);
  }
  private put(key: string, bytes: number): void {
    this.credit.delete(key);
    this.credit.set(key, bytes);
    if (this.credit.size <= this.maxAddresses) return;
    const oldest = this.credit.keys().next().value!;
    this.credit.delete(oldest);
    this.evicted.add(oldest);
  }
}

describe('AmplificationBudget against its rules written plainly', () => {
  it('decides exactly as the plain rules over 4 x 5,000 random steps (several ports per host, IPv6, evictions)', () => {
    for (const [seed, maxAddresses] of [[1, 1_000], [2, 1_000], [3, 6], [4, 10]] as const) {
      const random = new SeededRandom(seed);
      const b = new AmplificationBudget({ maxAddresses, maxProven: 8 });
      const plain = new PlainBudget(maxAddresses, 8);
      const hosts = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '2001:db8::1', '2001:db8::2', '198.51.100.9'];
      let limited = 0;
      for (let step = 0; step < 5_000; step++) {
        const a = at(hosts[random.int(hosts.length)]!, 1 + random.int(3));
        const r = random.int(100);
        if (r < 30) {
          const bytes = 1 + random.int(200);
          b.received(a, bytes);
          plain.received(a, bytes);
        } else if (r < 60) {
          const bytes = 1 + random.int(900);
          expect(b.charge(a, bytes)).toBe(plain.charge(a, bytes));
        } else if (r < 85) {
          const allowance = b.allowance(a);
          expect(allowance).toBe(plain.allowance(a));
          if (allowance !== Number.POSITIVE_INFINITY) limited++;
        } else if (r < 95) {
          expect(b.isProven(a)).toBe(plain.proven.has(`${a.host}/${a.port}`));
        } else {
          b.prove(a);
          plain.prove(a);
        }
        expect(b.tracked).toBe(plain.credit.size);
      }
      expect(limited).toBeGreaterThan(100);
      if (maxAddresses < 100) expect(b.stats.evicted).toBeGreaterThan(10);
    }
  });
});
