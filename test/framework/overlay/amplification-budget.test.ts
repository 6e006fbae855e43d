import { describe, expect, it } from 'vitest';
import { AmplificationBudget, InvalidArgumentError } from '../../../framework/index.js';
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
