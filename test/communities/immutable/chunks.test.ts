/**
 * The content address (one-level hash tree over 512-byte chunks), the chunk record type's checks, the key
 * spelling, and the datagram limit of the largest chunk record.
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeBody, ManualClock, signedEnvelopeBytes, utf8 } from '../../../framework/index.js';
import { RecordStore, TOKEN_BYTES } from '../../../communities/dht/index.js';
import {
  CHUNK_BYTES,
  checkChunk,
  chunkCount,
  chunkValue,
  formatImmutableKey,
  IMMUTABLE_MAX_DATAGRAM_BYTES,
  ImmutableMessages,
  immutablePolicy,
  isImmutableKeyText,
  locationOf,
  matchesKey,
  MAX_IMMUTABLE_VALUE_BYTES,
  parseImmutableKey,
} from '../../../communities/immutable/index.js';
import type { ImmutableChunk } from '../../../communities/immutable/index.js';

/** The construction of docs/immutable.md, written again with node:crypto. */
function referenceKey(value: Uint8Array): string {
  const n = Math.max(1, Math.ceil(value.length / 512));
  const root = createHash('sha256').update('peerlay:immutable:root:v1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(value.length);
  root.update(length);
  for (let i = 0; i < n; i++) root.update(createHash('sha256').update('peerlay:immutable:chunk:v1').update(value.subarray(i * 512, (i + 1) * 512)).digest());
  return `imm:${root.digest('hex')}`;
}

const pattern = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) % 251);

function records(value: Uint8Array): ImmutableChunk[] {
  const c = chunkValue(value);
  const location = locationOf(c.key);
  return c.chunks.map((chunk, index) => ({ location, index, length: c.length, hashes: c.hashes, chunk }));
}

describe('the content address', () => {
  it('is the documented construction, for every chunk boundary', () => {
    for (const n of [0, 1, 5, 511, 512, 513, 1_024, 4_000, 8_191, 8_192]) {
      const value = pattern(n);
      const c = chunkValue(value);
      expect(formatImmutableKey(c.key)).toBe(referenceKey(value));
      expect(c.chunks.length).toBe(chunkCount(n));
      expect(c.chunks.length).toBe(Math.max(1, Math.ceil(n / CHUNK_BYTES)));
      expect(Buffer.concat(c.chunks)).toEqual(Buffer.from(value));
      expect(matchesKey(value, c.key)).toBe(true);
    }
  });

  it('pins known answers', () => {
    expect(formatImmutableKey(chunkValue(new Uint8Array(0)).key)).toBe(KNOWN.empty);
    expect(formatImmutableKey(chunkValue(utf8('hello')).key)).toBe(KNOWN.hello);
    expect(formatImmutableKey(chunkValue(pattern(8_192)).key)).toBe(KNOWN.pattern8k);
  });

  it('separates lengths and domains: a trailing zero, a chunk list as a value, the same hashes under another length', () => {
    expect(chunkValue(new Uint8Array(1)).key).not.toEqual(chunkValue(new Uint8Array(0)).key);
    const c = chunkValue(pattern(600));
    expect(chunkValue(c.hashes).key).not.toEqual(c.key);
    expect(matchesKey(pattern(600), chunkValue(pattern(601)).key)).toBe(false);
  });

  it('spells keys as imm: and 64 hex digits', () => {
    const { key } = chunkValue(utf8('x'));
    const text = formatImmutableKey(key);
    expect(text).toMatch(/^imm:[0-9a-f]{64}$/);
    expect(parseImmutableKey(text)).toEqual(key);
    expect(parseImmutableKey(text.toUpperCase().replace('IMM:', 'imm:'))).toEqual(key);
    expect(parseImmutableKey(key)).toEqual(key);
    for (const bad of ['', 'imm:', text.slice(0, -1), `${text}0`, text.replace('imm:', 'hex:'), `imm:${'g'.repeat(64)}`]) {
      expect(isImmutableKeyText(bad)).toBe(false);
      expect(parseImmutableKey(bad)).toBeUndefined();
    }
    expect(parseImmutableKey(new Uint8Array(20))).toBeUndefined();
  });
});

describe('the chunk record type', () => {
  const value = pattern(2_000);
  const rs = records(value);
  const location = rs[0]!.location;

  it('accepts every chunk of the value at its location', () => {
    expect(rs.length).toBe(4);
    for (const r of rs) expect(checkChunk(r, location)).toBe('valid');
  });

  it('refuses a corrupted chunk, a chunk under another index, a wrong length, a foreign list, another location', () => {
    const r = rs[1]!;
    const other = records(pattern(2_001))[1]!;
    const flipped = r.chunk.slice();
    flipped[0]! ^= 1;
    expect(checkChunk({ ...r, chunk: flipped }, location)).toBe('invalid');
    expect(checkChunk({ ...r, index: 2 }, location)).toBe('invalid');
    expect(checkChunk({ ...r, length: 1_999 }, location)).toBe('invalid');
    expect(checkChunk({ ...other, location }, location)).toBe('invalid');
    expect(checkChunk(r, other.location)).toBe('invalid');
    expect(checkChunk({ ...r, hashes: r.hashes.subarray(0, 96) }, location)).toBe('invalid');
    expect(checkChunk({ ...r, index: 9 }, location)).toBe('invalid');
    expect(checkChunk({ ...r, length: MAX_IMMUTABLE_VALUE_BYTES + 1 }, location)).toBe('invalid');
  });

  it('in a record store: one record per chunk, ids in chunk order, refusals as invalid', () => {
    const store = new RecordStore(immutablePolicy(86_400_000), new ManualClock(1_000), {});
    for (const r of rs) expect(store.put(r, 60_000, { origin: 'store' })).toBe('stored');
    expect(store.put(rs[0]!, 60_000, { origin: 'store' })).toBe('refreshed');
    const flipped = rs[2]!.chunk.slice();
    flipped[5]! ^= 1;
    expect(store.put({ ...rs[2]!, chunk: flipped }, 60_000, { origin: 'store' })).toBe('invalid');
    expect(store.page(location, undefined).records.map((h) => h.record.index)).toEqual([0, 1, 2, 3]);
  });

  it('the largest chunk record fits one 1,280-byte datagram in a store request and a find response', () => {
    const largest = records(pattern(MAX_IMMUTABLE_VALUE_BYTES))[15]!;
    const policy = immutablePolicy(86_400_000);
    const item = { record: policy.toWire(largest), ttl: 86_400_000 };
    const id = 2n ** 64n - 1n;
    const token = new Uint8Array(TOKEN_BYTES);
    const envelope = signedEnvelopeBytes(74);
    const store = encodeBody(ImmutableMessages.StoreRequest.schema, { id, token, location: largest.location, cache: false, cas: undefined, records: [item] });
    const found = encodeBody(ImmutableMessages.FindResponse.schema, { id, token, nodes: [], records: [item], total: 16, more: true, authoritative: true });
    expect(envelope + store.length).toBeLessThanOrEqual(IMMUTABLE_MAX_DATAGRAM_BYTES);
    expect(envelope + found.length).toBeLessThanOrEqual(IMMUTABLE_MAX_DATAGRAM_BYTES);
  });
});

/** Known answers, computed with Python's hashlib from the construction in docs/immutable.md. */
const KNOWN = {
  empty: 'imm:214572aa5f5272907c5a0c7f8af124e9fa28e35727912264b6bf279becae52ad',
  hello: 'imm:6472f5614e8d537f227a9368d9ac35162dee96586384487eac7963f52a32c472',
  pattern8k: 'imm:79bb70c92036159b2417dbec49c1d9a6aa2bb3c21294de9cd874474555d564a6',
};
