/**
 * The settings, counters and allocation of a {@link RelayClient}.
 * @module
 */
import type { Address } from '../endpoint/address.js';
import type { Random } from '../random/random.js';
import type { Clock } from '../time/clock.js';

/** Options of a {@link RelayClient}. */
export interface RelayClientOptions {
  /**
   * How often a held allocation is refreshed, in ms: inside the relay's lifetime (60 s) and Linux
   * conntrack's 30 s timeout for a UDP flow that has seen no reply, so the NAT mapping toward the relay stays.
   * @default 25_000
   */
  refreshIntervalMs?: number;
  /** A request not answered in this long is sent again, in ms. @default 2_000 */
  requestTimeoutMs?: number;
  /** Sends of an ALLOCATE before {@link RelayClient.allocate} gives up. @default 3 */
  requestAttempts?: number;
  /**
   * A peer whose last datagram came through the relay is answered through it for this long, in ms: a
   * little below the relay's 300 s permission lifetime, since the relay refuses to send to the peer after
   * that (and a direct send to a peer behind a NAT would be filtered anyway). A datagram from the peer
   * straight to this node ends it earlier: it is answered directly from then on. @default 270_000
   */
  relayedPeerTimeoutMs?: number;
  /** Relayed peers remembered; the one heard from least recently is forgotten first. @default 256 */
  maxRelayedPeers?: number;
}

/** What a {@link RelayClient} needs besides the endpoint it wraps. */
export interface RelayClientDeps {
  /** Times requests and refreshes. */
  clock: Clock;
  /** Draws request ids. */
  random: Random;
}

/** An allocation held on a relay. */
export interface RelayAllocation {
  /** The relay's own address, where the client sends. */
  readonly relay: Address;
  /** The relayed address peers send to: the relay's host and the port it opened for this client. */
  readonly address: Address;
}

/** Counters of a {@link RelayClient}. */
export interface RelayClientStats {
  /** Allocations obtained (a relay that lost one and gave a new port counts again). */
  allocations: number;
  /** Allocations lost: unrefreshed for the relay's lifetime, or refused on refresh. */
  losses: number;
  /** Refreshes the relay confirmed. */
  refreshes: number;
  /** Datagrams sent through the relay. */
  packetsRelayedOut: number;
  /** Payload bytes sent through the relay. */
  bytesRelayedOut: number;
  /** Datagrams received through the relay. */
  packetsRelayedIn: number;
  /** Payload bytes received through the relay. */
  bytesRelayedIn: number;
  /** Relay answers and data from an address that is not our relay, or for no request of ours: dropped. */
  unexpected: number;
}
