/**
 * The client side of the namespace: read the highest valid seq from the k closest storers, write with
 * the next seq (or an explicit one, with optional compare-and-swap), and remember our records so they are
 * republished before they expire.
 * @module
 */
import type { PublicKey } from '../../framework/index.js';
import { toHex } from '../../framework/index.js';
import type { FindReplyAnswer } from '../dht/index.js';
import { compareDistance } from '../dht/index.js';
import type { NamespaceCommunity } from './community.js';
import { NamespaceError } from './errors.js';
import type { NamespaceErrorReason } from './errors.js';
import { NAMESPACE_ACCEPTED, NAMESPACE_VERDICT_CODES, NamespaceGetRequest, NamespacePutRequest } from './messages.js';
import type { NamespaceVerdict } from './messages.js';
import type { NamespaceRecord } from './record.js';
import { checkNamespaceRecord, signNamespaceRecord } from './record.js';

/** Options of {@link NamespaceCommunity.set}. */
export interface SetOptions {
  /** The seq to write. @default one above the highest seq found on the storers or written by this node */
  seq?: number;
  /** Compare-and-swap: write only where the storer holds exactly this seq. */
  cas?: number;
  /** Lifetime in ms; republished before it ends while this node runs. @default `defaultTtlMs` (1 h) */
  ttl?: number;
  /** Cancels the operation. */
  signal?: AbortSignal;
}

/** Options of {@link NamespaceCommunity.putRecord}. */
export interface PutOptions {
  /** Lifetime in ms. @default `defaultTtlMs` */
  ttl?: number;
  /** Compare-and-swap seq. */
  cas?: number;
  /** Cancels the operation. */
  signal?: AbortSignal;
}

/** Outcome of a put to the k closest nodes. */
export interface PutOutcome {
  /** The seq written. */
  readonly seq: number;
  /** Nodes that hold the record afterwards (this node included when it is among the k closest). */
  readonly stored: number;
  /** Every storer verdict, by name. */
  readonly verdicts: Readonly<Record<string, number>>;
}

/** A value read with {@link NamespaceCommunity.get}. */
export interface NamespaceValue {
  /** The value. */
  readonly value: Uint8Array;
  /** Its seq: the highest valid one among the storers asked. */
  readonly seq: number;
  /** The publisher. */
  readonly publicKey: PublicKey;
}

/** One of our records, kept for republishing. */
export interface PublishedRecord {
  /** The signed record. */
  readonly record: NamespaceRecord;
  /** The lifetime asked for, in ms. */
  readonly ttlMs: number;
  /** When the storers' copies expire unless refreshed (this node's clock). */
  expiresAt: number;
}

/** Reads and writes of one node. */
export class NamespaceClient {
  /** Our records by location hex. */
  readonly published = new Map<string, PublishedRecord>();
  /** The highest seq this node wrote per location hex (survives expiry of the record). */
  private readonly lastSeq = new Map<string, number>();

  /** @param ns the owner. */
  constructor(private readonly ns: NamespaceCommunity) {}

  /** See {@link NamespaceCommunity.set}. */
  async set(key: Uint8Array, value: Uint8Array, o: SetOptions): Promise<PutOutcome> {
    const ns = this.ns;
    if (!(value instanceof Uint8Array)) throw new NamespaceError('value must be a Uint8Array', 'invalid-value');
    if (value.length > ns.settings.maxValueBytes) throw new NamespaceError(`value of ${value.length} bytes exceeds maxValueBytes (${ns.settings.maxValueBytes})`, 'too-large');
    for (const [name, v] of [['seq', o.seq], ['cas', o.cas]] as const) {
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new NamespaceError(`${name} must be a non-negative safe integer, got ${v}`, 'invalid-seq');
    }
    const ttlMs = this.checkTtl(o.ttl);
    const publicKey = ns.context.key.publicKey.toBinary();
    // The largest put this call can make (any seq, a full signature) must fit one datagram.
    this.checkFits({ publicKey, key, seq: Number.MAX_SAFE_INTEGER, value, signature: new Uint8Array(64) }, ttlMs, o.cas);
    const location = ns.locationOf({ publicKey, key });
    const nodes = await ns.closestNodes(location, o.signal);
    let seq = o.seq;
    if (seq === undefined) {
      const current = await this.query(nodes, location, publicKey, key, o.signal);
      seq = Math.max(current?.seq ?? -1, this.lastSeq.get(toHex(location)) ?? -1) + 1;
    }
    const record = signNamespaceRecord(ns.context.key, key, seq, value);
    const outcome = await this.putOn(nodes, location, record, ttlMs, o.cas, o.signal);
    if (outcome.stored === 0) throw failure(outcome, o.signal);
    this.lastSeq.set(toHex(location), Math.max(seq, this.lastSeq.get(toHex(location)) ?? -1));
    this.published.set(toHex(location), { record, ttlMs, expiresAt: ns.now() + ttlMs });
    return outcome;
  }

  /** See {@link NamespaceCommunity.get}. */
  async get(publicKey: Uint8Array, key: Uint8Array, signal?: AbortSignal): Promise<NamespaceValue | undefined> {
    const ns = this.ns;
    const location = ns.locationOf({ publicKey, key });
    const nodes = await ns.closestNodes(location, signal);
    const best = await this.query(nodes, location, publicKey, key, signal);
    return best === undefined ? undefined : { value: best.value, seq: best.seq, publicKey: ns.context.keys.get(publicKey)! };
  }

  /** See {@link NamespaceCommunity.putRecord}. */
  async putRecord(record: NamespaceRecord, o: PutOptions): Promise<PutOutcome> {
    const ttlMs = this.checkTtl(o.ttl);
    this.checkFits(record, ttlMs, o.cas);
    const location = this.ns.locationOf(record);
    const nodes = await this.ns.closestNodes(location, o.signal);
    return this.putOn(nodes, location, record, ttlMs, o.cas, o.signal);
  }

  /** Puts `record` on `nodes` (and here when this node is among the k closest). */
  async putOn(
    nodes: readonly FindReplyAnswer[],
    location: Uint8Array,
    record: NamespaceRecord,
    ttlMs: number,
    cas: number | undefined,
    signal?: AbortSignal,
  ): Promise<PutOutcome> {
    const ns = this.ns;
    const verdicts: Record<string, number> = {};
    const count = (v: NamespaceVerdict): void => {
      verdicts[v] = (verdicts[v] ?? 0) + 1;
    };
    const answers = await Promise.all(
      nodes.map(async (n) => {
        try {
          const recipient = ns.dht.recipientKey(n.peer.id);
          const m = await ns.sendRequest(n.peer.address, NamespacePutRequest, { token: n.token, record, ttl: ttlMs, cas }, { signal, recipient });
          return NAMESPACE_VERDICT_CODES[(m.value as { verdict: number }).verdict] ?? 'invalid';
        } catch {
          return undefined;
        }
      }),
    );
    if (this.isAmongClosest(location, nodes)) answers.push(ns.store.put(record, ttlMs, cas, ns.now()));
    let stored = 0;
    for (const v of answers) {
      if (v === undefined) continue;
      count(v);
      if (NAMESPACE_ACCEPTED.has(v)) stored++;
    }
    return { seq: record.seq, stored, verdicts };
  }

  /** Asks every node for the record at `location`; returns the verified one with the highest seq. */
  async query(
    nodes: readonly FindReplyAnswer[],
    location: Uint8Array,
    publicKey: Uint8Array,
    key: Uint8Array,
    signal?: AbortSignal,
  ): Promise<NamespaceRecord | undefined> {
    const ns = this.ns;
    ns.statistics.gets++;
    const found = await Promise.all(nodes.map((n) => this.queryOne(n, location, signal).catch(() => undefined)));
    const local = ns.store.get(location, ns.now())?.record;
    let best: NamespaceRecord | undefined;
    for (const r of [...found, local]) {
      if (r === undefined) continue;
      const record = { publicKey, key, seq: r.seq, value: r.value, signature: r.signature };
      if (checkNamespaceRecord(record, ns.context.keys) !== 'valid') {
        ns.statistics.recordsRejected++;
        continue;
      }
      if (best === undefined || record.seq > best.seq) best = record;
    }
    return best;
  }

  private async queryOne(n: FindReplyAnswer, location: Uint8Array, signal?: AbortSignal): Promise<{ seq: number; value: Uint8Array; signature: Uint8Array } | undefined> {
    let token: Uint8Array | undefined = n.token;
    for (let attempt = 0; attempt < 2; attempt++) {
      const m = await this.ns.sendRequest(n.peer.address, NamespaceGetRequest, { location, token }, { signal, recipient: this.ns.dht.recipientKey(n.peer.id) });
      const v = m.value as { token: Uint8Array; record?: { seq: number; value: Uint8Array; signature: Uint8Array }; withheld: boolean };
      if (v.record !== undefined || !v.withheld) return v.record;
      token = v.token; // withheld for want of a valid token: retry once with the fresh one
    }
    return undefined;
  }

  private checkTtl(ttl: number | undefined): number {
    const s = this.ns.settings;
    const ttlMs = ttl ?? s.defaultTtlMs;
    if (!Number.isSafeInteger(ttlMs) || ttlMs < s.minTtlMs || ttlMs > s.maxTtlMs) {
      throw new NamespaceError(`ttl must be an integer number of ms in [${s.minTtlMs}, ${s.maxTtlMs}], got ${ttlMs}`, 'invalid-ttl');
    }
    return ttlMs;
  }

  /** Throws `too-large` when a put of `record` would not fit one datagram. */
  private checkFits(record: NamespaceRecord, ttlMs: number, cas: number | undefined): void {
    const max = this.ns.context.transport.maxPacketBytes;
    const size = this.ns.encode(NamespacePutRequest, { id: 2n ** 64n - 1n, token: new Uint8Array(8), record, ttl: ttlMs, cas }).length;
    if (size > max) throw new NamespaceError(`key (${record.key.length} bytes) and value (${record.value.length} bytes) need a ${size}-byte put, over the ${max}-byte datagram limit`, 'too-large');
  }

  private isAmongClosest(location: Uint8Array, nodes: readonly FindReplyAnswer[]): boolean {
    const farthest = nodes[nodes.length - 1];
    return nodes.length < this.ns.dht.settings.bucketSize || farthest === undefined || compareDistance(location, this.ns.dht.nodeId, farthest.peer.id) < 0;
  }
}

/** The error for a put no storer accepted: the most common refusal, or `no-nodes` when nobody answered. */
function failure(outcome: PutOutcome, signal: AbortSignal | undefined): NamespaceError {
  signal?.throwIfAborted();
  const entries = Object.entries(outcome.verdicts).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return new NamespaceError('no storer answered the put; try again later', 'no-nodes');
  const top = entries[0]![0];
  const named: readonly string[] = ['stale-seq', 'cas-mismatch', 'too-large'];
  const reason: NamespaceErrorReason = named.includes(top) ? (top as NamespaceErrorReason) : 'rejected';
  return new NamespaceError(`every storer refused seq ${outcome.seq}: ${JSON.stringify(outcome.verdicts)}`, reason, { verdicts: outcome.verdicts });
}
