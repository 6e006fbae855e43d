/**
 * The publishing side of the bag: sign entries and tombstones, store them on the k nodes closest to
 * the key with the token each issued us, and remember our own entries so they are republished before
 * they expire.
 * @module
 */
import { toHex } from '../../framework/index.js';
import type { FindReplyAnswer } from '../dht/index.js';
import { compareDistance, packBySize } from '../dht/index.js';
import type { BagCommunity } from './community.js';
import { BagError } from './errors.js';
import { STORE_REQUEST_OVERHEAD_BYTES, toWire, wireRecordBytes } from './handlers.js';
import { BAG_ACCEPTED, BAG_VERDICT_CODES, BagStoreRequest, WIRE_MAX_STORE_RECORDS } from './messages.js';
import type { BagVerdict } from './messages.js';
import type { BagRecord } from './record.js';
import { entryId, signBagRecord } from './record.js';

/** Options of {@link BagCommunity.add}. */
export interface AddOptions {
  /** Lifetime in ms; the entry is republished before it ends while this node runs. @default `defaultTtlMs` (1 h) */
  ttl?: number;
  /** Cancels the store. */
  signal?: AbortSignal;
}

/** Outcome of a store to the k closest nodes. */
export interface StoreOutcome {
  /** Nodes that hold the record(s) afterwards (this node included when it is among the k closest). */
  readonly stored: number;
  /** Every storer verdict, by name (`stored: 7, publisher-full: 1`). */
  readonly verdicts: Readonly<Record<string, number>>;
}

/** One of our own entries, kept for republishing. */
export interface PublishedEntry {
  /** The latest signed record. */
  record: BagRecord;
  /** The lifetime the publisher asked for, in ms. */
  readonly ttlMs: number;
}

/** Signs, stores and remembers this node's entries. */
export class Publisher {
  /** Our live entries by `keyHex/idHex`. */
  readonly published = new Map<string, PublishedEntry>();
  private lastVersion = 0;

  /** @param bag the owner. */
  constructor(private readonly bag: BagCommunity) {}

  /** A version above every earlier one: the clock in ms, or one more than the last. */
  nextVersion(): number {
    this.lastVersion = Math.max(this.bag.now(), this.lastVersion + 1);
    return this.lastVersion;
  }

  /** Signs a fresh version of (key, value) expiring `ttlMs` from now. */
  sign(key: Uint8Array, value: Uint8Array, ttlMs: number, removed: boolean, expiresAt?: number): BagRecord {
    const version = this.nextVersion();
    return signBagRecord(this.bag.context.key, { key, value, version, expiresAt: expiresAt ?? this.bag.now() + ttlMs, removed });
  }

  /** See {@link BagCommunity.add}. */
  async add(key: Uint8Array, value: Uint8Array, options: AddOptions): Promise<StoreOutcome> {
    const bag = this.bag;
    const s = bag.settings;
    if (!(value instanceof Uint8Array)) throw new BagError('value must be a Uint8Array', 'invalid-value');
    if (value.length > s.maxValueBytes) throw new BagError(`value of ${value.length} bytes exceeds maxValueBytes (${s.maxValueBytes})`, 'too-large');
    if (STORE_REQUEST_OVERHEAD_BYTES + wireRecordBytes(value) > bag.context.transport.maxPacketBytes) {
      throw new BagError(`a ${value.length}-byte value does not fit one ${bag.context.transport.maxPacketBytes}-byte datagram`, 'too-large');
    }
    const ttlMs = options.ttl ?? s.defaultTtlMs;
    if (!Number.isSafeInteger(ttlMs) || ttlMs < s.minTtlMs || ttlMs > s.maxTtlMs) {
      throw new BagError(`ttl must be an integer number of ms in [${s.minTtlMs}, ${s.maxTtlMs}], got ${ttlMs}`, 'invalid-ttl');
    }
    const record = this.sign(key, value, ttlMs, false);
    const outcome = await this.storeOrThrow(key, [record], options.signal, 'add');
    bag.statistics.adds++;
    this.published.set(publishedId(record), { record, ttlMs });
    return outcome;
  }

  /** See {@link BagCommunity.remove}. */
  async remove(key: Uint8Array, value: Uint8Array, signal?: AbortSignal): Promise<StoreOutcome> {
    const bag = this.bag;
    if (!(value instanceof Uint8Array)) throw new BagError('value must be a Uint8Array', 'invalid-value');
    if (value.length > bag.settings.maxValueBytes) throw new BagError(`value of ${value.length} bytes exceeds maxValueBytes`, 'too-large');
    const now = bag.now();
    const id = `${toHex(key)}/${toHex(entryId(bag.context.key.publicKey.toBinary(), value))}`;
    const mine = this.published.get(id);
    // The tombstone must outlive every copy of the entry: as long as our latest signed expiry.
    const expiresAt = mine !== undefined && mine.record.expiresAt > now ? mine.record.expiresAt : now + bag.settings.maxTtlMs;
    const tombstone = this.sign(key, value, 0, true, expiresAt);
    this.published.delete(id);
    const outcome = await this.storeOrThrow(key, [tombstone], signal, 'remove');
    bag.statistics.removes++;
    return outcome;
  }

  /**
   * Stores signed records under `key` on the k closest nodes (and here, when this node is one of them).
   * @param includeSelf also store in our own store when we are among the k closest. @default true
   */
  async storeRecords(key: Uint8Array, records: readonly BagRecord[], signal?: AbortSignal, includeSelf = true): Promise<StoreOutcome> {
    const bag = this.bag;
    const nodes = await bag.closestNodes(key, signal);
    const verdicts: Record<string, number> = {};
    const outcomes = await Promise.all(nodes.map((n) => this.storeOn(n, key, records, signal).catch(() => [] as BagVerdict[])));
    let stored = 0;
    for (const list of outcomes) {
      for (const v of list) verdicts[v] = (verdicts[v] ?? 0) + 1;
      if (list.some((v) => BAG_ACCEPTED.has(v))) stored++;
    }
    if (includeSelf && this.isAmongClosest(key, nodes)) {
      const now = bag.now();
      const local = records.map((r) => bag.store.put(r, now));
      for (const v of local) verdicts[v] = (verdicts[v] ?? 0) + 1;
      if (local.some((v) => BAG_ACCEPTED.has(v))) stored++;
    }
    return { stored, verdicts };
  }

  private async storeOrThrow(key: Uint8Array, records: BagRecord[], signal: AbortSignal | undefined, what: string): Promise<StoreOutcome> {
    try {
      const outcome = await this.storeRecords(key, records, signal);
      if (outcome.stored > 0) return outcome;
      signal?.throwIfAborted();
      const reasons = Object.keys(outcome.verdicts);
      if (reasons.length === 0) throw new BagError(`no storer answered the ${what}; try again later`, 'no-nodes');
      throw new BagError(`every storer refused the ${what}: ${JSON.stringify(outcome.verdicts)}`, 'rejected', { verdicts: outcome.verdicts });
    } catch (error) {
      this.bag.statistics.addsFailed++;
      throw this.bag.wrap(error);
    }
  }

  /** Sends the records to one node in datagram-sized batches; one verdict per record. */
  private async storeOn(node: FindReplyAnswer, key: Uint8Array, records: readonly BagRecord[], signal?: AbortSignal): Promise<BagVerdict[]> {
    const verdicts: BagVerdict[] = [];
    const budget = this.bag.context.transport.maxPacketBytes - STORE_REQUEST_OVERHEAD_BYTES;
    for (const batch of packBySize(records, (r) => wireRecordBytes(r.value), budget, WIRE_MAX_STORE_RECORDS)) {
      const recipient = this.bag.dht.recipientKey(node.peer.id);
      const m = await this.bag.sendRequest(node.peer.address, BagStoreRequest, { token: node.token, key, records: batch.map(toWire) }, { signal, recipient });
      const codes = (m.value as { verdicts: number[] }).verdicts;
      for (const c of codes) verdicts.push(BAG_VERDICT_CODES[c] ?? 'invalid');
    }
    return verdicts;
  }

  private isAmongClosest(key: Uint8Array, nodes: readonly FindReplyAnswer[]): boolean {
    const k = this.bag.dht.settings.bucketSize;
    const farthest = nodes[nodes.length - 1];
    return nodes.length < k || farthest === undefined || compareDistance(key, this.bag.dht.nodeId, farthest.peer.id) < 0;
  }
}

/** The key of a record in {@link Publisher.published}. */
export function publishedId(r: BagRecord): string {
  return `${toHex(r.key)}/${toHex(entryId(r.publicKey, r.value))}`;
}
