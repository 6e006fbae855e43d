/**
 * The DHT discovery community: `connectPeer(mid)` and `connect(mid)`.
 * @module
 */
export { DHTDiscoveryCommunity, DISCOVERY_COMMUNITY_ID } from './discovery-community.js';
export type { ConnectOptions, DiscoveryCommunitySettings } from './discovery-community.js';
export type { ConnectResult, DiscoveryEvents, SearchTried } from './connect-result.js';
export type { Candidate, CandidateKind, ConnectPath } from './candidates.js';
export type { HelloCounts } from './hellos.js';
export { Announce, AnnounceRequest, AnnounceResponse, CANDIDATE_KIND_CODES, FindPeer, FindPeerRequest, FindPeerResponse, Hello, HelloRequest, HelloResponse, IntroduceRequest, NAT_CODES, PeerPuncture } from './messages.js';
export { BATCH_OPEN_MS, BATCH_PROBE_AT_MS, BIRTHDAY_GRACE_MS, BIRTHDAY_SOCKETS, Birthday, MAX_BATCHES_PER_MINUTE, MAX_SPRAYS, MAX_SPRAY_PROBES_PER_HOST_PER_MINUTE, MAX_SPRAY_PROBES_PER_MINUTE, MIN_VOUCHERS, SPRAY_COOLDOWN_MS, SPRAY_PEER_COOLDOWN_MS, SPRAY_PROBES, birthdayRole } from './birthday.js';
export type { BirthdayHost, BirthdayStats } from './birthday.js';
export type { PeerRecord, PeerRecords } from './peer-records.js';
export type { Announcer, AnnouncerHost, AnnouncerStats, Storer } from './announcer.js';
export type { Puncturer, PuncturerHost, Introduction } from './puncturer.js';
