/**
 * py-ipv8 compatible mode: communities that speak py-ipv8 3.2's protocol byte for byte (its community
 * ids, introductions and punctures, `DHTCommunity` and `DHTDiscoveryCommunity` messages, node ids, tokens,
 * value layout and limits), so a Peerlay node can join an IPv8 network. See `docs/ipv8-compat.md`.
 * @module
 */
export { IPV8_DHT_COMMUNITY_ID } from './community-ids.js';
export { Ipv8Overlay } from './ipv8-overlay.js';
export type { AmplificationGateLike, Ipv8Incoming, Ipv8OverlaySettings } from './ipv8-overlay.js';
export { Ipv8DHTCommunity, Ipv8DHTError, mergeValues } from './ipv8-dht-community.js';
export type { FindAnswer, FindReply, Ipv8DHTEvents, Ipv8DHTSettings, Ipv8FoundValue, Ipv8Node } from './ipv8-dht-community.js';
export { IPV8_PING_ALL_INTERVAL_MS, IPV8_STORE_PEER_INTERVAL_MS, Ipv8DHTDiscoveryCommunity } from './ipv8-discovery-community.js';
export type { StoredPeer, Storer } from './ipv8-discovery-community.js';
export { IPV8_NODE_ID_BYTES, ipv8NodeId } from './node-id.js';
export {
  IPV8_MAX_SIGNED_DATA_BYTES,
  IPV8_MAX_UNSIGNED_DATA_BYTES,
  IPV8_SIGNED_OVERHEAD_BYTES,
  IPV8_VALUE_SIGNED,
  IPV8_VALUE_UNSIGNED,
  parseIpv8Value,
  serializeIpv8Value,
} from './values.js';
export type { Ipv8Value } from './values.js';
export { IPV8_MAX_IN_FIND, IPV8_MAX_KEY_BYTES, IPV8_MAX_VALUE_BYTES, IPV8_MAX_VALUES_IN_STORE } from './messages.js';
export * as ipv8Messages from './messages.js';
export { IPV8_NODE_LIMIT_QUERIES, IPV8_NODE_LIMIT_WINDOW_MS, Ipv8RequestPacer } from './request-pacer.js';
export { IPV8_MAX_VALUE_AGE_MS, Ipv8ValueStore } from './value-store.js';
export { IPV8_TOKEN_EXPIRATION_MS, IPV8_TOKEN_ROTATE_MS, Ipv8Tokens } from './tokens.js';
export { Ipv8Requests } from './requests.js';
