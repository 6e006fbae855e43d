/**
 * The error a {@link ProvidersCommunity} throws: a {@link DHTError} (same reasons, same `verdicts`) by its own name.
 * @module
 */
import { DHTError } from '../dht/index.js';

/** A provider operation failed; `reason` says why (see `DHTErrorReason`). */
export class ProvidersError extends DHTError {}
