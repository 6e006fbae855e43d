/**
 * Conversions between stored records and their wire form, and packing records into a datagram budget.
 * @module
 */
import type { Infer } from '../../framework/index.js';
import type { WireRecord } from './messages.js';
import type { ValueRecord } from './storage/value-record.js';

/** A record as it travels: the record plus its remaining lifetime in ms. */
export type WireRecordValue = Infer<typeof WireRecord>;

/** Wire form of `record` with `ttlMs` left to live. */
export function toWire(record: ValueRecord, ttlMs: number): WireRecordValue {
  return {
    key: record.key,
    data: record.data,
    publicKey: record.publicKey,
    version: record.version,
    signature: record.signature,
    ttl: Math.max(0, Math.floor(ttlMs)),
  };
}

/** The record carried by a wire record. */
export function fromWire(w: WireRecordValue): ValueRecord {
  return { key: w.key, data: w.data, publicKey: w.publicKey, version: w.version, signature: w.signature };
}

/** Upper bound of the msgpack size of one wire record, in bytes. */
export function wireRecordSize(r: { data: Uint8Array; publicKey?: Uint8Array | undefined; signature?: Uint8Array | undefined }): number {
  const n = r.data.length;
  const dataHeader = n < 256 ? 2 : n < 65_536 ? 3 : 5; // msgpack bin8 / bin16 / bin32
  return 1 + 22 + (n + dataHeader) + (r.publicKey === undefined ? 1 : 76) + 9 + (r.signature === undefined ? 1 : 66) + 9;
}

/** Takes records from the front of `records` while their estimated size fits in `budget` bytes. */
export function takeWithin<T extends { data: Uint8Array; publicKey?: Uint8Array | undefined; signature?: Uint8Array | undefined }>(
  records: readonly T[],
  budget: number,
): T[] {
  const out: T[] = [];
  let used = 0;
  for (const r of records) {
    const size = wireRecordSize(r);
    if (used + size > budget) break;
    out.push(r);
    used += size;
  }
  return out;
}

/**
 * Splits `items` into consecutive batches that each fit one request: at most `budget` bytes (by `sizeOf`)
 * and at most `maxCount` items. An item larger than `budget` alone gets a batch of its own (its send then
 * fails for that batch only).
 */
export function packBySize<T>(items: readonly T[], sizeOf: (item: T) => number, budget: number, maxCount: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (used + size > budget || current.length >= maxCount)) {
      batches.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** {@link packBySize} for value records, sized by {@link wireRecordSize}: the batches of one store request each. */
export function packRecords<T extends { data: Uint8Array; publicKey?: Uint8Array | undefined; signature?: Uint8Array | undefined }>(
  records: readonly T[],
  budget: number,
  maxCount: number,
): T[][] {
  return packBySize(records, wireRecordSize, budget, maxCount);
}
