/**
 * The error a {@link NamespaceCommunity} throws: a {@link DHTError} (same reasons, same `verdicts`) by its own name.
 * @module
 */
import { DHTError } from '../dht/index.js';

/** A namespace operation failed; `reason` says why (see `DHTErrorReason`). */
export class NamespaceError extends DHTError {}
