/**
 * The client's side of a record type, written once for every type: one find request (with the token the
 * node issued us, or padded without one; every returned record checked before anyone sees it), paging
 * through one storer, datagram-sized store batches to one node, the fan-out of a publication to the k
 * closest nodes with a tally of their verdicts, and merging what several storers returned.
 * @module
 */
import type { PublicKey } from '../../../framework/index.js';
import { compareBytes, encodeBody, equalBytes, macEnvelopeBytes, signedEnvelopeBytes, toHex } from '../../../framework/index.js';
import { compareDistance } from '../routing/node-id.js';
import type { LookupListener } from '../lookup-events.js';
import { TOKEN_BYTES } from '../storage/token-manager.js';
import { packBySize } from './pack.js';
import type { FindRequestBody, FindResponseBody, StoreRequestBody, WireItem } from './record-messages.js';
import { MAX_FIND_PADDING_BYTES, WIRE_MAX_RECORDS } from './record-messages.js';
import type { RecordPolicy, RecordVerdict } from './policy.js';
import { ACCEPTED_VERDICTS, verdictOf } from './policy.js';
import { AMPLIFICATION_FACTOR, FIND_RESPONSE_BODY_BYTES, NODE_ENTRY_BYTES } from './record-server.js';
import type { ClosestNode, FindReply, PublishOutcome, QueryOptions, RecordClientParts, RecordPeer, StorerPage, TimedRecord } from './engine-types.js';

/** Most pages fetched from one storer in one read. */
export const MAX_PAGES = 64;
/**
 * Bytes of a find request without token and padding, beyond its envelope: array header, id, target,
 * flags and empty optionals. An underestimate only adds a few bytes of padding.
 */
const FIND_BODY_BYTES = 38;
/** Bytes of a signed store request that are not records (an upper bound). */
const STORE_FIXED_BYTES = 1 + 9 + 10 + 22 + 1 + 9 + 3;

/** The client side of one record type. */
export class RecordClient<R, W> {
  private readonly policy: RecordPolicy<R, W>;

  /** @param parts what it works with. */
  constructor(private readonly parts: RecordClientParts<R, W>) {
    this.policy = parts.store.policy as RecordPolicy<R, W>;
  }

  /**
   * Sends one find request to `peer`: with the last token it issued us, or padded when we have none; when
   * an unproven answer held records back, asks once more with the fresh token.
   */
  async query(peer: RecordPeer, target: Uint8Array, records: boolean, options: QueryOptions = {}): Promise<FindReply<R>> {
    const { messages, tokens } = this.parts;
    const hex = toHex(peer.id);
    let token = tokens.get(hex);
    for (let attempt = 0; ; attempt++) {
      const padding = token === undefined ? this.padding(records) : undefined;
      const body: Omit<FindRequestBody, 'id'> = { target, records, cursor: options.cursor, publisher: options.publisher, token, padding };
      const m = await this.parts.request(peer, messages.Find, body, options.signal);
      const v = m.value;
      tokens.remember(hex, v.token);
      const withheld = records && v.records.length === 0 && v.more;
      if (withheld && attempt === 0 && (token === undefined || !equalBytes(token, v.token))) {
        token = v.token;
        continue;
      }
      return this.reply(target, records, v, m.sender!, options.cursor);
    }
  }

  /**
   * A find answer for `target` as the requester keeps it (a single find's, or one target's of a
   * multi-target find): every record checked (decodable, at `target`, authentic, ascending by id after
   * `cursor`), the page counted.
   */
  reply(target: Uint8Array, records: boolean, v: Omit<FindResponseBody<W>, 'id'>, sender: PublicKey, cursor?: Uint8Array): FindReply<R> {
    if (records) this.parts.statistics.pagesRequested++;
    const { found, lastId } = this.checked(target, v.records, cursor);
    return { nodes: v.nodes, found: found.length > 0 ? found : undefined, token: v.token, total: v.total, more: v.more, authoritative: v.authoritative, sender, lastId };
  }

  /**
   * Continues reading one storer from its first answer: further pages from the answer's last id while more
   * follow, up to `limit` records (checked ones) and {@link MAX_PAGES} pages.
   * @returns the records, whether the storer has nothing beyond them, and the last id it covered.
   */
  async allPages(peer: RecordPeer, target: Uint8Array, first: FindReply<R>, limit: number, options: QueryOptions = {}): Promise<StorerPage<R>> {
    const records = [...(first.found ?? [])];
    let more = first.more;
    let lastId = first.lastId;
    for (let pages = 1; more && lastId !== undefined && records.length < limit && pages < MAX_PAGES; pages++) {
      let next: FindReply<R>;
      try {
        next = await this.query(peer, target, true, { ...options, cursor: lastId });
      } catch {
        break;
      }
      if (next.lastId === undefined || (next.found === undefined && equalBytes(next.lastId, lastId))) break;
      records.push(...(next.found ?? []));
      more = next.more;
      lastId = next.lastId;
    }
    return { records, exhausted: !more, lastId };
  }

  /** Reads one storer from `options.cursor`: its first page, then {@link RecordClient.allPages}. */
  async read(peer: RecordPeer, target: Uint8Array, limit: number, options: QueryOptions = {}): Promise<StorerPage<R>> {
    const first = await this.query(peer, target, true, options);
    return this.allPages(peer, target, first, limit, options);
  }

  /**
   * Stores `items` at `location` on one node, in datagram-sized batches.
   * @returns one verdict per record, in order (`unavailable` for the records of a batch that failed).
   */
  async storeOn(
    node: ClosestNode,
    location: Uint8Array,
    items: ReadonlyArray<TimedRecord<R>>,
    options: { cache?: boolean; cas?: number | undefined; signal?: AbortSignal | undefined } = {},
  ): Promise<RecordVerdict[]> {
    const now = this.parts.store.now();
    const wire = items.map((i) => ({ record: this.policy.toWire(i.record), ttl: Math.max(0, Math.floor(i.expiresAt - now)) }));
    const verdicts: RecordVerdict[] = [];
    const budget = this.parts.node.maxPacketBytes - signedEnvelopeBytes(this.parts.node.publicKeyBytes) - STORE_FIXED_BYTES;
    for (const batch of packBySize(wire, (w) => this.wireSize(w), budget, WIRE_MAX_RECORDS)) {
      const body: Omit<StoreRequestBody<W>, 'id'> = { token: node.token, location, cache: options.cache === true, cas: options.cas, records: batch };
      const m = await this.parts.request(node.peer, this.parts.messages.Store, body, options.signal);
      const codes = m.value.verdicts;
      for (let i = 0; i < batch.length; i++) verdicts.push(verdictOf(codes[i] ?? -1));
    }
    return verdicts;
  }

  /**
   * Stores `items` at `location` on the k closest nodes, and here when this node is one of them.
   * Never throws for a refusal: read the outcome.
   * @throws `DHTError` from the lookup (`no-nodes`, `aborted`, `stopped`).
   */
  async publish(
    location: Uint8Array,
    items: ReadonlyArray<TimedRecord<R>>,
    options: {
      signal?: AbortSignal | undefined;
      paths?: number | undefined;
      cas?: number | undefined;
      includeSelf?: boolean;
      nodes?: readonly ClosestNode[] | undefined;
      /** How this node holds its copy when it is among the k closest: `local` for its own records. @default 'store' */
      origin?: 'store' | 'local';
      /** Receives the events of the lookup for the k closest. */
      onEvent?: LookupListener | undefined;
    } = {},
  ): Promise<PublishOutcome> {
    const nodes = options.nodes ?? (await this.parts.closestNodes(location, { signal: options.signal, paths: options.paths, kind: 'store', onEvent: options.onEvent }));
    const now = this.parts.store.now();
    const live = items.filter((i) => i.expiresAt > now);
    const verdicts: Record<string, number> = {};
    const refusals: Record<string, number> = {};
    if (live.length === 0) return { acks: 0, stored: 0, keptHere: false, verdicts, refusals };
    const keptHere = options.includeSelf !== false && this.isAmongClosest(location, nodes);
    let stored = 0;
    if (keptHere) {
      const local = live.map((i) => this.parts.store.put(i.record, i.expiresAt - now, { origin: options.origin ?? 'store', cas: options.cas }));
      if (local.some((v) => ACCEPTED_VERDICTS.has(v))) stored++;
    }
    const outcomes = await Promise.allSettled(nodes.map((n) => this.storeOn(n, location, live, { cas: options.cas, signal: options.signal })));
    let acks = 0;
    for (const o of outcomes) {
      if (o.status !== 'fulfilled') continue;
      for (const v of o.value) verdicts[v] = (verdicts[v] ?? 0) + 1;
      if (o.value.some((v) => ACCEPTED_VERDICTS.has(v))) acks++;
      else for (const v of o.value) refusals[v] = (refusals[v] ?? 0) + 1;
    }
    return { acks, stored: stored + acks, keptHere, verdicts, refusals };
  }

  /**
   * Merges what several storers (and this node) returned: per record id the newest version that passed
   * the checks; equal versions resolve by their encoded bytes, so the result does not depend on the order
   * of the answers. Each record's expiry is the latest any storer reported for that version.
   * @param perClass at most this many records of one class (those expiring last), as storers keep them.
   * @returns the records ascending by id.
   */
  merge(items: ReadonlyArray<TimedRecord<R>>, perClass?: Readonly<Record<string, number>>): Array<TimedRecord<R>> {
    const policy = this.policy;
    const best = new Map<string, { record: R; expiresAt: number; bytes: Uint8Array }>();
    for (const item of items) {
      const id = toHex(policy.id(item.record));
      const held = best.get(id);
      const version = policy.version(item.record);
      if (held !== undefined && version < policy.version(held.record)) continue;
      const bytes = encodeBody(policy.wire, policy.toWire(item.record));
      if (held !== undefined && version === policy.version(held.record)) {
        const order = compareBytes(bytes, held.bytes);
        if (order === 0) held.expiresAt = Math.max(held.expiresAt, item.expiresAt);
        if (order >= 0) continue;
      }
      best.set(id, { record: item.record, expiresAt: item.expiresAt, bytes });
    }
    let merged = [...best].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, v]) => ({ record: v.record, expiresAt: v.expiresAt }));
    if (perClass !== undefined && policy.classify !== undefined) {
      const byClass = new Map<string, Array<TimedRecord<R>>>();
      for (const r of merged) {
        const c = policy.classify(r.record);
        byClass.set(c, [...(byClass.get(c) ?? []), r]);
      }
      const dropped = new Set<TimedRecord<R>>();
      for (const [c, list] of byClass) {
        const cap = perClass[c];
        if (cap === undefined || list.length <= cap) continue;
        for (const r of [...list].sort((a, b) => b.expiresAt - a.expiresAt).slice(cap)) dropped.add(r);
      }
      merged = merged.filter((r) => !dropped.has(r));
    }
    return merged;
  }

  /**
   * True when `record` fits one signed datagram both ways: in a store request (with the largest request
   * id, the type's longest lifetime and `cas` when given) and, alone, in a find response; a record that
   * does not can never be stored or served.
   */
  fitsOneDatagram(record: R, cas?: number): boolean {
    const { messages, node } = this.parts;
    const envelope = signedEnvelopeBytes(node.publicKeyBytes);
    const item = { record: this.policy.toWire(record), ttl: this.policy.limits.maxTtlMs };
    const id = 2n ** 64n - 1n;
    const token = new Uint8Array(TOKEN_BYTES);
    const store = encodeBody(messages.StoreRequest.schema, { id, token, location: new Uint8Array(20), cache: false, cas, records: [item] });
    const found = encodeBody(messages.FindResponse.schema, { id, token, nodes: [], records: [item], total: WIRE_MAX_RECORDS, more: true, authoritative: true });
    return envelope + Math.max(store.length, found.length) <= node.maxPacketBytes;
  }

  /** True when this node is among the k closest to `location` of `nodes` (the lookup never queries us). */
  isAmongClosest(location: Uint8Array, nodes: readonly ClosestNode[]): boolean {
    const k = this.parts.node.k;
    const farthest = nodes.length < k ? undefined : nodes[nodes.length - 1];
    return farthest === undefined || compareDistance(location, this.parts.node.id, farthest.peer.id) < 0;
  }

  /** Checks every record of a page: decodable, at `target`, authentic, in ascending id order after `cursor`. */
  private checked(target: Uint8Array, items: ReadonlyArray<WireItem<W>>, cursor: Uint8Array | undefined): { found: Array<TimedRecord<R>>; lastId: Uint8Array | undefined } {
    const policy = this.policy;
    const now = this.parts.store.now();
    const found: Array<TimedRecord<R>> = [];
    let lastHex = cursor === undefined ? undefined : toHex(cursor);
    let lastId = cursor;
    for (const item of items) {
      let record: R;
      try {
        record = policy.fromWire(target, item.record);
      } catch {
        this.parts.statistics.recordsRejected++;
        continue;
      }
      const id = policy.id(record);
      const hex = toHex(id);
      if (lastHex !== undefined && hex <= lastHex) {
        this.parts.statistics.recordsRejected++; // out of order: the storer is broken or lying; ignore the rest
        break;
      }
      lastHex = hex;
      lastId = id;
      if (equalBytes(policy.location(record), target) && policy.check(record, target) === 'valid') {
        const signed = policy.signedExpiry?.(record);
        const expiresAt = Math.min(now + item.ttl, signed ?? Number.POSITIVE_INFINITY);
        found.push({ record, expiresAt });
      } else this.parts.statistics.recordsRejected++;
    }
    return { found, lastId };
  }

  /** Upper bound of one wire item's encoded size. */
  private wireSize(w: WireItem<W>): number {
    return encodeBody(this.policy.wire, w.record).length + 10;
  }

  /**
   * Padding that makes a tokenless find request at least a third of its largest reply, so the 3x
   * amplification bound lets the reply through whole: a third of a datagram when it asks for records (a
   * page may fill one), and a third of a signed reply with k node entries when it asks for nodes only (a
   * node lookup's request is then about 200 bytes instead of 467 with 1,400-byte datagrams; a responder
   * with a larger k sends as many nodes as fit). Counted for the smaller envelope of a tagged request, so
   * a signed one is 48 bytes over.
   */
  private padding(records: boolean): Uint8Array {
    const { publicKeyBytes, maxPacketBytes, k } = this.parts.node;
    const envelope = macEnvelopeBytes(publicKeyBytes);
    const reply = records ? maxPacketBytes : Math.min(maxPacketBytes, signedEnvelopeBytes(publicKeyBytes) + FIND_RESPONSE_BODY_BYTES + k * NODE_ENTRY_BYTES);
    const want = Math.ceil(reply / AMPLIFICATION_FACTOR) - envelope - FIND_BODY_BYTES;
    return new Uint8Array(Math.max(0, Math.min(MAX_FIND_PADDING_BYTES, want)));
  }
}
