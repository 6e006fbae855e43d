/**
 * The error the DHT communities throw when an operation fails (as opposed to protocol verdicts, which are
 * returned as values).
 * @module
 */
import { PeerlayError } from '../../framework/errors.js';

/**
 * Why a DHT operation failed:
 * - `no-nodes`: the routing table has no contacts to ask;
 * - `too-large`: the value exceeds the maximum data size;
 * - `invalid-key`: the key is not a string or a 20-byte id;
 * - `timeout`: the operation ran out of time;
 * - `aborted`: the caller's `AbortSignal` fired;
 * - `rejected`: every node asked refused the value;
 * - `not-found`: no value was found under the key;
 * - `stopped`: the community was stopped while the operation ran.
 */
export type DHTErrorReason =
  | 'no-nodes'
  | 'too-large'
  | 'invalid-key'
  | 'timeout'
  | 'aborted'
  | 'rejected'
  | 'not-found'
  | 'stopped';

/** A DHT operation (store, find value, find node) failed; {@link DHTError.reason} says why. */
export class DHTError extends PeerlayError {
  /**
   * @param message what went wrong, naming the key or operation.
   * @param reason the machine-readable cause.
   * @param options standard `{ cause }` when wrapping another error.
   */
  constructor(
    message: string,
    readonly reason: DHTErrorReason,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A lookup query was answered by another identity than the node id it was referred under (a made-up id):
 * the query counts as failed and the lookup distrusts whoever referred that id. Internal to lookups.
 */
export class ImpostorError extends PeerlayError {}
