import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { runFuzz } from '../../bench/fuzz.js';
import { MUTATIONS } from '../../bench/fuzz-packets.js';

describe('fuzzing a live DHT + discovery node', () => {
  it('10,000 mutated packets of every message type, signed and tagged: nothing escapes, every probe is answered', async () => {
    const s = await runFuzz({ iterations: 10_000, seed: 2024 });
    expect(s.uncaught).toBe(0);
    expect(s.listenerErrors).toBe(0);
    expect(s.handlerErrors).toBe(0);
    expect(s.probes).toEqual({ sent: 10, answered: 10 });
    expect(Object.keys(s.mutations).sort()).toEqual([...MUTATIONS].sort());
    // validation did the work: most packets were dropped before a handler, and the drops have reasons
    const dropped = Object.values(s.drops).reduce((a, b) => a + b, 0);
    expect(dropped).toBeGreaterThan(5_000);
    for (const reason of ['dht:bad-signature', 'dht:bad-mac', 'discovery:bad-mac', 'dht:malformed', 'discovery:malformed', 'host:malformed', 'host:unknown-community']) {
      expect(s.drops[reason]).toBeGreaterThan(0);
    }
    // and re-signed (or re-tagged) hostile bodies did reach handlers of both communities
    expect(Object.keys(s.handled).some((k) => k.startsWith('dht/'))).toBe(true);
    expect(Object.keys(s.handled).some((k) => k.startsWith('discovery/'))).toBe(true);
    expect(s.ok).toBe(true);
  });
});
