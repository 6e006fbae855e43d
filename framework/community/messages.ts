/**
 * The framework's own messages, present in every community: peer introduction (py-ipv8's
 * introduction request/response) and NAT puncture. Message ids 240..255 are reserved for the framework.
 * @module
 */
import { defineMessage } from '../wire/packet.js';
import { defineSchema, t } from '../wire/schema.js';

/** Lowest message id reserved for the framework; communities use 0..239. */
export const FIRST_RESERVED_MESSAGE_ID = 240;

/** "Here I am; introduce me to someone." Signed, so the receiver learns a verified peer. */
export const IntroductionRequest = defineMessage({
  id: 250,
  name: 'introduction-request',
  signed: true,
  schema: defineSchema({
    identifier: t.u64(),
    /** The address the request was sent to, so the receiver learns its address as others see it. */
    destination: t.address(),
    /** The sender's own bound address. */
    sourceLan: t.address(),
  }),
});

/** "I know you now; here is someone else." Signed. */
export const IntroductionResponse = defineMessage({
  id: 251,
  name: 'introduction-response',
  signed: true,
  schema: defineSchema({
    identifier: t.u64(),
    /** The requester's address as the responder sees it. */
    destination: t.address(),
    /** Another peer the requester may walk to: its address as the responder sees it (its WAN address). */
    introduced: t.optional(t.address()),
    /**
     * The LAN address the introduced peer claims (the `sourceLan` of its introduction request), which the
     * requester walks to instead when the introduced peer's WAN IP is its own (both behind one NAT).
     */
    introducedLan: t.optional(t.address()),
  }),
});

/**
 * "Please send a puncture packet to `target`": opens a NAT mapping toward a peer that wants to reach you.
 * One packet: to `targetLan` instead when the asker saw the target on our public IP (one NAT), else to `target`.
 */
export const PunctureRequest = defineMessage({
  id: 252,
  name: 'puncture-request',
  signed: true,
  schema: defineSchema({
    identifier: t.u64(),
    /** The peer to puncture toward, at its address as the asker sees it (its WAN address). */
    target: t.address(),
    /** The target's claimed LAN address, given only when the asker saw the target and us on one public IP. */
    targetLan: t.optional(t.address()),
  }),
});

/** A packet sent toward a peer so that its replies can come back through our NAT. Signed: proves who we are. */
export const Puncture = defineMessage({
  id: 253,
  name: 'puncture',
  signed: true,
  schema: defineSchema({ identifier: t.u64(), source: t.address() }),
});
