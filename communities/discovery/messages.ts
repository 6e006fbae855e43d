/**
 * Messages of the DHT discovery community. All signed: an announcement is accepted only for the mid of
 * the key that signed it, and a peer found by mid proves its key by a signed packet from its address.
 * @module
 */
import { defineMessage, defineRequest, defineSchema, t } from '../../framework/index.js';

const MID = t.bytes({ length: 20 });
const TOKEN = t.bytes({ length: 8 });

/** "Hold my address under my mid." Also the keepalive. Needs a token the storer issued to this address. */
export const AnnounceRequest = defineMessage({
  id: 1,
  name: 'announce-request',
  signed: true,
  schema: defineSchema({ id: t.u64(), mid: MID, token: TOKEN }),
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
 * within 3x the request's size.
 */
export const FindPeerRequest = defineMessage({
  id: 3,
  name: 'find-peer-request',
  signed: true,
  schema: defineSchema({ id: t.u64(), mid: MID, token: t.optional(TOKEN) }),
});

/** The peers a storer holds for the mid (public key and address), at most a few. */
export const FindPeerResponse = defineMessage({
  id: 4,
  name: 'find-peer-response',
  signed: true,
  schema: defineSchema({
    id: t.u64(),
    peers: t.list(t.struct({ publicKey: t.bytes({ length: 74 }), address: t.address() }), { max: 4 }),
  }),
});

/** Storer → stored peer: "`requester` is looking for you; send it a puncture". */
export const IntroduceRequest = defineMessage({
  id: 5,
  name: 'introduce-request',
  signed: true,
  schema: defineSchema({ nonce: t.u64(), requester: t.address(), requesterMid: MID }),
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

/** The signed answer to {@link HelloRequest}. */
export const HelloResponse = defineMessage({ id: 8, name: 'hello-response', signed: true, schema: defineSchema({ id: t.u64() }) });

/** Announce (or keep alive) our record; answered with {@link AnnounceResponse}. */
export const Announce = defineRequest(AnnounceRequest, AnnounceResponse);

/** Ask a storer for the record of a mid; answered with {@link FindPeerResponse}. */
export const FindPeer = defineRequest(FindPeerRequest, FindPeerResponse);

/** Ask a candidate peer to prove its key; answered with {@link HelloResponse}. */
export const Hello = defineRequest(HelloRequest, HelloResponse);
