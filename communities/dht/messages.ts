/**
 * The DHT's wire messages: ping, and the record engine's find and store for values. Every message is
 * signed (or tagged for a peer that knows our key), so a node id (the mid of the signing key) cannot be
 * claimed by anyone else, and every field has an explicit schema. Requests and responses are matched by a
 * random 64-bit id and the address the request went to.
 * @module
 */
import { defineMessage, defineRequest, defineSchema, t } from '../../framework/index.js';
import { defineRecordMessages } from './records/record-messages.js';
import { ValueWire } from './value-policy.js';

/** "Are you alive?" */
export const PingRequest = defineMessage({ id: 1, name: 'dht-ping-request', signed: true, schema: defineSchema({ id: t.u64() }) });

/**
 * "Yes, and I saw your request come from `observed`": the address a node behind a NAT is reachable at
 * for this responder (see `nat-status.ts`).
 */
export const PingResponse = defineMessage({ id: 2, name: 'dht-ping-response', signed: true, schema: defineSchema({ id: t.u64(), observed: t.address() }) });

/** A ping and its answer. */
export const Ping = defineRequest(PingRequest, PingResponse);

/**
 * The value type's messages: find (nodes closest to a target and, when asked, a page of the values there)
 * and store (token-checked; `cache` for a copy along a lookup path). The find request's signature is
 * checked only when the requester is not already in the routing table at its address (`deferredVerify`):
 * answering changes no state and is amplification-bounded, so a known requester costs no verification.
 * Ids 8 and 9 are the multi-location store a bulk store (`storeMany`) sends a storer of several keys; 10
 * and 11 the multi-key find a bulk find (`findMany`) sends a node asked about several keys (`ValueFindMany`
 * in `bulk-messages.ts`); 6 was the retired cache request and stays unused.
 */
export const ValueMessages = defineRecordMessages(ValueWire, { prefix: 'dht', ids: [3, 4, 5, 7], storeManyIds: [8, 9], deferredVerify: true });

/** Find the nodes closest to a target and, when `records` is set, a page of the values stored under it. */
export const FindRequest = ValueMessages.FindRequest;
/** Closest nodes, a page of values, how many the responder holds, and a store token for the requester. */
export const FindResponse = ValueMessages.FindResponse;
/** Store values under one key (or cache them); needs a token the storing node issued to the sender's address. */
export const StoreRequest = ValueMessages.StoreRequest;
/** One verdict per value of a store. */
export const StoreResponse = ValueMessages.StoreResponse;
/** Store values under several keys in one datagram (a bulk store's requests to one storer); needs a token. */
export const StoreManyRequest = ValueMessages.StoreManyRequest!;
/** One verdict per value of a multi-key store, key after key. */
export const StoreManyResponse = ValueMessages.StoreManyResponse!;
