/**
 * One find request as a lookup sends it: with the last token the node issued us (proving our address, so
 * it may answer in full) or, lacking one, padded so the amplification bound still allows a full answer;
 * repeated once with the fresh token when an unproven reply held values back, and
 * with every returned value checked (right key, valid signature) before anyone sees it.
 * @module
 */
import { equalBytes, toHex } from '../../framework/index.js';
import type { DHTCommunity } from './dht-community.js';
import type { LookupPeer } from './lookup.js';
import { AMPLIFICATION_FACTOR } from './handlers.js';
import { FindRequest, MAX_FIND_PADDING_BYTES } from './messages.js';
import { macEnvelopeBytes } from '../../framework/index.js';
import { checkRecord } from './storage/value-record.js';
import type { FindReply } from './types.js';
import type { WireRecordValue } from './wire-records.js';
import { fromWire } from './wire-records.js';

/** Sends one find request to `peer` and returns the reply with verified values only. */
export async function queryFind(dht: DHTCommunity, peer: LookupPeer, target: Uint8Array, values: boolean, offset = 0): Promise<FindReply> {
  const hex = toHex(peer.id);
  let token = dht.peerTokens.get(hex);
  for (let attempt = 0; ; attempt++) {
    const padding = token === undefined ? findPadding(dht) : undefined;
    const m = await dht.request(peer, FindRequest, { target, values, offset, token, padding });
    const v = m.value as { token: Uint8Array; nodes: LookupPeer[]; values: WireRecordValue[]; total: number; authoritative: boolean };
    dht.peerTokens.remember(hex, v.token);
    const withheld = values && v.values.length === 0 && v.total > offset;
    if (withheld && attempt === 0 && (token === undefined || !equalBytes(token, v.token))) {
      token = v.token;
      continue;
    }
    const good = v.values.filter((w) => {
      const ok = equalBytes(w.key, target) && checkRecord(fromWire(w), dht.context.keys) === 'valid';
      if (!ok) dht.statistics.valuesRejected++;
      return ok;
    });
    return {
      nodes: v.nodes,
      found: good.length > 0 ? good : undefined,
      token: v.token,
      total: v.total,
      authoritative: v.authoritative,
      sender: m.sender!,
    };
  }
}

/**
 * Bytes of a find request without a token and without padding, beyond the envelope: array header (1), u64
 * id (9), target (22), values (1), offset (1 for small offsets), no token (1), padding header (2). An
 * underestimate only adds a few bytes of padding.
 */
const FIND_BODY_BYTES = 37;

/**
 * Padding that makes a tokenless find request at least a third of a datagram (its reply may then fill
 * one). Counted for the smaller envelope of a tagged request, so a signed one is 48 bytes over.
 */
export function findPadding(dht: DHTCommunity): Uint8Array {
  const envelope = macEnvelopeBytes(dht.context.key.publicKey.toBinary().length);
  const want = Math.ceil(dht.context.transport.maxPacketBytes / AMPLIFICATION_FACTOR) - envelope - FIND_BODY_BYTES;
  return new Uint8Array(Math.max(0, Math.min(MAX_FIND_PADDING_BYTES, want)));
}
