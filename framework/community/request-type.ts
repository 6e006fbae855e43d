/**
 * Typed request/response pairs: {@link defineRequest} ties a request message to its response message,
 * so {@link Community.sendRequest} resolves to the decoded response with its type, and
 * {@link Community.handleResponses} registers the response's handler in one call.
 * @module
 */
import type { PublicKey } from '../crypto/keys.js';
import { InvalidArgumentError } from '../errors.js';
import type { MessageSpec } from '../wire/packet.js';

/** The body of a request or response message: a 64-bit `id` field (the request id) and anything else. */
export interface RequestBody {
  /** The request id; {@link Community.sendRequest} fills it in, a response echoes it. */
  readonly id: bigint;
}

/**
 * A request message and the response message that answers it (made by {@link defineRequest}).
 * @typeParam Req the request body (has an `id: bigint` field, filled in by `sendRequest`).
 * @typeParam Res the response body (echoes the request's `id`).
 */
export interface RequestType<Req extends RequestBody, Res extends RequestBody> {
  /** The message sent. */
  readonly request: MessageSpec<Req>;
  /** The message that answers it, echoing the request's `id`. */
  readonly response: MessageSpec<Res>;
}

/** Options of {@link Community.sendRequest}. */
export interface RequestOptions {
  /** Milliseconds before the request rejects with `TimeoutError`. @default the community's `requestTimeoutMs` (5,000 ms unless overridden) */
  readonly timeoutMs?: number;
  /** Cancels the request (it rejects with `AbortError`). */
  readonly signal?: AbortSignal | undefined;
  /** The key of the peer at the destination, when known: the request is then tagged for it instead of signed. */
  readonly recipient?: PublicKey | undefined;
  /**
   * Told the request's random id before it is sent: a caller that must recognise what the request causes
   * elsewhere (a storer echoes the id in the introduction it forwards, the peer in its puncture) keeps it.
   */
  readonly onId?: ((id: bigint) => void) | undefined;
  /**
   * Told when the packet leaves: at once, or after the wait the node's pacing gave it (see
   * `CommunityContext.pacing`); a round-trip time is measured from here.
   */
  readonly onSent?: (() => void) | undefined;
  /**
   * Sent whatever `to`'s amplification credit (see `SendOptions.unmetered`): for a first contact this node
   * makes on its own, such as a node a lookup was referred to. @default false
   */
  readonly unmetered?: boolean | undefined;
}

/**
 * Declares that `response` answers `request`. Both bodies carry a 64-bit `id` field: `sendRequest` fills
 * in the request's, and the answer echoes it. Declare each pair once, next to its messages; register the
 * response's handler with {@link Community.handleResponses} in the community's constructor.
 * @throws {@link InvalidArgumentError} when the two messages share a message id, or either schema has no `id` field.
 * @example
 * ```ts
 * const Ping = defineMessage({ id: 1, name: 'ping', signed: true, schema: defineSchema({ id: t.u64(), text: t.string({ max: 256 }) }) });
 * const Pong = defineMessage({ id: 2, name: 'pong', signed: true, schema: defineSchema({ id: t.u64(), text: t.string({ max: 256 }) }) });
 * export const PingRequest = defineRequest(Ping, Pong);
 *
 * // in the community's constructor:
 * this.handleResponses(PingRequest);
 * // anywhere in the community: `pong.value` is `{ id: bigint; text: string }`, no cast
 * const pong = await this.sendRequest(to, PingRequest, { text: 'hi' });
 * ```
 */
export function defineRequest<Req extends RequestBody, Res extends RequestBody>(
  request: MessageSpec<Req>,
  response: MessageSpec<Res>,
): RequestType<Req, Res> {
  if (request.id === response.id) {
    throw new InvalidArgumentError(`request ${request.name} and response ${response.name} share message id ${request.id}`);
  }
  for (const spec of [request, response]) {
    if (!spec.schema.fieldNames.includes('id')) throw new InvalidArgumentError(`message ${spec.name} has no 'id' field (a u64 request id)`);
  }
  return Object.freeze({ request, response });
}

