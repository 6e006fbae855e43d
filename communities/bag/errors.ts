/**
 * The error a {@link BagCommunity} throws: a {@link DHTError} (same reasons, same `verdicts`) by its own name.
 * @module
 */
import { DHTError } from '../dht/index.js';

/** A bag operation failed; `reason` says why (see `DHTErrorReason`). */
export class BagError extends DHTError {}
