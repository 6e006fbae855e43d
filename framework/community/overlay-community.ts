/**
 * What the overlay host needs of a community and of a community class: the non-generic surface of
 * {@link Community}, its settings and events, and the constructor with its declared dependencies.
 * @module
 */
import type { Address } from '../endpoint/address.js';
import type { DiscoverySettings } from './discovery.js';
import type { Peer } from './peer.js';
import type { PeerStore } from './peer-store.js';
import type { CommunityStats } from './stats.js';

/** Events every community emits. */
export interface CommunityEvents {
  /** A verified peer joined this community's peer store. */
  'peer:added': [peer: Peer];
  /** A peer was dropped (silent too long, or removed). */
  'peer:removed': [peer: Peer];
  /** A packet was dropped before reaching a handler. */
  'packet:dropped': [reason: string, from: Address];
  /** A verified peer sent us a puncture packet (it was asked to reach us). */
  'peer:punctured': [peer: Peer, identifier: bigint];
}

/** Settings every community accepts (through the overlay host). */
export interface CommunitySettings {
  /** Peer discovery: bootstrap addresses, walking and churn. */
  discovery?: DiscoverySettings;
}

/**
 * What the overlay host needs of a community: the non-generic surface of {@link Community}, so hosts can
 * hold communities with different event maps side by side.
 */
export interface OverlayCommunity {
  /** The 22-byte packet prefix. */
  readonly prefix: Uint8Array;
  /** Hex of the 20-byte community id. */
  readonly communityIdHex: string;
  /** Display name. */
  readonly name: string;
  /** True while started. */
  readonly isRunning: boolean;
  /** Verified peers. */
  readonly peers: PeerStore;
  /** Message and drop counters. */
  readonly stats: CommunityStats;
  /** Handles one packet whose prefix matched. */
  receive(data: Uint8Array, messageId: number, from: Address): void;
  /** Starts (idempotent). */
  start(): Promise<void>;
  /** Stops (idempotent). */
  stop(): Promise<void>;
}

/**
 * A community class the host can build: its constructor parameters carry `@inject` tokens, and its
 * static `requires` lists the communities it injects (see {@link Community.requires}), which
 * {@link OverlayHost.register} checks are registered first.
 */
export type CommunityClass<C extends OverlayCommunity = OverlayCommunity> = (new (...args: never[]) => C) & {
  /** Communities this one injects, each registered on the same host before it. @default [] */
  readonly requires?: readonly CommunityClass[];
};
