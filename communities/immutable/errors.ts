/**
 * The error an {@link ImmutableCommunity} throws: a {@link DHTError} (same reasons, same `verdicts`) by its own name.
 * @module
 */
import { DHTError } from '../dht/index.js';

/** An immutable-value operation failed; `reason` says why (see `DHTErrorReason`). */
export class ImmutableError extends DHTError {}
