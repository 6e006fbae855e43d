/**
 * The error a {@link DictCommunity} throws: a {@link DHTError} (same reasons, same `verdicts`) by its own name.
 * @module
 */
import { DHTError } from '../dht/index.js';

/** A dictionary operation failed; `reason` says why (see `DHTErrorReason`). */
export class DictError extends DHTError {}
