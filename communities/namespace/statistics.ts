/**
 * Namespace counters for a status page.
 * @module
 */
import { countersToJSON } from '../../framework/index.js';

/** Counters kept by a {@link NamespaceCommunity}. */
export class NamespaceStatistics {
  /** `set` calls that succeeded. */
  sets = 0;
  /** `set` calls that failed. */
  setsFailed = 0;
  /** Reads of the storers: `get` calls, and the reads `set` makes to find the next seq. */
  gets = 0;
  /** Records received that failed verification (forged, or for another key), and were ignored. */
  recordsRejected = 0;
  /** Verdicts this node gave as a storer, by name. */
  readonly verdicts: Record<string, number> = {};
  /** Get requests served without a valid token (responses held to 3x the request size). */
  tokenlessGets = 0;
  /** Get responses whose record was withheld to keep within 3x the request size. */
  recordsWithheld = 0;
  /** Records of ours re-stored before expiry. */
  republications = 0;
  /** Records this node re-stored as a storer. */
  replications = 0;
  /** Expired records dropped by sweeps. */
  expired = 0;

  /** A plain JSON-ready copy. */
  toJSON(): Record<string, number | Record<string, number>> {
    return countersToJSON(this);
  }
}
