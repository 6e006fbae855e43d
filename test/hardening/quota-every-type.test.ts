/**
 * A hostile single source, and a hostile /24, fill at most their documented share of a node's store for
 * every record type (values, bag entries, namespace records, dictionary entries owned and open): 1 % and 5 %
 * of `maxRecords` by default.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import type { RecordPolicy, RecordVerdict } from '../../communities/dht/index.js';
import { hashKey, signRecord } from '../../communities/dht/index.js';
import { RecordStore } from '../../communities/dht/records/record-store.js';
import { valuePolicy } from '../../communities/dht/value-policy.js';
import { bagPolicy, signBagRecord } from '../../communities/bag/index.js';
import { namespacePolicy, signNamespaceRecord } from '../../communities/namespace/index.js';
import { dictPolicy, openDictRecord, signDictRecord } from '../../communities/dict/index.js';
import { ManualClock, PrivateKey, PublicKeyCache, SeededRandom, utf8 } from '../../framework/index.js';
import type { Address } from '../../framework/index.js';

const MAX_RECORDS = 2_000;
const HOUR_MS = 3_600_000;

interface TypeCase {
  readonly name: string;
  readonly policy: RecordPolicy<unknown, unknown>;
  /** The i-th distinct record, signed by a fresh key (a Sybil's), each under its own key. */
  record(i: number, now: number): unknown;
}

const DICT_LIMITS = { maxSubkeyBytes: 64, maxValueBytes: 512, maxEntriesPerKey: 1_000, maxOpenPerKey: 256, maxPerGroupPerKey: 64, maxOpenPerGroupPerKey: 16, maxTtlMs: 86_400_000 };
const random = new SeededRandom(42);
const keys = Array.from({ length: 400 }, () => PrivateKey.generate(random));
const cache = new PublicKeyCache();

const TYPES: readonly TypeCase[] = [
  {
    name: 'value',
    policy: valuePolicy({ maxDataBytes: 1_024, maxUnsignedPerKey: 64, maxSignedPerKey: 1_024, maxPerGroupPerKey: 32, maxTtlMs: 86_400_000 }, cache) as RecordPolicy<unknown, unknown>,
    record: (i, now) => signRecord(keys[i]!, hashKey(`value ${i}`), utf8(`v${i}`), now),
  },
  {
    name: 'bag',
    policy: bagPolicy({ maxValueBytes: 256, maxEntriesPerKey: 1_000, maxPerGroupPerKey: 100, maxTtlMs: 86_400_000 }, cache) as RecordPolicy<unknown, unknown>,
    record: (i, now) => signBagRecord(keys[i]!, { key: hashKey(`bag ${i}`), value: utf8(`e${i}`), version: now, expiresAt: now + HOUR_MS, removed: false }),
  },
  {
    name: 'namespace',
    policy: namespacePolicy({ maxValueBytes: 1_024, maxTtlMs: 86_400_000 }, cache) as RecordPolicy<unknown, unknown>,
    record: (i) => signNamespaceRecord(keys[i]!, utf8(`name ${i}`), 0, utf8(`n${i}`)),
  },
  {
    name: 'dict (owned subkeys)',
    policy: dictPolicy(DICT_LIMITS, cache) as RecordPolicy<unknown, unknown>,
    record: (i, now) => signDictRecord(keys[i]!, { key: hashKey(`dict ${i}`), subkey: utf8(`s${i}`), value: utf8(`d${i}`), expiresAt: now + HOUR_MS }),
  },
  {
    name: 'dict (open subkeys)',
    policy: dictPolicy(DICT_LIMITS, cache) as RecordPolicy<unknown, unknown>,
    record: (i, now) => openDictRecord({ key: hashKey(`dict ${i}`), subkey: utf8(`s${i}`), value: utf8(`d${i}`), expiresAt: now + HOUR_MS }),
  },
];

function offer(store: RecordStore<unknown>, t: TypeCase, from: (i: number) => Address, count: number, clock: ManualClock, first = 0): RecordVerdict[] {
  return Array.from({ length: count }, (_, i) => store.put(t.record(first + i, clock.now()), HOUR_MS, { origin: 'store', from: from(i) }));
}

describe.each(TYPES)('quotas of the $name type', (t) => {
  it('one source address fills at most 1 % of the store; the rest of its records are refused with quota', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const store = new RecordStore(t.policy, clock, { maxRecords: MAX_RECORDS });
    const verdicts = offer(store, t, () => ({ host: '203.0.113.7', port: 4_000 }), 100, clock);
    expect(verdicts.filter((v) => v === 'stored')).toHaveLength(MAX_RECORDS / 100);
    expect(verdicts.filter((v) => v === 'quota')).toHaveLength(100 - MAX_RECORDS / 100);
    expect(store.size).toBe(20);
  });

  it('one /24, from 40 addresses, fills at most 5 % of the store', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const store = new RecordStore(t.policy, clock, { maxRecords: MAX_RECORDS });
    const verdicts = offer(store, t, (i) => ({ host: `198.51.100.${1 + (i % 40)}`, port: 4_000 }), 390, clock);
    expect(verdicts.filter((v) => v === 'stored')).toHaveLength(MAX_RECORDS / 20);
    expect(store.size).toBe(100);
    // Another /24 still gets its own share.
    const other = offer(store, t, () => ({ host: '192.0.2.50', port: 4_000 }), 5, clock, 390);
    expect(other).toEqual(['stored', 'stored', 'stored', 'stored', 'stored']);
  });
});
