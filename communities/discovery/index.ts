/**
 * The DHT discovery community: `connectPeer(mid)` and `connect(mid)`.
 * @module
 */
export { DHTDiscoveryCommunity, DISCOVERY_COMMUNITY_ID } from './discovery-community.js';
export type { ConnectOptions, DiscoveryCommunitySettings } from './discovery-community.js';
export type { ConnectResult, DiscoveryEvents, SearchTried } from './connect-result.js';
export type { Candidate, CandidateKind, ConnectPath } from './candidates.js';
export type { HelloCounts } from './hellos.js';
export { Announce, AnnounceRequest, AnnounceResponse, CANDIDATE_KIND_CODES, FindPeer, FindPeerRequest, FindPeerResponse, Hello, HelloRequest, HelloResponse, IntroduceRequest, PeerPuncture } from './messages.js';
export type { PeerRecord, PeerRecords } from './peer-records.js';
export type { Announcer, AnnouncerHost, AnnouncerStats, Storer } from './announcer.js';
export type { Puncturer, PuncturerHost, Introduction } from './puncturer.js';
