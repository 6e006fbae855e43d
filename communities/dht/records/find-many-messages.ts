/**
 * The multi-target find's messages (an optional pair a record type may add to its four): a bulk find asks
 * one node about several targets in one datagram, and the node answers as many of them as fit one reply
 * datagram, in request order, each answer what a single find of that target would carry (its closest
 * nodes, a page of records, `total`, `more`, `authoritative`). The nodes of all answers travel once, in
 * one table the answers index, so targets near each other (the usual case: they were sent to a node near
 * all of them) do not repeat the nodes they share.
 * @module
 */
import type { MessageSpec, RequestType, Schema } from '../../../framework/index.js';
import { defineMessage, defineRequest, defineSchema, t } from '../../../framework/index.js';
import { TOKEN_BYTES } from '../storage/token-manager.js';
import { KEY_BYTES } from '../storage/value-record.js';
import type { NodeRefValue, WireItem } from './record-messages.js';
import { MAX_FIND_PADDING_BYTES, NodeRef, WIRE_MAX_NODES, WIRE_MAX_RECORDS } from './record-messages.js';

/** Most targets in one multi-target find request. */
export const WIRE_MAX_TARGETS = 32;
/** Most distinct nodes in one multi-target find response's node table (an answer indexes it with a byte). */
export const WIRE_MAX_NODE_TABLE = 255;

/** Body of a multi-target find request. */
export interface FindManyRequestBody {
  /** Request id. */
  readonly id: bigint;
  /** The keys (locations) sought, each once, at most {@link WIRE_MAX_TARGETS}. */
  readonly targets: Uint8Array[];
  /** True to ask for the records at each target as well as the closest nodes. */
  readonly records: boolean;
  /** Only records of this publisher (its 20-byte mid), at every target. */
  readonly publisher: Uint8Array | undefined;
  /** A token this node issued to the requester earlier: proves the requester's address. */
  readonly token: Uint8Array | undefined;
  /** Ignored bytes a requester without a token adds, as in a single find request (see `FindRequestBody.padding`). */
  readonly padding: Uint8Array | undefined;
}

/** One target's answer in a multi-target find response: a single find response's fields, its nodes by index. */
export interface FindManyAnswer<W> {
  /** The closest nodes the responder knows (never the requester), as indexes into the response's `nodes`. */
  readonly nodes: number[];
  /** A page of records, ascending by id. */
  readonly records: WireItem<W>[];
  /** Records matching the request the responder holds in all. */
  readonly total: number;
  /** True when records beyond this page follow. */
  readonly more: boolean;
  /** True when the responder holds every record of this page as a storer (see `FindResponseBody.authoritative`). */
  readonly authoritative: boolean;
}

/** Body of a multi-target find response. */
export interface FindManyResponseBody<W> {
  /** Request id. */
  readonly id: bigint;
  /** A fresh store token for the requester's address. */
  readonly token: Uint8Array;
  /** Every node the answers name, once. */
  readonly nodes: NodeRefValue[];
  /**
   * The answers to the first targets of the request, in its order: as many as fit one datagram (and, for
   * a requester that has not proved its address, 3x its request). The requester asks again for the rest.
   */
  readonly answers: FindManyAnswer<W>[];
}

/** The multi-target find of one record type. */
export interface FindManyMessages<W> {
  /** Find the nodes closest to several targets, and optionally a page of the records at each. */
  readonly FindManyRequest: MessageSpec<FindManyRequestBody>;
  /** The answers to the first targets that fit. */
  readonly FindManyResponse: MessageSpec<FindManyResponseBody<W>>;
  /** The request with its response type. */
  readonly FindMany: RequestType<FindManyRequestBody, FindManyResponseBody<W>>;
}

/**
 * Makes a record type's multi-target find messages.
 * @param wire the policy's wire form of one record.
 * @param where the name prefix and the two message ids (free in the type's community).
 * @returns the request, the response and the pair.
 * @example
 * ```ts
 * const findMany = defineFindManyMessages(ValueWire, { prefix: 'dht', ids: [10, 11] });
 * ```
 */
export function defineFindManyMessages<W>(wire: Schema<W>, where: { readonly prefix: string; readonly ids: readonly [findMany: number, foundMany: number] }): FindManyMessages<W> {
  const item = t.struct({ record: wire, ttl: t.uint() });
  const [request, response] = where.ids;
  const FindManyRequest = defineMessage({
    id: request,
    name: `${where.prefix}-find-many-request`,
    signed: true,
    schema: defineSchema({
      id: t.u64(),
      targets: t.list(t.bytes({ length: KEY_BYTES }), { max: WIRE_MAX_TARGETS }),
      records: t.bool(),
      publisher: t.optional(t.bytes({ length: KEY_BYTES })),
      token: t.optional(t.bytes({ length: TOKEN_BYTES })),
      padding: t.optional(t.bytes({ max: MAX_FIND_PADDING_BYTES })),
    }),
  });
  const FindManyResponse = defineMessage({
    id: response,
    name: `${where.prefix}-find-many-response`,
    signed: true,
    schema: defineSchema({
      id: t.u64(),
      token: t.bytes({ length: TOKEN_BYTES }),
      nodes: t.list(NodeRef, { max: WIRE_MAX_NODE_TABLE }),
      answers: t.list(
        t.struct({ nodes: t.list(t.u8(), { max: WIRE_MAX_NODES }), records: t.list(item, { max: WIRE_MAX_RECORDS }), total: t.uint(), more: t.bool(), authoritative: t.bool() }),
        { max: WIRE_MAX_TARGETS },
      ),
    }),
  }) as unknown as MessageSpec<FindManyResponseBody<W>>; // the schema is built from `wire` at run time (see `defineRecordMessages`)
  return { FindManyRequest, FindManyResponse, FindMany: defineRequest(FindManyRequest, FindManyResponse) };
}
