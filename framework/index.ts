/**
 * Peerlay's framework: identity, wire format, endpoints, communities and the overlay host.
 * Communities (DHT, discovery, bag, namespace) are separate entry points under `peerlay/…`.
 * @module
 */
import 'reflect-metadata';

export { AbortError, AmplificationLimitError, EndpointError, InvalidArgumentError, InvalidMessageError, KeyFileError, KeyFormatError, LifecycleError, MissingDependencyError, PacketTooLargeError, PeerlayError, TimeoutError } from './errors.js';
export { compareBytes, concatBytes, equalBytes, fromHex, toHex, utf8 } from './util/bytes.js';
export { WeakInterner } from './util/intern.js';
export type { Clock, TimerHandle } from './time/clock.js';
export { SystemClock } from './time/system-clock.js';
export { ManualClock } from './time/manual-clock.js';
export { TimerSet } from './time/timer-set.js';
export type { TimerSource } from './time/timer-set.js';
export { MAX_STALL_GRACE_MS, STALL_LATE_MS, stallAwareTimeout } from './time/stall-aware-timeout.js';
export type { StallAwareTimeout } from './time/stall-aware-timeout.js';
export { CryptoRandom, SeededRandom, shuffle } from './random/random.js';
export type { Random } from './random/random.js';
export { consoleLogger, silentLogger } from './log/logger.js';
export type { Logger } from './log/logger.js';
export { TOKENS } from './di/tokens.js';
export type { SignatureBackend, Signer as BackendSigner, Verifier as BackendVerifier } from './crypto/backend.js';
export { backendSelfTest, defaultBackend, nobleBackend, nodeBackend } from './crypto/backend.js';
export {
  computeMid,
  hasKeyPrefix,
  MID_BYTES,
  PRIVATE_KEY_BYTES,
  PRIVATE_KEY_PREFIX,
  PrivateKey,
  PUBLIC_KEY_BYTES,
  PUBLIC_KEY_PREFIX,
  PublicKey,
  SIGNATURE_BYTES,
} from './crypto/keys.js';
export { KEY_FILE_MODE, loadKeyFile, loadOrCreateKeyFile, saveKeyFile } from './crypto/key-file.js';
export { PairKeys } from './crypto/pair-keys.js';
export type { PairKeysOptions, PairKeysStats } from './crypto/pair-keys.js';
export { createAgreement, x25519PublicKey } from './crypto/agreement.js';
export { rememberSignatures, SignatureMemo, signatureMemo } from './crypto/signature-memo.js';
export type { SignatureMemoStats } from './crypto/signature-memo.js';
export { PairKeyMemo, pairKeyMemo, rememberPairKeys } from './crypto/pair-key-memo.js';
export type { PairKeyMemoStats, PairKeysOf } from './crypto/pair-key-memo.js';
export type { Agreement } from './crypto/agreement.js';
export { defineSchema, t } from './wire/schema.js';
export type {
  BytesOptions,
  Fields,
  Infer,
  InferFields,
  ListOptions,
  OptionalWireType,
  Schema,
  StringOptions,
  WireType,
} from './wire/schema.js';
export { decodeBody, encodeBody } from './wire/codec.js';
export type { DecodeResult } from './wire/codec.js';
export {
  COMMUNITY_ID_BYTES,
  HEADER_BYTES,
  MAC_TAG_BYTES,
  MAX_PUBLIC_KEY_BYTES,
  PREFIX_BYTES,
  PROTOCOL_VERSION,
  decodePacket,
  defineMessage,
  encodePacket,
  macEnvelopeBytes,
  makePrefix,
  readHeader,
  signedEnvelopeBytes,
  splitSignedEnvelope,
} from './wire/packet.js';
export type { DecodedPacket, MacVerifier, MessageSpec, PacketHeader, PacketMac, SignatureVerifier, SignedEnvelope, Signer } from './wire/packet.js';
export { canonicalIpBytes, ipBlock, isLocalHost, isLocalIp } from './wire/ip.js';
export {
  ADDRESS_TYPE_DOMAIN_NAME,
  ADDRESS_TYPE_IPV4,
  ADDRESS_TYPE_IPV6,
  ByteReader,
  ByteWriter,
  decodeIpv8Packet,
  decodeStruct,
  defineIpv8Message,
  defineStruct,
  encodeIpv8Packet,
  encodeStruct,
  s,
  writeStruct,
} from './wire/struct/index.js';
export type { Bits, InferStruct, InferStructFields, Ipv8MessageSpec, Ipv8Packet, StructFieldTypes, StructListOptions, StructSchema, StructType, VarBytesOptions } from './wire/struct/index.js';
export { DEFAULT_MAX_PACKET_BYTES } from './endpoint/endpoint.js';
export type { Endpoint, EndpointStats, PacketListener } from './endpoint/endpoint.js';
export { EndpointWrapper } from './endpoint/endpoint-wrapper.js';
export { DEFAULT_PROBE_SOCKETS, ProbingEndpoint } from './endpoint/probing-endpoint.js';
export type { ProbeBatch, ProbeListener, ProbeSockets, ProbingEndpointOptions, ProbingStats } from './endpoint/probing-endpoint.js';
export { PROBE_BYTES, PROBE_TAG_BYTES, isProbe, probeTag, taggedProbe } from './endpoint/probe-packet.js';
export { PortSpray } from './endpoint/port-spray.js';
export type { PortSprayOptions, SprayTimers } from './endpoint/port-spray.js';
export { positiveInteger } from './util/positive.js';
export { addressFamily, addressKey, isValidPort, parseAddress, sameAddress } from './endpoint/address.js';
export type { Address } from './endpoint/address.js';
export { DEFAULT_SOCKET_BUFFER_BYTES, MAX_UDP4_PAYLOAD_BYTES, MAX_UDP6_PAYLOAD_BYTES, UdpEndpoint } from './endpoint/udp-endpoint.js';
export type { SocketBufferSizes, UdpEndpointOptions, UdpEndpointStats } from './endpoint/udp-endpoint.js';
export { MemoryNetwork } from './endpoint/memory-network.js';
export type { LinkOptions, MemoryNetworkOptions, MemoryNetworkStats } from './endpoint/memory-network.js';
export type { MemoryEndpointOptions } from './endpoint/memory-network.js';
export { MemoryNat } from './endpoint/memory-nat.js';
export type { MemoryNatOptions, MemoryNatStats, NatFiltering, NatMapping } from './endpoint/memory-nat.js';
export { MemoryEndpoint } from './endpoint/memory-endpoint.js';
export { Simulation, SETTLE_FOREVER_MS } from './sim/simulation.js';
export type { JoinStep, LatencyModel, NodeSetup, SimulationOptions, SimulationReport } from './sim/simulation.js';
export type { MemoryEndpointStats } from './endpoint/memory-endpoint.js';
export { defineRequest } from './community/request-type.js';
export type { RequestBody, RequestOptions, RequestType } from './community/request-type.js';
export { Community } from './community/community.js';
export type { Handler, Incoming } from './community/incoming.js';
export { replyKey } from './community/incoming.js';
export type { CommunityClass, CommunityEvents, CommunitySettings, OverlayCommunity } from './community/overlay-community.js';
export { COMMUNITY_ID_LENGTH, communityIdFromName } from './community/community-id.js';
export { PublicKeyCache } from './community/context.js';
export type { CommunityContext, SendOptions, Transport } from './community/context.js';
export { ChurnStrategy, PeerDiscovery, RandomWalkStrategy } from './community/discovery.js';
export type { DiscoverySettings, DiscoveryStrategy } from './community/discovery.js';
export { FIRST_RESERVED_MESSAGE_ID, IntroductionRequest, IntroductionResponse, Puncture, PunctureRequest } from './community/messages.js';
export { Peer } from './community/peer.js';
export { PeerStore } from './community/peer-store.js';
export type { AddPeerResult, PeerStoreOptions } from './community/peer-store.js';
export { RequestCache } from './community/request-cache.js';
export type { PendingRequest, RegisterOptions } from './community/request-cache.js';
export { CommunityStats, countersToJSON } from './community/stats.js';
export { OverlayHost } from './overlay/overlay-host.js';
export type { HostStats, OverlayHostOptions } from './overlay/overlay-host.js';
export { DEFAULT_IP_RATE_LIMIT, IpRateLimiter } from './overlay/ip-rate-limit.js';
export type { IpRateLimitOptions, IpRateVerdict } from './overlay/ip-rate-limit.js';
export { VerifyBudget } from './overlay/verify-budget.js';
export type { VerifyBudgetOptions, VerifyBudgetStats } from './overlay/verify-budget.js';
export { AmplificationBudget, DEFAULT_AMPLIFICATION_FACTOR } from './overlay/amplification-budget.js';
export type { AmplificationBudgetOptions, AmplificationGate, AmplificationStats } from './overlay/amplification-budget.js';
export { SendPacer } from './overlay/send-pacer.js';
export type { RequestPacing, SendPacingOptions, SendPacingStats } from './overlay/send-pacer.js';
export { RateLimiter } from './overlay/rate-limiter.js';
export type { RateLimitOptions, RateLimitStats, RateVerdict } from './overlay/rate-limiter.js';
export { RelayServer } from './relay/relay-server.js';
export type { RelayDropReason, RelayServerDeps, RelayServerOptions, RelayServerStats } from './relay/relay-settings.js';
export { RelayClient } from './relay/relay-client.js';
export type { RelayAllocation, RelayClientDeps, RelayClientOptions, RelayClientStats } from './relay/relay-client-settings.js';
export { RelayKeeper } from './relay/relay-keeper.js';
export type { RelayAllocator, RelayKeeperCallbacks, RelayKeeperOptions, RelayKeeperStats } from './relay/relay-keeper.js';
export { RelayError } from './relay/relay-error.js';
export type { RelayFailure } from './relay/relay-error.js';
export { RELAY_MAGIC, RELAY_OVERHEAD_BYTES } from './relay/relay-wire.js';
export type { RelayRefusal } from './relay/relay-wire.js';
