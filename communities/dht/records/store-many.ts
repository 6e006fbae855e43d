/**
 * The multi-location store: a bulk store sends each storer the records of several locations in one
 * datagram (the optional `StoreMany` message pair), where a store one location at a time costs a request
 * per location. The client groups the publications of a bulk operation by storer and packs each storer's
 * locations into as few datagrams as fit; a storer with one location left gets the ordinary single store
 * (unchanged on the wire). The server checks each location's records exactly as a single store's (token of
 * the sender's address, quotas, caps, one verdict per record), and its answer, one byte per record, is
 * always smaller than the request.
 * @module
 */
import type { Incoming } from '../../../framework/index.js';
import { CommunityStats, encodeBody, signedEnvelopeBytes, toHex } from '../../../framework/index.js';
import { KEY_BYTES } from '../storage/value-record.js';
import type { ClosestNode, PublishOutcome, RequestFn, TimedRecord, TokenBook } from './engine-types.js';
import type { RecordPolicy, RecordVerdict } from './policy.js';
import { ACCEPTED_VERDICTS, verdictCode, verdictOf } from './policy.js';
import type { RecordMessages, StoreManyEntry, StoreManyRequestBody, WireItem } from './record-messages.js';
import { WIRE_MAX_LOCATIONS, WIRE_MAX_RECORDS } from './record-messages.js';
import type { RecordServerParts } from './record-server.js';
import { storeAt } from './record-server.js';
import type { RecordStore } from './record-store.js';

/** Bytes of a signed multi-location store request that are not locations (an upper bound). */
const STORE_MANY_FIXED_BYTES = 1 + 9 + 22 + 3;
/** Bytes one location adds beyond its records: its key and the headers of its entry and record list. */
const LOCATION_BYTES = KEY_BYTES + 2 + 1 + 3;
/** The largest request id, for exact size checks. */
const MAX_ID = 2n ** 64n - 1n;

/**
 * Answers a multi-location store: dropped (counted as `malformed-store-many`) when it has no location, a
 * location twice or without records, or more than {@link WIRE_MAX_RECORDS} records in all; refused whole
 * (`bad-token` for every record) without a token of the sender's address; else each location stored as
 * one store request would be, and one verdict per record answered, location after location.
 */
export function answerStoreMany<R, W>(parts: RecordServerParts<R, W>, m: Incoming<StoreManyRequestBody<W>>): void {
  const { responder, messages, tokens, statistics } = parts;
  const response = messages.StoreManyResponse;
  if (response === undefined) return responder.drop('unknown-message', m.from);
  const { id, token, locations } = m.value;
  const total = locations.reduce((sum, l) => sum + l.records.length, 0);
  const distinct = new Set(locations.map((l) => toHex(l.location))).size;
  if (locations.length === 0 || distinct !== locations.length || locations.some((l) => l.records.length === 0) || total > WIRE_MAX_RECORDS) {
    return responder.drop('malformed-store-many', m.from);
  }
  if (!tokens.verify(token, m.from)) {
    CommunityStats.bump(statistics.verdicts, 'bad-token', total);
    responder.drop('bad-token', m.from);
    responder.reply(m, response, { id, verdicts: new Array<number>(total).fill(verdictCode('bad-token')) });
    return;
  }
  const verdicts = locations.flatMap((l) => storeAt(parts, m, l.location, l.records, { cache: false, cas: undefined }));
  responder.reply(m, response, { id, verdicts });
}

/** One publication of a bulk store: records of one location for its k closest nodes. */
export interface Publication<R> {
  /** Where the records live. */
  readonly location: Uint8Array;
  /** The records with their expiry. */
  readonly items: ReadonlyArray<TimedRecord<R>>;
  /** The k closest nodes (a lookup's), with the tokens they issued us. */
  readonly nodes: readonly ClosestNode[];
}

/** What publishing several locations at once works with. */
export interface StoreManyParts<R, W> {
  /** The type's messages (without `StoreMany`, every location goes in its own store requests). */
  readonly messages: RecordMessages<W>;
  /** This node's store (kept here when this node is among a location's k closest). */
  readonly store: RecordStore<R>;
  /** Sends a request. */
  readonly request: RequestFn;
  /** The last token each node issued us. */
  readonly tokens: TokenBook;
  /** Our key's size and the datagram limit. */
  readonly node: { readonly publicKeyBytes: number; readonly maxPacketBytes: number };
  /** Stores one location's records on one node in single store requests (`RecordClient.storeOn`). */
  storeOn(node: ClosestNode, location: Uint8Array, items: ReadonlyArray<TimedRecord<R>>, options: { signal?: AbortSignal | undefined }): Promise<RecordVerdict[]>;
  /** True when this node is among the k closest to `location` of `nodes`. */
  isAmongClosest(location: Uint8Array, nodes: readonly ClosestNode[]): boolean;
}

/** One location's records bound for one node. */
interface Entry<R, W> {
  readonly publication: number;
  readonly location: Uint8Array;
  readonly items: ReadonlyArray<TimedRecord<R>>;
  readonly wire: WireItem<W>[];
  readonly bytes: number;
}

/**
 * Publishes several locations' records on their k closest nodes (and here, as `origin`, when this node is
 * one of them), each storer receiving the records of all its locations in as few datagrams as fit.
 * @returns one outcome per publication, in order, tallied as `RecordClient.publish` tallies one.
 */
export async function publishMany<R, W>(
  parts: StoreManyParts<R, W>,
  publications: ReadonlyArray<Publication<R>>,
  options: { readonly signal?: AbortSignal | undefined; readonly origin: 'store' | 'local'; readonly includeSelf: boolean },
): Promise<PublishOutcome[]> {
  const policy = parts.store.policy as RecordPolicy<R, W>;
  const now = parts.store.now();
  const tallies = publications.map(() => ({ acks: 0, stored: 0, keptHere: false, verdicts: {} as Record<string, number>, refusals: {} as Record<string, number> }));
  const byNode = new Map<string, { node: ClosestNode; entries: Array<Entry<R, W>> }>();
  publications.forEach((p, i) => {
    const live = p.items.filter((item) => item.expiresAt > now);
    if (live.length === 0) return;
    const tally = tallies[i]!;
    tally.keptHere = options.includeSelf && parts.isAmongClosest(p.location, p.nodes);
    if (tally.keptHere) {
      const local = live.map((item) => parts.store.put(item.record, item.expiresAt - now, { origin: options.origin }));
      if (local.some((v) => ACCEPTED_VERDICTS.has(v))) tally.stored++;
    }
    const wire = live.map((item) => ({ record: policy.toWire(item.record), ttl: Math.max(0, Math.floor(item.expiresAt - now)) }));
    const bytes = LOCATION_BYTES + wire.reduce((sum, w) => sum + encodeBody(policy.wire, w.record).length + 10, 0);
    for (const n of p.nodes) {
      const hex = toHex(n.peer.id);
      const held = byNode.get(hex) ?? { node: n, entries: [] };
      held.entries.push({ publication: i, location: p.location, items: live, wire, bytes });
      byNode.set(hex, held);
    }
  });
  const answers = await Promise.all([...byNode].map(([hex, { node, entries }]) => storeOnNode(parts, { peer: node.peer, token: parts.tokens.get(hex) ?? node.token }, entries, options.signal)));
  for (const answer of answers) {
    for (const [i, verdicts] of answer) {
      const tally = tallies[i]!;
      for (const v of verdicts) tally.verdicts[v] = (tally.verdicts[v] ?? 0) + 1;
      if (verdicts.some((v) => ACCEPTED_VERDICTS.has(v))) tally.acks++;
      else for (const v of verdicts) tally.refusals[v] = (tally.refusals[v] ?? 0) + 1;
    }
  }
  return tallies.map((t) => ({ ...t, stored: t.stored + t.acks }));
}

/**
 * Sends one node its locations: packed into multi-location requests, a location that fills a datagram
 * alone (or a batch of one) in single store requests.
 * @returns the node's verdicts per publication; a publication whose request failed has none.
 */
async function storeOnNode<R, W>(parts: StoreManyParts<R, W>, node: ClosestNode, entries: ReadonlyArray<Entry<R, W>>, signal: AbortSignal | undefined): Promise<Map<number, RecordVerdict[]>> {
  const out = new Map<number, RecordVerdict[]>();
  const type = parts.messages.StoreMany;
  const budget = parts.node.maxPacketBytes - signedEnvelopeBytes(parts.node.publicKeyBytes) - STORE_MANY_FIXED_BYTES;
  const batches: Array<Array<Entry<R, W>>> = [];
  let current: Array<Entry<R, W>> = [];
  let used = 0;
  let records = 0;
  for (const e of entries) {
    if (type === undefined || e.bytes > budget || e.wire.length > WIRE_MAX_RECORDS) {
      batches.push([e]);
      continue;
    }
    if (current.length > 0 && (used + e.bytes > budget || records + e.wire.length > WIRE_MAX_RECORDS || current.length >= WIRE_MAX_LOCATIONS)) {
      batches.push(current);
      current = [];
      used = 0;
      records = 0;
    }
    current.push(e);
    used += e.bytes;
    records += e.wire.length;
  }
  if (current.length > 0) batches.push(current);
  const spec = parts.messages.StoreManyRequest;
  const fits = (batch: ReadonlyArray<Entry<R, W>>): boolean =>
    spec === undefined || signedEnvelopeBytes(parts.node.publicKeyBytes) + encodeBody(spec.schema, { id: MAX_ID, token: node.token, locations: batch.map((e) => ({ location: e.location, records: e.wire })) }).length <= parts.node.maxPacketBytes;
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b]!;
    if (batch.length > 1 && !fits(batch)) {
      // The estimate was short: halve the batch, exactly checked again.
      const half = Math.ceil(batch.length / 2);
      batches.splice(b + 1, 0, batch.slice(half));
      batches[b] = batch.slice(0, half);
      b--;
      continue;
    }
    try {
      if (type === undefined || batch.length === 1) {
        const e = batch[0]!;
        out.set(e.publication, await parts.storeOn(node, e.location, e.items, { signal }));
        continue;
      }
      const locations: Array<StoreManyEntry<W>> = batch.map((e) => ({ location: e.location, records: e.wire }));
      const m = await parts.request(node.peer, type, { token: node.token, locations }, signal);
      let at = 0;
      for (const e of batch) {
        out.set(e.publication, e.wire.map((_, j) => verdictOf(m.value.verdicts[at + j] ?? -1)));
        at += e.wire.length;
      }
    } catch {
      if (signal?.aborted === true) break; // the rest would fail the same way
    }
  }
  return out;
}
