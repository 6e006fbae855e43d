/**
 * One find request as a lookup sends it: with the last token the node issued us (proving our address, so
 * it may answer in full), repeated once with the fresh token when an unproven reply held values back, and
 * with every returned value checked (right key, valid signature) before anyone sees it.
 * @module
 */
import { equalBytes, toHex } from '../../framework/index.js';
import type { DHTCommunity } from './dht-community.js';
import type { LookupPeer } from './lookup.js';
import { FindRequest } from './messages.js';
import { checkRecord } from './storage/value-record.js';
import type { FindReply } from './types.js';
import type { WireRecordValue } from './wire-records.js';
import { fromWire } from './wire-records.js';

/** Sends one find request to `peer` and returns the reply with verified values only. */
export async function queryFind(dht: DHTCommunity, peer: LookupPeer, target: Uint8Array, values: boolean, offset = 0): Promise<FindReply> {
  const hex = toHex(peer.id);
  let token = dht.peerTokens.get(hex);
  for (let attempt = 0; ; attempt++) {
    const m = await dht.request(peer, FindRequest, { target, values, offset, token });
    const v = m.value as { token: Uint8Array; nodes: LookupPeer[]; values: WireRecordValue[]; total: number };
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
    return { nodes: v.nodes, found: good.length > 0 ? good : undefined, token: v.token, total: v.total, sender: m.sender! };
  }
}
