/**
 * py-ipv8 3.2's messages, byte for byte: the introduction and puncture messages of its `Community`
 * (`ipv8/messaging/payload.py`, old IPv4 form and new any-address form) and the messages of its
 * `DHTCommunity` and `DHTDiscoveryCommunity` (`ipv8/dht/payload.py`). Field names are py-ipv8's, in
 * camelCase; the comment on each gives its `format_list`. Introductions, punctures and puncture requests
 * carry a global time (py-ipv8 handlers unpack a `GlobalTimeDistributionPayload` first); DHT messages do not.
 * @module
 */
import { defineIpv8Message, defineStruct, s } from '../../framework/wire/struct/index.js';
import type { InferStruct } from '../../framework/wire/struct/index.js';

/** py-ipv8's `MAX_ENTRY_SIZE`: the most bytes of one serialized DHT value. */
export const IPV8_MAX_VALUE_BYTES = 170;
/** py-ipv8's `MAX_VALUES_IN_STORE`: a store request with more values is dropped. */
export const IPV8_MAX_VALUES_IN_STORE = 8;
/** py-ipv8's `MAX_VALUES_IN_FIND` and `MAX_NODES_IN_FIND`. */
export const IPV8_MAX_IN_FIND = 8;
/** The most bytes of a public key binary in a node list (py-ipv8's libnacl keys have 74). */
export const IPV8_MAX_KEY_BYTES = 256;
/** The most items of a py-ipv8 list (its count is one byte). */
const LIST_MAX = 255;
/** The most extra bytes an introduction may carry here. */
const EXTRA_MAX = 1024;

// ---- Community: introductions and punctures -------------------------------------------------------------

/** `IntroductionRequestPayload` (246): `["ipv4", "ipv4", "ipv4", "bits", "H", "raw"]`. */
export const IntroductionRequest = defineIpv8Message({
  id: 246,
  name: 'introduction-request',
  globalTime: true,
  schema: defineStruct({
    destinationAddress: s.ipv4(),
    sourceLanAddress: s.ipv4(),
    sourceWanAddress: s.ipv4(),
    /** connection type 0, connection type 1, supports new style, dflag1, dflag2, tunnel, sync, advice. */
    flags: s.bits(),
    identifier: s.u16(),
    extraBytes: s.raw({ max: EXTRA_MAX }),
  }),
});

/** `NewIntroductionRequestPayload` (234): `["ip_address", "ip_address", "ip_address", "H", "bits", "raw"]`. */
export const NewIntroductionRequest = defineIpv8Message({
  id: 234,
  name: 'new-introduction-request',
  globalTime: true,
  schema: defineStruct({
    destinationAddress: s.ipAddress(),
    sourceLanAddress: s.ipAddress(),
    sourceWanAddress: s.ipAddress(),
    identifier: s.u16(),
    flags: s.bits(),
    extraBytes: s.raw({ max: EXTRA_MAX }),
  }),
});

/** `IntroductionResponsePayload` (245): five `ipv4`, `bits`, `H`, `raw`. */
export const IntroductionResponse = defineIpv8Message({
  id: 245,
  name: 'introduction-response',
  globalTime: true,
  schema: defineStruct({
    destinationAddress: s.ipv4(),
    sourceLanAddress: s.ipv4(),
    sourceWanAddress: s.ipv4(),
    lanIntroductionAddress: s.ipv4(),
    wanIntroductionAddress: s.ipv4(),
    /** connection type 0, connection type 1, dflag0, supports new style, intro supports new style, peer limit reached, 0, 0. */
    flags: s.bits(),
    identifier: s.u16(),
    extraBytes: s.raw({ max: EXTRA_MAX }),
  }),
});

/** `NewIntroductionResponsePayload` (233): five `ip_address`, `H`, `bits`, `raw`. */
export const NewIntroductionResponse = defineIpv8Message({
  id: 233,
  name: 'new-introduction-response',
  globalTime: true,
  schema: defineStruct({
    destinationAddress: s.ipAddress(),
    sourceLanAddress: s.ipAddress(),
    sourceWanAddress: s.ipAddress(),
    lanIntroductionAddress: s.ipAddress(),
    wanIntroductionAddress: s.ipAddress(),
    identifier: s.u16(),
    /** intro supports new style, then seven unused flags. */
    flags: s.bits(),
    extraBytes: s.raw({ max: EXTRA_MAX }),
  }),
});

const punctureFields = { sourceLanAddress: s.ipv4(), sourceWanAddress: s.ipv4(), identifier: s.u16() };
const newPunctureFields = { sourceLanAddress: s.ipAddress(), sourceWanAddress: s.ipAddress(), identifier: s.u16() };

/** `PuncturePayload` (249): `["ipv4", "ipv4", "H"]`. */
export const Puncture = defineIpv8Message({ id: 249, name: 'puncture', globalTime: true, schema: defineStruct(punctureFields) });
/** `NewPuncturePayload` (231): `["ip_address", "ip_address", "H"]`. */
export const NewPuncture = defineIpv8Message({ id: 231, name: 'new-puncture', globalTime: true, schema: defineStruct(newPunctureFields) });

/** `PunctureRequestPayload` (250, unsigned): `["ipv4", "ipv4", "H"]`. */
export const PunctureRequest = defineIpv8Message({
  id: 250,
  name: 'puncture-request',
  signed: false,
  globalTime: true,
  schema: defineStruct({ lanWalkerAddress: s.ipv4(), wanWalkerAddress: s.ipv4(), identifier: s.u16() }),
});

/** `NewPunctureRequestPayload` (232, unsigned): `["ip_address", "ip_address", "H"]`. */
export const NewPunctureRequest = defineIpv8Message({
  id: 232,
  name: 'new-puncture-request',
  signed: false,
  globalTime: true,
  schema: defineStruct({ lanWalkerAddress: s.ipAddress(), wanWalkerAddress: s.ipAddress(), identifier: s.u16() }),
});

// ---- DHTCommunity and DHTDiscoveryCommunity ---------------------------------------------------------------

/** py-ipv8's `NodePacker`: an `ip_address` and a `varlenH` public key binary. */
export const Ipv8NodeStruct = defineStruct({ address: s.ipAddress(), publicKey: s.varlenH({ max: IPV8_MAX_KEY_BYTES }) });
/** One node of a py-ipv8 node list. */
export type Ipv8WireNode = InferStruct<typeof Ipv8NodeStruct>;

const nodeList = s.list(Ipv8NodeStruct, { max: LIST_MAX });
const valueList = s.list(s.varlenH({ max: IPV8_MAX_VALUE_BYTES }), { max: LIST_MAX });
const idOnly = defineStruct({ identifier: s.u32() });

/** `PingRequestPayload` (1): `["I"]`. */
export const PingRequest = defineIpv8Message({ id: 1, name: 'ping-request', schema: idOnly });
/** `PingResponsePayload` (2): `["I"]`. */
export const PingResponse = defineIpv8Message({ id: 2, name: 'ping-response', schema: idOnly });

/** `StoreRequestPayload` (3): `["I", "20s", "20s", "varlenH-list"]`. */
export const StoreRequest = defineIpv8Message({
  id: 3,
  name: 'store-request',
  schema: defineStruct({ identifier: s.u32(), token: s.bytes(20), target: s.bytes(20), values: valueList }),
});
/** `StoreResponsePayload` (4): `["I"]`. */
export const StoreResponse = defineIpv8Message({ id: 4, name: 'store-response', schema: idOnly });

/** `FindRequestPayload` (5): `["I", "ip_address", "20s", "I", "?"]`. */
export const FindRequest = defineIpv8Message({
  id: 5,
  name: 'find-request',
  schema: defineStruct({ identifier: s.u32(), lanAddress: s.ipAddress(), target: s.bytes(20), offset: s.u32(), forceNodes: s.bool() }),
});
/** `FindResponsePayload` (6): `["I", "20s", "varlenH-list", "node-list"]`. */
export const FindResponse = defineIpv8Message({
  id: 6,
  name: 'find-response',
  schema: defineStruct({ identifier: s.u32(), token: s.bytes(20), values: valueList, nodes: nodeList }),
});

/** `StorePeerRequestPayload` (7): `["I", "20s", "20s"]`. */
export const StorePeerRequest = defineIpv8Message({
  id: 7,
  name: 'store-peer-request',
  schema: defineStruct({ identifier: s.u32(), token: s.bytes(20), target: s.bytes(20) }),
});
/** `StorePeerResponsePayload` (8): `["I"]`. */
export const StorePeerResponse = defineIpv8Message({ id: 8, name: 'store-peer-response', schema: idOnly });

/** `ConnectPeerRequestPayload` (9): `["I", "ip_address", "20s"]`. */
export const ConnectPeerRequest = defineIpv8Message({
  id: 9,
  name: 'connect-peer-request',
  schema: defineStruct({ identifier: s.u32(), lanAddress: s.ipAddress(), target: s.bytes(20) }),
});
/** `ConnectPeerResponsePayload` (10): `["I", "node-list"]`. */
export const ConnectPeerResponse = defineIpv8Message({
  id: 10,
  name: 'connect-peer-response',
  schema: defineStruct({ identifier: s.u32(), nodes: nodeList }),
});
