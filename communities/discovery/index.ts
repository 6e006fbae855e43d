/**
 * The DHT discovery community: `connectPeer(mid)`.
 * @module
 */
export { DHTDiscoveryCommunity, DISCOVERY_COMMUNITY_ID } from './discovery-community.js';
export type { ConnectOptions, DiscoveryCommunitySettings } from './discovery-community.js';
export { Announce, AnnounceRequest, AnnounceResponse, FindPeer, FindPeerRequest, FindPeerResponse, Hello, HelloRequest, HelloResponse, IntroduceRequest, PeerPuncture } from './messages.js';
export type { PeerRecord, PeerRecords } from './peer-records.js';
export type { Announcer, AnnouncerHost, Storer } from './announcer.js';
