/**
 * The DHT's server side: answering pings, finds (with paged values that always fit one datagram) and
 * stores (token-checked, each record verified by the value store).
 * @module
 */
import type { Incoming } from '../../framework/index.js';
import { CommunityStats, PacketTooLargeError, encodeBody, replyKey, signedEnvelopeBytes } from '../../framework/index.js';
import type { DHTCommunity } from './dht-community.js';
import { FindRequest, FindResponse, PingRequest, PingResponse, StoreResponse, VERDICT_CODES, WIRE_MAX_RECORDS } from './messages.js';
import type { CacheRequest, StoreRequest } from './messages.js';
import type { Infer } from '../../framework/index.js';
import { sourceGroup } from './storage/source-group.js';
import { fromWire, takeWithin, toWire } from './wire-records.js';

/** Bytes of a signed find-response that are not node entries or values (envelope and fixed fields). */
const FIND_RESPONSE_OVERHEAD_BYTES = 163 + 40;
/** Upper bound of one node entry on the wire (IPv6 address). */
const NODE_ENTRY_BYTES = 46;

/** Answers a ping. */
export function onPing(dht: DHTCommunity, m: Incoming<Infer<typeof PingRequest.schema>>): void {
  dht.reply(m, PingResponse, { id: m.value.id });
}

/** A reply to a source that has not proved its address is at most this many times its request. */
export const AMPLIFICATION_FACTOR = 3;

/**
 * Answers a find: the k closest nodes we know (never the requester) and, if asked, a page of values.
 * Until the requester proves its address (a valid token of ours in the request), the reply is at most
 * {@link AMPLIFICATION_FACTOR} times the request, so a spoofed source cannot use us as an amplifier; the
 * reply always carries a token, and the requester asks again with it.
 */
export function onFind(dht: DHTCommunity, m: Incoming<Infer<typeof FindRequest.schema>>): void {
  const { target, values: wantValues, offset } = m.value;
  const requesterId = (m.sender ?? m.claimedSender)?.mid;
  const proven = m.value.token !== undefined && dht.tokens.verify(m.value.token, m.from);
  const max = proven ? dht.context.transport.maxPacketBytes : Math.min(dht.context.transport.maxPacketBytes, AMPLIFICATION_FACTOR * m.size);
  if (!proven) CommunityStats.bump(dht.statistics.storeVerdicts, 'unproven-find');
  const k = dht.settings.bucketSize;
  let nodes = dht.routingTable
    .closest(target, k, (c) => requesterId === undefined || !sameId(c.id, requesterId))
    .map((c) => ({ id: c.id, address: c.address }));
  const now = dht.context.clock.now();
  const stored = wantValues ? dht.store.get(target, now) : [];
  const slice = stored.slice(offset, offset + WIRE_MAX_RECORDS);
  const page = slice.map((s) => toWire(s.record, s.expiresAt - now));
  const authoritative = slice.every((s) => s.origin !== 'cache');
  const budget = max - FIND_RESPONSE_OVERHEAD_BYTES;
  const token = dht.tokens.issue(m.from);
  // Exact packet size without signing: the envelope around our key plus the encoded body.
  const envelope = signedEnvelopeBytes(dht.context.key.publicKey.toBinary().length);
  const fits = (n: typeof nodes, v: typeof page): boolean =>
    envelope + encodeBody(FindResponse.schema, { id: m.value.id, token, nodes: n, values: v, total: stored.length, authoritative }).length <= max;
  let values = fillPage(page, takeWithin(page, budget - nodes.length * NODE_ENTRY_BYTES).length, (v) => fits(nodes, v));
  if (page.length > 0 && values.length === 0 && max >= dht.context.transport.maxPacketBytes) {
    // A large value needs most of the datagram (allowed once the address is proven, or the request was
    // padded to a third of one): send it with as many of the closest nodes as still fit.
    const closest = nodes;
    values = fillPage(page, takeWithin(page, budget).length, (v) => fits([], v));
    nodes = fillPage(closest, 0, (n) => fits(n, values));
  }
  while (nodes.length > 0 && !fits(nodes, values)) nodes = nodes.slice(0, -1);
  const packet = dht.encode(FindResponse, { id: m.value.id, token, nodes, values, total: stored.length, authoritative }, replyKey(m));
  if (packet.length > max) throw new PacketTooLargeError(packet.length, max);
  dht.sendPacket(m.from, FindResponse.name, packet);
}

/**
 * The longest prefix of `page` that `fits`, searched from `estimate` (shrinking, then growing one record
 * at a time), so a page fills the datagram.
 */
function fillPage<T>(page: readonly T[], estimate: number, fits: (values: T[]) => boolean): T[] {
  let n = Math.min(estimate, page.length);
  while (n > 0 && !fits(page.slice(0, n))) n--;
  while (n < page.length && fits(page.slice(0, n + 1))) n++;
  return page.slice(0, n);
}

/**
 * Handles a store (or a cache store): checks the token, stores each record charged to the sender's IP
 * group (see {@link sourceGroup}; a group over its quota gets `quota`), answers with verdicts.
 */
export function onStore(
  dht: DHTCommunity,
  m: Incoming<Infer<typeof StoreRequest.schema> | Infer<typeof CacheRequest.schema>>,
  origin: 'store' | 'cache',
): void {
  const { id, token, records } = m.value;
  if (!dht.tokens.verify(token, m.from)) {
    CommunityStats.bump(dht.statistics.storeVerdicts, 'bad-token', records.length);
    dht.drop('bad-token', m.from);
    dht.reply(m, StoreResponse, { id, results: records.map(() => 0) });
    return;
  }
  const now = dht.context.clock.now();
  const source = sourceGroup(m.from);
  const results = records.map((w) => {
    const verdict = dht.store.put(fromWire(w), w.ttl, origin, source);
    CommunityStats.bump(dht.statistics.storeVerdicts, verdict);
    if (verdict === 'stored' || verdict === 'updated' || verdict === 'refreshed') {
      if (origin === 'store') dht.store.markReplicated({ record: fromWire(w) }, now);
      dht.emit('value:stored', w.key, origin);
    }
    return VERDICT_CODES.indexOf(verdict);
  });
  dht.reply(m, StoreResponse, { id, results });
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
