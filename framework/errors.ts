/**
 * Named error classes. Misuse of a public API and operational failures throw one of these; expected
 * protocol verdicts (a bad signature in a packet, a stale version) are values with a reason, never thrown.
 * @module
 */

/** Base class of every error Peerlay throws. */
export class PeerlayError extends Error {
  /** @param message what went wrong, naming the field or operation. @param options standard `{ cause }`. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A value given to a public API is malformed (wrong length, type or range). */
export class InvalidArgumentError extends PeerlayError {}

/** A key (binary or file) cannot be parsed: wrong prefix, wrong length, or corrupt content. */
export class KeyFormatError extends PeerlayError {}

/** A private key file cannot be read or written. */
export class KeyFileError extends PeerlayError {}

/** A message could not be encoded against its schema (the caller passed a value that does not fit). */
export class InvalidMessageError extends PeerlayError {}

/** An outgoing packet is larger than the endpoint's configured maximum. */
export class PacketTooLargeError extends PeerlayError {
  /** @param size the packet size in bytes. @param max the configured maximum in bytes. */
  constructor(
    readonly size: number,
    readonly max: number,
  ) {
    super(`packet of ${size} bytes exceeds the maximum of ${max} bytes`);
  }
}

/** An endpoint was used while closed, or failed to open. */
export class EndpointError extends PeerlayError {}

/** A community or overlay host was misconfigured or used in the wrong lifecycle state. */
export class LifecycleError extends PeerlayError {}

/** A request timed out waiting for its response. */
export class TimeoutError extends PeerlayError {}

/** An operation was cancelled through its `AbortSignal`. */
export class AbortError extends PeerlayError {}

/**
 * A request was not sent: its destination has not proved its address (no token echoed, no answer to a
 * request of ours) and the amplification credit its own packets earned is spent (see
 * {@link AmplificationBudget}). Nothing was sent; the request failed at once instead of timing out.
 */
export class AmplificationLimitError extends PeerlayError {}

/**
 * A community was registered on an {@link OverlayHost} before a community it needs (one in its static
 * `requires`, or injected into its constructor). The message says what to register first, e.g.
 * `BagCommunity needs DHTCommunity: call host.register(DHTCommunity) before host.register(BagCommunity)`.
 */
export class MissingDependencyError extends LifecycleError {
  /**
   * @param community the name of the class being registered (or started).
   * @param missing the name of the class it needs.
   */
  constructor(
    readonly community: string,
    readonly missing: string,
  ) {
    super(`${community} needs ${missing}: call host.register(${missing}) before host.register(${community})`);
  }
}
