/**
 * The error a relay allocation fails with.
 * @module
 */
import { PeerlayError } from '../errors.js';
import type { RelayRefusal } from './relay-wire.js';

/** Why {@link RelayClient.allocate} failed: the relay refused, did not answer, or the request was cancelled. */
export type RelayFailure = RelayRefusal | 'timeout' | 'aborted' | 'closed';

/** An allocation could not be made; `reason` says why. */
export class RelayError extends PeerlayError {
  /** @param reason why. @param message what happened, naming the relay. */
  constructor(
    readonly reason: RelayFailure,
    message: string,
  ) {
    super(message);
  }
}
