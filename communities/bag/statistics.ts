/**
 * Bag counters for a status page.
 * @module
 */
import { countersToJSON } from '../../framework/index.js';

/** Counters kept by a {@link BagCommunity}. */
export class BagStatistics {
  /** `add` calls that succeeded. */
  adds = 0;
  /** `add`/`remove` calls that failed. */
  addsFailed = 0;
  /** `remove` calls that succeeded. */
  removes = 0;
  /** `search` calls. */
  searches = 0;
  /** Search pages requested from storers. */
  pagesRequested = 0;
  /** Records received that failed verification or were out of order, and were ignored. */
  recordsRejected = 0;
  /** Storers that answered a search page with nothing new although they said more followed. */
  storersStalled = 0;
  /** Verdicts this node gave as a storer, by name. */
  readonly verdicts: Record<string, number> = {};
  /** Search pages this node served as a storer. */
  pagesServed = 0;
  /** Search requests served without a valid token (their responses were held to 3x the request size). */
  tokenlessSearches = 0;
  /** Pages cut short to keep a tokenless response within 3x the request size. */
  pagesCappedByAmplification = 0;
  /** Entries re-signed and re-stored by their publisher before expiry. */
  republications = 0;
  /** Keys this node re-stored as a storer. */
  replications = 0;
  /** Expired records dropped by sweeps. */
  expired = 0;

  /** A plain JSON-ready copy. */
  toJSON(): Record<string, number | Record<string, number>> {
    return countersToJSON(this);
  }
}
