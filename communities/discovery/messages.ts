/**
 * Messages of the DHT discovery community. All signed: an announcement is accepted only for the mid of
 * the key that signed it, and a peer found by mid proves its key by a signed packet from its address.
 * This is Peerlay's own protocol (`peerlay/dht-discovery/v1`), not py-ipv8's.
 * @module
 */
import { defineMessage, defineRequest, defineSchema, t } from '../../framework/index.js';

const MID = t.bytes({ length: 20 });
const TOKEN = t.bytes({ length: 8 });

/**
 * Kinds of a peer's candidate address on the wire: 0 the address its announcements came from as the
 * storer saw it (WAN), 1 the LAN address it announced (its bound local address), 2 a relay address it
 * announced. See `CandidateKind`.
 */
export const CANDIDATE_KIND_CODES = { wan: 0, lan: 1, relay: 2 } as const;

/**
 * A node's NAT as its DHT judged it (`dht.nat`), on the wire: 0 unknown, 1 public (no NAT), 2 cone (one
 * public port for every destination), 3 symmetric (a port per destination). A peer behind a symmetric NAT
 * and one behind a cone NAT reach each other by birthday probing (see `birthday.ts`).
 */
export const NAT_CODES = { unknown: 0, public: 1, cone: 2, symmetric: 3 } as const;

/**
 * "Hold my address under my mid." Also the keepalive. Needs a token the storer issued to this address.
 * `lan` is the announcer's bound local address (absent when it is bound to a wildcard); `relay` an
 * address on a relaying node where it can be reached; `nat` the announcer's NAT ({@link NAT_CODES}). The
 * storer keeps the candidates only when valid (see
 * `storer.ts`), and never sends anything to them itself.
 */
export const AnnounceRequest = defineMessage({
  id: 1,
  name: 'announce-request',
  signed: true,
  schema: defineSchema({ id: t.u64(), mid: MID, token: TOKEN, lan: t.optional(t.address()), relay: t.optional(t.address()), nat: t.optional(t.u8()) }),
});

/** Accepted or not (with a reason), and the next token to use for the keepalive. */
export const AnnounceResponse = defineMessage({
  id: 2,
  name: 'announce-response',
  signed: true,
  schema: defineSchema({ id: t.u64(), accepted: t.bool(), reason: t.string({ max: 32 }), token: TOKEN }),
});

/**
 * "Who is `mid`, and please have them reach me." `token` (a DHT store token the storer issued to this
 * address) proves the requester's address; without it the answer and the punctures it causes are kept
 * within 3x the request's size. `lan` is the requester's own bound local address: the storer passes it
 * on in the introduction, so a peer behind the same NAT can puncture toward it. `nat` is the requester's
 * NAT ({@link NAT_CODES}), passed on too.
 */
export const FindPeerRequest = defineMessage({
  id: 3,
  name: 'find-peer-request',
  signed: true,
  schema: defineSchema({ id: t.u64(), mid: MID, token: t.optional(TOKEN), lan: t.optional(t.address()), nat: t.optional(t.u8()) }),
});

/**
 * The peers a storer holds for the mid, at most a few: each peer's public key, the address its
 * announcements came from (`address`, kind WAN), and its other candidates (`candidates`: kind code from
 * {@link CANDIDATE_KIND_CODES} and address, at most 2) and its NAT as it announced it (`nat`, {@link NAT_CODES}).
 */
export const FindPeerResponse = defineMessage({
  id: 4,
  name: 'find-peer-response',
  signed: true,
  schema: defineSchema({
    id: t.u64(),
    peers: t.list(
      t.struct({
        publicKey: t.bytes({ length: 74 }),
        address: t.address(),
        candidates: t.list(t.struct({ kind: t.u8(), address: t.address() }), { max: 2 }),
        nat: t.optional(t.u8()),
      }),
      { max: 4 },
    ),
  }),
});

/**
 * Storer → stored peer: "`requester` is looking for you; send it a puncture". `requester` is the
 * requester's address as the storer saw it, `requesterLan` the LAN address the requester gave (the peer
 * punctures toward it once, and only when it is a private address), `proven` whether the requester's
 * address is proven by a token (only then does the peer repeat its puncture), `requesterNat` the NAT the
 * requester declared ({@link NAT_CODES}; the peer sprays probes at a proven symmetric requester's IP).
 */
export const IntroduceRequest = defineMessage({
  id: 5,
  name: 'introduce-request',
  signed: true,
  schema: defineSchema({ nonce: t.u64(), requester: t.address(), requesterMid: MID, requesterLan: t.optional(t.address()), proven: t.bool(), requesterNat: t.optional(t.u8()) }),
});

/** Stored peer → requester: a signed packet from the peer's own address (opens NATs, proves the key). */
export const PeerPuncture = defineMessage({
  id: 6,
  name: 'peer-puncture',
  signed: true,
  schema: defineSchema({ nonce: t.u64() }),
});

/** Requester → candidate peer: "prove you hold the key for this mid". */
export const HelloRequest = defineMessage({ id: 7, name: 'hello-request', signed: true, schema: defineSchema({ id: t.u64() }) });

/**
 * The signed answer to {@link HelloRequest}. `punctured`: the peer had punctured toward the requester
 * (after an introduction) before this hello arrived, so the hello likely got through because of it.
 */
export const HelloResponse = defineMessage({ id: 8, name: 'hello-response', signed: true, schema: defineSchema({ id: t.u64(), punctured: t.bool() }) });

/** Announce (or keep alive) our record; answered with {@link AnnounceResponse}. */
export const Announce = defineRequest(AnnounceRequest, AnnounceResponse);

/** Ask a storer for the record of a mid; answered with {@link FindPeerResponse}. */
export const FindPeer = defineRequest(FindPeerRequest, FindPeerResponse);

/** Ask a candidate peer to prove its key; answered with {@link HelloResponse}. */
export const Hello = defineRequest(HelloRequest, HelloResponse);
