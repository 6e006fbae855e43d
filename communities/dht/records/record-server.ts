/**
 * The storer's side of a record type, written once for every type: a find answered with the closest nodes
 * and a page of records that always fits one datagram (and, until the requester proved its address with a
 * token, at most 3x its request), and a token-checked store answered with one verdict per record.
 * @module
 */
import type { Address, Incoming, MessageSpec, PublicKey } from '../../../framework/index.js';
import { CommunityStats, encodeBody, equalBytes, PacketTooLargeError, replyKey, signedEnvelopeBytes, toHex } from '../../../framework/index.js';
import type { RecordOrigin } from './datastore.js';
import type { FindRequestBody, NodeRefValue, RecordMessages, StoreRequestBody, WireItem } from './record-messages.js';
import { WIRE_MAX_RECORDS } from './record-messages.js';
import type { RecordStore } from './record-store.js';
import type { RecordStatistics } from './record-statistics.js';
import type { RecordVerdict } from './policy.js';
import { ACCEPTED_VERDICTS, verdictCode } from './policy.js';

/** A reply to a source that has not proved its address is at most this many times its request. */
export const AMPLIFICATION_FACTOR = 3;

/** Issues and checks store tokens (BEP 5): a token proves the requester receives at its address. */
export interface TokenIssuer {
  /** @returns a token for `address`. */
  issue(address: Address): Uint8Array;
  /** @returns true if `token` was issued to `address` and is still valid. */
  verify(token: Uint8Array, address: Address): boolean;
}

/** What the server needs of its community: encoding, sending, and the datagram limit. */
export interface Responder {
  /** The node's services (the datagram limit and our key's size are read). */
  readonly context: {
    readonly transport: { readonly maxPacketBytes: number };
    readonly key: { readonly publicKey: { toBinary(): Uint8Array } };
    /** The node's amplification budget: what may still be sent to an address that has not proved itself. */
    readonly amplification?: { allowance(to: Address): number };
  };
  /** Encodes a packet (tagged for `recipient` when given). */
  encode<T>(spec: MessageSpec<T>, value: T, recipient?: PublicKey): Uint8Array;
  /** Sends an encoded packet. */
  sendPacket(to: Address, name: string, packet: Uint8Array): void;
  /** Answers a message at its source. */
  reply<T>(m: Incoming<unknown>, spec: MessageSpec<T>, value: T): number;
  /** Counts a dropped packet. */
  drop(reason: string, from: Address): void;
}

/** Everything the server side of one record type works with. */
export interface RecordServerParts<R, W> {
  /** Encoding and sending. */
  readonly responder: Responder;
  /** The type's messages. */
  readonly messages: RecordMessages<W>;
  /** The type's store. */
  readonly store: RecordStore<R>;
  /** Store tokens. */
  readonly tokens: TokenIssuer;
  /** Counters. */
  readonly statistics: RecordStatistics;
  /** The closest contacts to `target` this node knows, never `exclude` (the requester). */
  closestContacts(target: Uint8Array, exclude: Uint8Array | undefined): NodeRefValue[];
  /** Told of every record accepted from another node. */
  onAccepted?(location: Uint8Array, verdict: RecordVerdict, origin: RecordOrigin): void;
}

/** Upper bound of one node entry on the wire (an IPv6 address). */
export const NODE_ENTRY_BYTES = 46;
/** Bytes a record takes on the wire beyond its size as the policy counts it (key, signature, framing), a guess. */
const RECORD_FRAMING_BYTES = 180;
/**
 * Most bytes a find response body takes besides its nodes, when it carries no record: array header, id (9),
 * token (22), the two list headers, total (9) and two booleans, rounded up.
 */
export const FIND_RESPONSE_BODY_BYTES = 64;
/** Bytes of a find response that are not nodes or records (envelope and fixed fields), for the first guess. */
const FIND_RESPONSE_FIXED_BYTES = 200;

/** The signed envelope size of each responder's key (read once: the key binary is copied on each read). */
const ENVELOPES = new WeakMap<object, number>();

/** Bytes a signed reply of `responder` adds around its body (see `signedEnvelopeBytes`). */
export function replyEnvelopeBytes(responder: Responder): number {
  const key = responder.context.key.publicKey;
  let bytes = ENVELOPES.get(key);
  if (bytes === undefined) {
    bytes = signedEnvelopeBytes(key.toBinary().length);
    ENVELOPES.set(key, bytes);
  }
  return bytes;
}

/**
 * How many bytes a reply to the find `m` may take: a whole datagram when its token proves the requester's
 * address; else 3x the request, and no more than what the address's earlier packets left (follow-ups
 * already sent there, a challenge ping, a lookup query, were paid from the same credit), counted in
 * `statistics.unprovenFinds`. Shared by single and multi-key finds.
 */
export function replyBudget(parts: Pick<RecordServerParts<unknown, unknown>, 'responder' | 'tokens' | 'statistics'>, m: Incoming<{ readonly token?: Uint8Array | undefined }>): { datagram: number; proven: boolean; max: number } {
  const { responder, tokens, statistics } = parts;
  const datagram = responder.context.transport.maxPacketBytes;
  const proven = m.value.token !== undefined && tokens.verify(m.value.token, m.from);
  if (proven) return { datagram, proven, max: datagram };
  const allowance = responder.context.amplification?.allowance(m.from) ?? Number.POSITIVE_INFINITY;
  statistics.unprovenFinds++;
  return { datagram, proven, max: Math.min(datagram, AMPLIFICATION_FACTOR * m.size, allowance) };
}

/**
 * Answers a find: the closest nodes we know (never the requester) and, if asked, a page of records after
 * the cursor (of one publisher, when asked). The reply always carries a fresh token.
 */
export function answerFind<R, W>(parts: RecordServerParts<R, W>, m: Incoming<FindRequestBody>): void {
  const { responder, messages, store, tokens, statistics } = parts;
  const { id, target, records: wantRecords, cursor, publisher } = m.value;
  const requesterId = (m.sender ?? m.claimedSender)?.mid;
  const { datagram, proven, max } = replyBudget(parts, m);
  let nodes = parts.closestContacts(target, requesterId);
  const held = wantRecords
    ? store.page(target, cursor === undefined ? undefined : toHex(cursor), publisher === undefined ? undefined : toHex(publisher))
    : { records: [], total: 0 };
  const at = store.now();
  const candidates = held.records.slice(0, WIRE_MAX_RECORDS);
  const page: WireItem<W>[] = candidates.map((h) => ({ record: store.policy.toWire(h.record) as W, ttl: Math.max(0, Math.floor(h.expiresAt - at)) }));
  const token = tokens.issue(m.from);
  const envelope = replyEnvelopeBytes(responder);
  const body = (n: NodeRefValue[], v: WireItem<W>[]) => ({
    id,
    token,
    nodes: n,
    records: v,
    total: held.total,
    more: v.length < held.records.length,
    authoritative: candidates.slice(0, v.length).every((h) => h.origin !== 'cache'),
  });
  const fits = (n: NodeRefValue[], v: WireItem<W>[]): boolean => envelope + encodeBody(messages.FindResponse.schema, body(n, v)).length <= max;
  // A first guess of how many records fit (each record's size plus its signature, key and framing),
  // refined by exact encodings.
  const estimate = (budget: number): number => {
    let used = 0;
    let count = 0;
    for (const h of candidates) {
      used += store.policy.size(h.record) + RECORD_FRAMING_BYTES;
      if (used > budget) break;
      count++;
    }
    return count;
  };
  let values = fillPage(page, estimate(max - FIND_RESPONSE_FIXED_BYTES - nodes.length * NODE_ENTRY_BYTES), (v) => fits(nodes, v));
  if (page.length > 0 && values.length === 0 && max >= datagram) {
    // A large record needs most of the datagram (allowed once the address is proven, or the request was
    // padded to a third of one): send it with as many of the closest nodes as still fit.
    const closest = nodes;
    values = fillPage(page, estimate(max - FIND_RESPONSE_FIXED_BYTES), (v) => fits([], v));
    nodes = fillPage(closest, 0, (n) => fits(n, values));
  }
  // Without records, an answer whose largest possible size fits needs no trial encoding (most finds).
  const surelyFits = values.length === 0 && envelope + FIND_RESPONSE_BODY_BYTES + nodes.length * NODE_ENTRY_BYTES <= max;
  if (!surelyFits) while (nodes.length > 0 && !fits(nodes, values)) nodes = nodes.slice(0, -1);
  if (values.length < page.length && !proven) statistics.pagesCappedByAmplification++;
  const packet = responder.encode(messages.FindResponse, body(nodes, values), replyKey(m));
  if (packet.length > max && max >= Math.min(datagram, AMPLIFICATION_FACTOR * m.size)) throw new PacketTooLargeError(packet.length, max);
  if (packet.length > max) return responder.drop('amplification-limited', m.from); // the credit is spent: unanswered
  if (wantRecords) statistics.pagesServed++;
  responder.sendPacket(m.from, messages.FindResponse.name, packet);
}

/**
 * The longest prefix of `page` that `fits`, searched from `estimate` (shrinking, then growing one item at
 * a time), so a page fills the datagram.
 */
export function fillPage<T>(page: readonly T[], estimate: number, fits: (items: T[]) => boolean): T[] {
  let n = Math.min(estimate, page.length);
  while (n > 0 && !fits(page.slice(0, n))) n--;
  while (n < page.length && fits(page.slice(0, n + 1))) n++;
  return page.slice(0, n);
}

/**
 * Handles a store: checks the token, offers each record to the store charged to the sender (its address
 * and IP group), answers with one verdict per record.
 */
export function answerStore<R, W>(parts: RecordServerParts<R, W>, m: Incoming<StoreRequestBody<W>>): void {
  const { responder, messages, tokens, statistics } = parts;
  const { id, token, location, cache, cas, records } = m.value;
  if (!tokens.verify(token, m.from)) {
    CommunityStats.bump(statistics.verdicts, 'bad-token', records.length);
    responder.drop('bad-token', m.from);
    responder.reply(m, messages.StoreResponse, { id, verdicts: records.map(() => verdictCode('bad-token')) });
    return;
  }
  responder.reply(m, messages.StoreResponse, { id, verdicts: storeAt(parts, m, location, records, { cache, cas }) });
}

/**
 * Offers the records of one location to the store, charged to the sender of `m` (its address and IP
 * group), as one store request does (a multi-location store runs it per location): each record decoded,
 * stamped, checked to belong at `location`, then put (quotas, caps, versions); accepted ones are marked
 * replicated unless cached.
 * @returns one verdict code per record, in order.
 */
export function storeAt<R, W>(
  parts: RecordServerParts<R, W>,
  m: Incoming<unknown>,
  location: Uint8Array,
  records: ReadonlyArray<WireItem<W>>,
  options: { readonly cache: boolean; readonly cas: number | undefined },
): number[] {
  const { store, statistics } = parts;
  const { cache, cas } = options;
  const origin: RecordOrigin = cache ? 'cache' : 'store';
  const accepted: string[] = [];
  const verdicts = records.map((item) => {
    let verdict: RecordVerdict;
    let record: R | undefined;
    try {
      record = store.policy.fromWire(location, item.record);
      if (store.policy.stamp !== undefined) record = store.policy.stamp(record, { from: m.from, sender: m.sender });
      if (record === undefined) verdict = 'invalid';
      else verdict = equalBytes(store.policy.location(record), location) ? store.put(record, item.ttl, { origin, from: m.from, cas }) : 'invalid';
    } catch {
      verdict = 'invalid';
    }
    CommunityStats.bump(statistics.verdicts, verdict);
    if (ACCEPTED_VERDICTS.has(verdict) && record !== undefined) {
      accepted.push(toHex(store.policy.id(record)));
      parts.onAccepted?.(location, verdict, origin);
    }
    return verdictCode(verdict);
  });
  // Kademlia: a node just sent a record assumes the other storers were too, and waits a full interval
  // before replicating it itself.
  if (!cache && accepted.length > 0) store.markReplicated(location, accepted);
  return verdicts;
}
