/**
 * Counters of one record type, kept by its engine: what this node did as a storer and as a client.
 * @module
 */
import { countersToJSON } from '../../../framework/index.js';

/** Counters of a record engine, for a status page. */
export class RecordStatistics {
  /** Verdicts this node gave as a storer, by name (`bad-token` included). */
  readonly verdicts: Record<string, number> = {};
  /** Find pages this node served. */
  pagesServed = 0;
  /** Finds answered without a valid token (their answers held to 3x the request size). */
  unprovenFinds = 0;
  /** Pages cut short to keep an answer to an unproven address within 3x its request. */
  pagesCappedByAmplification = 0;
  /** Publications (and re-publications) this node made that at least one node accepted. */
  published = 0;
  /** Publications no node accepted. */
  publishFailed = 0;
  /** Own records re-published by the maintenance. */
  republications = 0;
  /** Locations re-stored to the current closest nodes as a storer. */
  replications = 0;
  /** Records a storer sent that failed verification, did not belong where asked, or came out of order. */
  recordsRejected = 0;
  /** Pages requested from storers. */
  pagesRequested = 0;
  /** Expired records dropped by sweeps. */
  expired = 0;

  /** A plain JSON-ready copy. */
  toJSON(): Record<string, number | Record<string, number>> {
    return countersToJSON(this);
  }
}
