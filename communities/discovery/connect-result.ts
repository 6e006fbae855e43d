/**
 * What a connect returns and reports: the peer, the path it was reached by, and what was tried.
 * @module
 */
import type { Address, Peer } from '../../framework/index.js';
import type { ConnectPath } from './candidates.js';
import type { HelloCounts } from './hellos.js';

/** What a search tried, for its result and for the message of a failure. */
export interface SearchTried {
  /** Distinct addresses hello'd, by kind. */
  readonly addresses: HelloCounts;
  /** Hello packets sent, copies included. */
  readonly hellos: number;
  /** Storers asked for the peer's record. */
  readonly storersAsked: number;
  /** Storers that held a record, so introduced us to the peer. */
  readonly introductions: number;
  /** Find-peer packets sent, copies included. */
  readonly findPeers: number;
  /**
   * Birthday probing this search started toward the peer: `sockets` (we are behind a symmetric NAT, the
   * peer a cone one: we opened probe sockets), `spray` (the reverse: we sprayed its IP), or `none`.
   */
  readonly probing: 'sockets' | 'spray' | 'none';
}

/** The outcome of `DHTDiscoveryCommunity.connect`. */
export interface ConnectResult {
  /** The peer, verified by a signed packet it sent during the call (or earlier, for a `cached` answer). */
  readonly peer: Peer;
  /** The path the connection took (see {@link ConnectPath}). */
  readonly path: ConnectPath;
  /** The address the peer proved itself from: where to send it packets. */
  readonly address: Address;
  /** Virtual (clock) ms from the call to the proof; 0 for a `cached` answer. */
  readonly elapsedMs: number;
  /** What the search tried until then (all zero for a `cached` answer). */
  readonly tried: SearchTried;
  /** True when answered from the cache (`cached: true`), without a packet. */
  readonly cached: boolean;
}

/** Events of the discovery community, besides every community's. */
export interface DiscoveryEvents {
  /** A connect succeeded (once per call; also for `cached` answers). */
  'peer:connected': [result: ConnectResult];
}

/** Nothing tried: the `tried` of a cached answer. */
export const NOTHING_TRIED: SearchTried = {
  addresses: { direct: 0, wan: 0, lan: 0, relay: 0, birthday: 0 },
  hellos: 0,
  storersAsked: 0,
  introductions: 0,
  findPeers: 0,
  probing: 'none',
};

/** A search's attempts in words, for an error message: which paths were tried and how often. */
export function describeTried(t: SearchTried): string {
  const a = t.addresses;
  return (
    `tried ${a.direct} direct, ${a.wan} WAN, ${a.lan} LAN${a.birthday > 0 ? `, ${a.birthday} birthday` : ''} and ${a.relay} relay address(es) with ${t.hellos} hello(s); ` +
    `asked ${t.storersAsked} storer(s) with ${t.findPeers} find-peer request(s), ${t.introductions} introduced us` +
    (t.probing === 'none' ? '' : `; birthday probing (${t.probing === 'sockets' ? 'probe sockets' : 'port spray'}) found no path`)
  );
}
