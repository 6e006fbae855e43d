/**
 * The client side of values: store to the k closest (with their tokens), find with early stop and
 * verification, cache on the closest node that lacked the value, and remember what we published so it
 * can be republished.
 * @module
 */
import type { PublicKey } from '../../framework/index.js';
import { toHex } from '../../framework/index.js';
import { DHTError } from './errors.js';
import type { DHTCommunity, FindReply } from './dht-community.js';
import type { Answered } from './lookup.js';
import { ACCEPTED_VERDICTS, WIRE_MAX_RECORDS } from './messages.js';
import type { WireVerdict } from './messages.js';
import { compareDistance } from './routing/node-id.js';
import { mergeNewest } from './storage/merge-newest.js';
import type { ValueRecord } from './storage/value-record.js';
import { checkRecord, hashKey, isSigned, recordId, signRecord, unsignedRecord } from './storage/value-record.js';
import type { WireRecordValue } from './wire-records.js';
import type { FindOptions, FoundValue, ManyResult, PublishRecordOptions, Published, StoreItem, StoreOptions } from './value-types.js';
import { fromWire, packRecords, toWire, wireRecordSize } from './wire-records.js';

export type { FindOptions, FoundValue, ManyResult, PublishRecordOptions, Published, StoreItem, StoreOptions } from './value-types.js';

/**
 * Most pages fetched from one responder: enough for a full key of 64 unsigned 1-KB values (the default
 * `maxUnsignedPerKey`), which come one per datagram.
 */
const MAX_PAGES = 64;
/**
 * Bytes of a signed store request that are not records (an upper bound): 163 of envelope, then the body
 * array header (1), the u64 id (9), the 8-byte token (10) and the records list header (3). Tight enough that
 * a signed 1,024-byte value fits a 1,400-byte datagram (1,396 bytes at most).
 */
const STORE_OVERHEAD_BYTES = 163 + 23;

/**
 * Keeps at most `max` unsigned records (the per-key bound every storer enforces). Responders can hold
 * different subsets (a store that missed one of them), so their union may exceed the bound; like a storer,
 * keep the ones expiring last. `expiry` is keyed by `recordId/version`.
 */
function capUnsigned(records: ValueRecord[], expiry: ReadonlyMap<string, number>, max: number): ValueRecord[] {
  const unsigned = records.filter((r) => !isSigned(r));
  if (unsigned.length <= max) return records;
  const expiresAt = (r: ValueRecord): number => expiry.get(recordId(r) + '/' + r.version) ?? 0;
  const kept = new Set(unsigned.sort((a, b) => expiresAt(b) - expiresAt(a)).slice(0, max));
  return records.filter((r) => isSigned(r) || kept.has(r));
}

/** Store/find logic of a {@link DHTCommunity}. */
export class ValueOps {
  /** Values this node published, by key hex and record id, for republishing. */
  readonly published = new Map<string, Published>();
  private lastVersion = 0;

  /** @param dht the owner. */
  constructor(private readonly dht: DHTCommunity) {}

  /** See {@link DHTCommunity.storeValue}. */
  async storeValue(key: string | Uint8Array, data: Uint8Array, options: StoreOptions): Promise<number> {
    const dht = this.dht;
    const k = hashKey(key);
    const max = dht.settings.maxDataBytes;
    if (!(data instanceof Uint8Array)) throw new DHTError('data must be a Uint8Array', 'invalid-key');
    if (data.length > max) throw new DHTError(`value of ${data.length} bytes exceeds the maximum of ${max} bytes`, 'too-large');
    this.ttlMs(options.ttl);
    const now = dht.context.clock.now();
    const record = options.sign === true ? signRecord(dht.context.key, k, data, this.nextVersion(now)) : unsignedRecord(k, data);
    return this.publishRecord(record, options);
  }

  /** See {@link DHTCommunity.publishRecord}. */
  async publishRecord(record: ValueRecord, options: PublishRecordOptions): Promise<number> {
    const dht = this.dht;
    const ttlMs = this.ttlMs(options.ttl);
    const verdict = checkRecord(record, dht.context.keys);
    if (verdict !== 'valid') throw new DHTError(`not a valid value record: ${verdict}`, 'rejected');
    if (record.data.length > dht.settings.maxDataBytes) {
      throw new DHTError(`value of ${record.data.length} bytes exceeds the maximum of ${dht.settings.maxDataBytes} bytes`, 'too-large');
    }
    if (wireRecordSize(record) + STORE_OVERHEAD_BYTES > dht.context.transport.maxPacketBytes) {
      throw new DHTError(`a ${record.data.length}-byte value does not fit one ${dht.context.transport.maxPacketBytes}-byte datagram`, 'too-large');
    }
    if (!dht.isRunning) throw new DHTError('the DHT community is not running', 'stopped');
    const now = dht.context.clock.now();
    const k = record.key;
    try {
      const outcome = await this.replicateReport(k, [{ record, expiresAt: now + ttlMs }], options.signal, options.disjointPaths);
      const { acks, refusals } = outcome;
      if (!dht.isRunning) throw new DHTError('the DHT community stopped during the store', 'stopped');
      if (acks === 0 && refusals.size > 0) {
        const why = [...refusals].map(([v, n]) => `${n} ${v}`).join(', ');
        throw new DHTError(`every node that answered refused the value (${why})`, 'rejected');
      }
      if (acks === 0) throw new DHTError('no node acknowledged the store; try again later', 'no-nodes');
      dht.statistics.storesSucceeded++;
      if (options.republish !== false) this.published.set(`${toHex(k)}/${recordId(record)}`, { record, expiresAt: now + ttlMs, lastPublished: now });
      return acks;
    } catch (error) {
      dht.statistics.storesFailed++;
      throw dht.wrap(error);
    }
  }

  /** A lifetime in seconds (or the default) as milliseconds. @throws {@link DHTError} `rejected` out of range. */
  private ttlMs(ttl: number | undefined): number {
    const settings = this.dht.settings;
    const ms = ttl === undefined ? settings.defaultTtlMs : ttl * 1_000;
    if (!(ms > 0) || ms > settings.maxTtlMs) throw new DHTError(`ttl must be in (0, ${settings.maxTtlMs / 1_000}] seconds, got ${ttl}`, 'rejected');
    return ms;
  }

  /**
   * Looks up the k closest nodes to `key` and stores `records` (each with its own expiry) on them.
   * @returns how many nodes accepted at least one record.
   */
  async replicate(
    key: Uint8Array,
    records: ReadonlyArray<{ record: ValueRecord; expiresAt: number }>,
    signal?: AbortSignal,
    paths?: number,
  ): Promise<number> {
    return (await this.replicateReport(key, records, signal, paths)).acks;
  }

  /**
   * {@link ValueOps.replicate}, with the verdicts of the nodes that refused everything. When this node is
   * itself among the k closest to `key` (the lookup never queries us), it keeps the records too, as a
   * storer: otherwise the node best placed to hold a value would be the one without it.
   * @returns `acks`: nodes (other than us) that accepted at least one record; `refusals`: how often each
   *   verdict came from a node that accepted none; `keptHere`: whether we hold them as one of the k closest.
   */
  async replicateReport(
    key: Uint8Array,
    records: ReadonlyArray<{ record: ValueRecord; expiresAt: number }>,
    signal?: AbortSignal,
    paths?: number,
  ): Promise<{ acks: number; refusals: Map<string, number>; keptHere: boolean }> {
    const dht = this.dht;
    const result = await dht.lookup(key, false, { signal, paths });
    const now = dht.context.clock.now();
    const live = records.filter((r) => r.expiresAt > now);
    const wire = live.map((r) => toWire(r.record, r.expiresAt - now));
    const refusals = new Map<string, number>();
    if (wire.length === 0) return { acks: 0, refusals, keptHere: false };
    const k = dht.settings.bucketSize;
    const farthest = result.closest[k - 1]?.peer.id;
    const keptHere = farthest === undefined || compareDistance(key, dht.nodeId, farthest) < 0;
    if (keptHere) for (const r of live) dht.store.put(r.record, r.expiresAt - now, 'store');
    // Several values under one key may not fit one datagram: one store request per batch that does.
    const batches = packRecords(wire, dht.context.transport.maxPacketBytes - STORE_OVERHEAD_BYTES, WIRE_MAX_RECORDS);
    const storeAll = async (a: (typeof result.closest)[number]): Promise<WireVerdict[]> => {
      const verdicts: WireVerdict[] = [];
      for (const batch of batches) verdicts.push(...(await dht.sendStore(a.peer, a.reply.token, batch)));
      return verdicts;
    };
    const outcomes = await Promise.allSettled(result.closest.map(storeAll));
    let acks = 0;
    for (const o of outcomes) {
      if (o.status !== 'fulfilled') continue;
      if (o.value.some((v) => ACCEPTED_VERDICTS.has(v))) acks++;
      else for (const v of o.value) refusals.set(v, (refusals.get(v) ?? 0) + 1);
    }
    dht.statistics.storeAcks += acks;
    return { acks, refusals, keptHere };
  }

  /** See {@link DHTCommunity.findValues}. */
  async findValues(key: string | Uint8Array, options: FindOptions): Promise<FoundValue[]> {
    const dht = this.dht;
    const k = hashKey(key);
    const limit = options.limit ?? 100;
    if (!dht.isRunning) throw new DHTError('the DHT community is not running', 'stopped');
    dht.statistics.finds++;
    const quorum = dht.settings.quorum;
    if (dht.routingTable.size === 0 && dht.store.get(k).length > 0) {
      // Alone (not joined yet, or everyone else gone): what we hold is all there is to find.
      dht.statistics.findsWithValues++;
      return this.localValues(k, limit);
    }
    try {
      const result = await dht.lookup(k, true, {
        signal: options.signal,
        isDone: (found) => this.quorumReached(k, found, quorum),
        quorum,
        paths: options.disjointPaths,
      });
      const answers = await Promise.all(result.found.map((a) => this.allPages(a, k, limit)));
      const now = dht.context.clock.now();
      const expiry = new Map<string, number>();
      const records: ValueRecord[] = [];
      for (const { values, receivedAt } of answers) {
        for (const w of values) {
          const r = fromWire(w);
          records.push(r);
          const id = recordId(r) + '/' + r.version;
          expiry.set(id, Math.max(expiry.get(id) ?? 0, receivedAt + w.ttl));
        }
      }
      for (const s of dht.store.get(k, now)) {
        records.push(s.record);
        const id = recordId(s.record) + '/' + s.record.version;
        expiry.set(id, Math.max(expiry.get(id) ?? 0, s.expiresAt));
      }
      const merged = capUnsigned(mergeNewest(records, () => true), expiry, dht.settings.maxUnsignedPerKey).slice(0, limit);
      if (merged.length > 0) {
        dht.statistics.findsWithValues++;
        void this.cacheOnClosestLacking(k, result.closest, merged, expiry).catch(() => undefined);
      }
      return merged.map((r) => ({
        data: r.data,
        publicKey: r.publicKey === undefined ? null : (dht.context.keys.get(r.publicKey) ?? null),
        version: r.version,
        expiresAt: expiry.get(recordId(r) + '/' + r.version) ?? now,
      }));
    } catch (error) {
      throw dht.wrap(error);
    }
  }

  /** The values this node holds under `key`, newest per publisher, as `findValues` returns them. */
  private localValues(key: Uint8Array, limit: number): FoundValue[] {
    const dht = this.dht;
    const held = dht.store.get(key);
    const expiry = new Map(held.map((s) => [recordId(s.record) + '/' + s.record.version, s.expiresAt]));
    const merged = capUnsigned(mergeNewest(held.map((s) => s.record), () => true), expiry, dht.settings.maxUnsignedPerKey).slice(0, limit);
    return merged.map((r) => ({
      data: r.data,
      publicKey: r.publicKey === undefined ? null : (dht.context.keys.get(r.publicKey) ?? null),
      version: r.version,
      expiresAt: expiry.get(recordId(r) + '/' + r.version) ?? dht.context.clock.now(),
    }));
  }

  /**
   * Early stop of a value lookup: `quorum` responders with values, one of them a storer (its reply says
   * `authoritative`: it holds the values from the publisher or by replication, not as a cache) or among
   * the `quorum` nodes nearest the key of all the responders and the nodes they pointed to. A cache along
   * the path keeps the version that was current when it was cached, while storers get every update (and
   * the newest version wins the merge), so stopping at the first `quorum` answers when all are caches could
   * return a superseded version. When neither holds, the lookup runs to its end.
   */
  private quorumReached(key: Uint8Array, found: ReadonlyArray<Answered<FindReply>>, quorum: number): boolean {
    if (found.length < quorum) return false;
    // A storer (not a cache) among the answers got every update from the publisher or by replication.
    if (found.some((a) => a.reply.authoritative)) return true;
    const answered = new Set(found.map((a) => toHex(a.peer.id)));
    const seen = new Map<string, Uint8Array>();
    for (const a of found) {
      seen.set(toHex(a.peer.id), a.peer.id);
      for (const n of a.reply.nodes) seen.set(toHex(n.id), n.id);
    }
    seen.delete(toHex(this.dht.nodeId)); // never queried: our own values are merged separately
    const nearest = [...seen].sort((x, y) => compareDistance(key, x[1], y[1])).slice(0, quorum);
    return nearest.some(([hex]) => answered.has(hex));
  }

  /** Stores several values with bounded parallelism. */
  async storeMany(items: readonly StoreItem[], options: { signal?: AbortSignal; concurrency?: number }): Promise<ManyResult<number>[]> {
    return this.batch(items, options.concurrency ?? 8, (item) =>
      this.storeValue(item.key, item.data, { sign: item.sign, ttl: item.ttl, signal: options.signal }),
    );
  }

  /** Finds several keys with bounded parallelism. */
  async findMany(keys: ReadonlyArray<string | Uint8Array>, options: FindOptions & { concurrency?: number }): Promise<ManyResult<FoundValue[]>[]> {
    return this.batch(keys, options.concurrency ?? 8, (key) => this.findValues(key, options));
  }

  private async batch<I, T>(items: readonly I[], concurrency: number, run: (item: I) => Promise<T>): Promise<ManyResult<T>[]> {
    const results: ManyResult<T>[] = new Array(items.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const i = next++;
        try {
          results[i] = { ok: true, value: await run(items[i]!) };
        } catch (error) {
          results[i] = { ok: false, error: error instanceof DHTError ? error : new DHTError(String(error), 'rejected', { cause: error }) };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
    return results;
  }

  /** Fetches the remaining pages of values from a responder that holds more than it sent. */
  private async allPages(a: Answered<FindReply>, key: Uint8Array, limit: number): Promise<{ values: WireRecordValue[]; receivedAt: number }> {
    const values = [...(a.reply.found ?? [])];
    const receivedAt = this.dht.context.clock.now();
    let pages = 1;
    let offset = a.reply.found?.length ?? 0;
    while (offset < a.reply.total && values.length < limit && pages < MAX_PAGES) {
      try {
        const next = await this.dht.queryFind(a.peer, key, true, offset);
        const page = next.found ?? [];
        if (page.length === 0) break;
        values.push(...page);
        offset += page.length;
        pages++;
      } catch {
        break;
      }
    }
    return { values, receivedAt };
  }

  /** Kademlia caching: store the found values on the closest node that answered without them. */
  private async cacheOnClosestLacking(
    key: Uint8Array,
    closest: ReadonlyArray<Answered<FindReply>>,
    records: readonly ValueRecord[],
    expiry: ReadonlyMap<string, number>,
  ): Promise<void> {
    const target = closest.find((a) => a.reply.found === undefined);
    if (target === undefined) return;
    const now = this.dht.context.clock.now();
    const budget = this.dht.context.transport.maxPacketBytes - STORE_OVERHEAD_BYTES;
    const wire: WireRecordValue[] = [];
    let used = 0;
    for (const r of records) {
      const ttl = (expiry.get(recordId(r) + '/' + r.version) ?? now) - now;
      const size = wireRecordSize(r);
      if (ttl <= 0 || used + size > budget) continue;
      wire.push(toWire(r, ttl));
      used += size;
    }
    if (wire.length > 0) await this.dht.sendStore(target.peer, target.reply.token, wire, true);
    void key;
  }

  private nextVersion(now: number): number {
    // A version is a safe uint: a simulated clock with jittered delays has fractional milliseconds.
    this.lastVersion = Math.max(Math.floor(now), this.lastVersion + 1);
    return this.lastVersion;
  }
}
