/**
 * DHT counters for a status page: lookups, hops, timeouts, stores and rejected values.
 * @module
 */

import type { RecordStatistics } from './records/record-statistics.js';

/** Counters kept by a {@link DHTCommunity}; the value store's own counters are its engine's. */
export class DHTStatistics {
  /** @param values the value engine's counters (verdicts, rejected values, replications). */
  constructor(private readonly values: RecordStatistics) {}

  /** Lookups started (node and value lookups, including maintenance). */
  lookups = 0;
  /** Sum of hops over finished lookups (see {@link DHTStatistics.averageHops}). */
  hopsTotal = 0;
  /** Most hops any lookup took. */
  hopsMax = 0;
  /** Queries sent by lookups. */
  queries = 0;
  /** Requests that timed out. */
  timeouts = 0;
  /** `storeValue` calls that succeeded / failed. */
  storesSucceeded = 0;
  /** `storeValue` calls that failed with a {@link DHTError}. */
  storesFailed = 0;
  /** Store acknowledgements received. */
  storeAcks = 0;
  /** `findValues` calls. */
  finds = 0;
  /** `findValues` calls that returned at least one value. */
  findsWithValues = 0;
  /** Finds answered from the local value cache, without a packet. */
  cacheHits = 0;
  /** Finds the cache could not answer (nothing held, stale, or fewer values than asked). */
  cacheMisses = 0;
  /** Background refreshes of cached keys read often, before they went stale. */
  cacheRefreshes = 0;
  /** Bucket refresh lookups. */
  refreshes = 0;
  /** Contacts seen with an id that did not match their key, dropped. */
  idMismatches = 0;
  /** Contacts refused by the routing table's IP-diversity caps (per bucket or per table). */
  ipCapRejections = 0;
  /** Lookups run over more than one disjoint path (`disjointPaths` > 1). */
  disjointLookups = 0;
  /** Unsolicited packets that claimed a known contact at a new address, answered with a challenge ping. */
  addressChallenges = 0;
  /** Challenges the key's holder did not answer from the new address (a replay, or a dead address): the contact stayed. */
  addressChallengesFailed = 0;
  /** New contacts at an address that had not proved itself, pinged to prove it (see `CommunityContext.amplification`). */
  contactsVerified = 0;
  /** Of those, pings not answered from there, or withheld (no amplification credit left): the contact failed. */
  contactsUnverified = 0;

  /** Values received from other nodes that failed verification or did not belong to the key, and were ignored. */
  get valuesRejected(): number {
    return this.values.recordsRejected;
  }

  /** Verdicts this node gave as a storer, by name. */
  get storeVerdicts(): Readonly<Record<string, number>> {
    return this.values.verdicts;
  }

  /** Keys this node re-stored to the current closest nodes as a storer. */
  get replications(): number {
    return this.values.replications;
  }

  /** Own values this node re-published. */
  get republications(): number {
    return this.values.republications;
  }

  /** Mean hops per lookup. */
  get averageHops(): number {
    return this.lookups === 0 ? 0 : this.hopsTotal / this.lookups;
  }

  /** Records a finished lookup. */
  recordLookup(hops: number, queries: number): void {
    this.lookups++;
    this.hopsTotal += hops;
    this.hopsMax = Math.max(this.hopsMax, hops);
    this.queries += queries;
  }

  /** A plain JSON-ready copy. */
  toJSON(): Record<string, number | Record<string, number>> {
    return {
      lookups: this.lookups,
      averageHops: Number(this.averageHops.toFixed(2)),
      hopsMax: this.hopsMax,
      queries: this.queries,
      timeouts: this.timeouts,
      storesSucceeded: this.storesSucceeded,
      storesFailed: this.storesFailed,
      storeAcks: this.storeAcks,
      finds: this.finds,
      findsWithValues: this.findsWithValues,
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
      cacheRefreshes: this.cacheRefreshes,
      valuesRejected: this.valuesRejected,
      storeVerdicts: { ...this.storeVerdicts },
      replications: this.replications,
      republications: this.republications,
      refreshes: this.refreshes,
      idMismatches: this.idMismatches,
      ipCapRejections: this.ipCapRejections,
      disjointLookups: this.disjointLookups,
      addressChallenges: this.addressChallenges,
      addressChallengesFailed: this.addressChallengesFailed,
      contactsVerified: this.contactsVerified,
      contactsUnverified: this.contactsUnverified,
    };
  }
}
