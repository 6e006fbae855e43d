/**
 * The bag's storing side: stores (token-checked, every record verified by the store) and searches
 * (paged in entry-id order; a response never exceeds the datagram limit, and never exceeds 3x the
 * request's size unless the request carried a valid token for the requester's address).
 * @module
 */
import type { Incoming, Infer } from '../../framework/index.js';
import { CommunityStats, PacketTooLargeError, replyKey, toHex } from '../../framework/index.js';
import type { BagCommunity } from './community.js';
import { BAG_ACCEPTED, BAG_VERDICT_CODES, BagSearchResponse, BagStoreResponse, WIRE_MAX_PAGE_RECORDS } from './messages.js';
import type { BagRecordWireValue, BagSearchRequest, BagStoreRequest } from './messages.js';
import { entryId } from './record.js';
import type { BagRecord } from './record.js';

/** A response to a request without a valid token is at most this many times the request's size. */
export const AMPLIFICATION_FACTOR = 3;
/** Bytes of a signed search response that are not records (envelope and fixed fields), rounded up. */
export const SEARCH_RESPONSE_OVERHEAD_BYTES = 163 + 32;
/** Bytes of a signed store request that are not records, rounded up. */
export const STORE_REQUEST_OVERHEAD_BYTES = 163 + 48;

/** Upper bound of one record's size on the wire, in bytes. */
export function wireRecordBytes(value: Uint8Array): number {
  return 1 + 76 + (value.length + 3) + 9 + 9 + 1 + 66;
}

/** The wire form of a record (its key travels once per message). */
export function toWire(r: BagRecord): BagRecordWireValue {
  return { publicKey: r.publicKey, value: r.value, version: r.version, expiresAt: r.expiresAt, removed: r.removed, signature: r.signature };
}

/** The record a wire record under `key` stands for. */
export function fromWire(key: Uint8Array, w: BagRecordWireValue): BagRecord {
  return { key, ...w };
}

/** Handles a store: checks the token, stores each record, answers with one verdict per record. */
export function onStore(bag: BagCommunity, m: Incoming<Infer<typeof BagStoreRequest.schema>>): void {
  const { id, token, key, records } = m.value;
  if (!bag.dht.tokens.verify(token, m.from)) {
    CommunityStats.bump(bag.statistics.verdicts, 'bad-token', records.length);
    bag.drop('bad-token', m.from);
    bag.reply(m, BagStoreResponse, { id, verdicts: records.map(() => 0) });
    return;
  }
  const now = bag.now();
  const verdicts = records.map((w) => {
    const record = fromWire(key, w);
    const verdict = bag.store.put(record, now);
    CommunityStats.bump(bag.statistics.verdicts, verdict);
    if (BAG_ACCEPTED.has(verdict)) {
      // Kademlia: a node that was just sent a record assumes the other storers were too, and waits a
      // full interval before replicating it itself.
      bag.store.touch(key, toHex(entryId(record.publicKey, record.value)), now);
      bag.emit('entry:stored', key, verdict);
    }
    return BAG_VERDICT_CODES.indexOf(verdict);
  });
  bag.reply(m, BagStoreResponse, { id, verdicts });
}

/** Answers a search with one page of records, sized by the amplification bound. */
export function onSearch(bag: BagCommunity, m: Incoming<Infer<typeof BagSearchRequest.schema>>): void {
  const { id, key, cursor, limit, token } = m.value;
  const tokenOk = token !== undefined && bag.dht.tokens.verify(token, m.from);
  const max = bag.context.transport.maxPacketBytes;
  const budget = tokenOk ? max : Math.min(max, AMPLIFICATION_FACTOR * m.size);
  if (!tokenOk) bag.statistics.tokenlessSearches++;
  const now = bag.now();
  const { records, total } = bag.store.page(key, cursor, now);
  const wanted = Math.min(limit, WIRE_MAX_PAGE_RECORDS, records.length);
  const page: BagRecordWireValue[] = [];
  let used = SEARCH_RESPONSE_OVERHEAD_BYTES;
  for (let i = 0; i < wanted; i++) {
    const size = wireRecordBytes(records[i]!.record.value);
    if (used + size > budget) break;
    page.push(toWire(records[i]!.record));
    used += size;
  }
  if (page.length < wanted && !tokenOk) bag.statistics.pagesCappedByAmplification++;
  const fresh = bag.dht.tokens.issue(m.from);
  for (;;) {
    const more = page.length < records.length;
    const packet = bag.encode(BagSearchResponse, { id, token: fresh, records: page, more, total }, replyKey(m));
    if (packet.length <= budget) {
      bag.statistics.pagesServed++;
      return bag.sendPacket(m.from, BagSearchResponse.name, packet);
    }
    if (page.length === 0) throw new PacketTooLargeError(packet.length, budget);
    page.pop();
    if (!tokenOk) bag.statistics.pagesCappedByAmplification++;
  }
}
