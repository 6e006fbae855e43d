/**
 * The settings and counters of a {@link RelayServer}.
 * @module
 */
import type { Endpoint } from '../endpoint/endpoint.js';
import { InvalidArgumentError } from '../errors.js';
import type { Random } from '../random/random.js';
import type { Clock } from '../time/clock.js';
import { positiveInteger } from '../util/positive.js';

/** Limits of a {@link RelayServer}; every one bounds what a volunteer gives away. */
export interface RelayServerOptions {
  /** Allocations held at once. @default 64 */
  maxAllocations?: number;
  /** Allocations held at once for one source IP. @default 2 */
  maxAllocationsPerIp?: number;
  /** An allocation not refreshed for this long is closed with its port, in ms. @default 60_000 */
  allocationLifetimeMs?: number;
  /** A peer may be sent to through an allocation this long after it last sent to it, in ms. @default 300_000 */
  permissionLifetimeMs?: number;
  /** Peers with a permission on one allocation at once; a new peer beyond is dropped. @default 64 */
  maxPeersPerAllocation?: number;
  /** Relayed payload bytes per second between one allocation and one peer, both ways together. @default 65_536 */
  pairBytesPerSecond?: number;
  /** Relayed payload bytes per second of one allocation, all its peers and both ways together. @default 131_072 */
  allocationBytesPerSecond?: number;
  /** Relayed payload bytes per second of the whole relay. @default 1_048_576 */
  totalBytesPerSecond?: number;
  /**
   * Challenges sent per second, in all (burst the same): an ALLOCATE can come from a spoofed address, so
   * this bounds what the relay sends to addresses that never proved themselves. @default 200
   */
  challengesPerSecond?: number;
}

/** Why the relay dropped a datagram. */
export type RelayDropReason =
  | 'malformed'
  | 'challenge-limit'
  | 'no-allocation'
  | 'no-permission'
  | 'too-many-peers'
  | 'oversized'
  | 'pair-bandwidth'
  | 'allocation-bandwidth'
  | 'total-bandwidth'
  | 'ip-limit'
  | 'full'
  | 'open-failed'
  | 'send-failed';

/** Counters of a {@link RelayServer}. */
export interface RelayServerStats {
  /** Allocations held now. */
  allocations: number;
  /** Allocations made. */
  allocationsCreated: number;
  /** Allocations closed because their client stopped refreshing them. */
  allocationsExpired: number;
  /** Allocations closed because their client released them. */
  allocationsReleased: number;
  /** Challenges sent (an ALLOCATE without a valid cookie). */
  challenges: number;
  /** Datagrams relayed from peers to clients. */
  packetsToClient: number;
  /** Payload bytes relayed from peers to clients. */
  bytesToClient: number;
  /** Datagrams relayed from clients to peers. */
  packetsToPeer: number;
  /** Payload bytes relayed from clients to peers. */
  bytesToPeer: number;
  /** Datagrams dropped, by reason (refused allocations are counted as `ip-limit`, `full`, `open-failed`). */
  dropped: Record<RelayDropReason, number>;
}

/** What a {@link RelayServer} needs besides the endpoint it wraps. */
export interface RelayServerDeps {
  /** Times allocations and refills the byte buckets. */
  clock: Clock;
  /** Draws the cookie secret. */
  random: Random;
  /**
   * Makes the endpoint of a new allocation, on the same host as the wrapped one (a new `UdpEndpoint` on
   * port 0; on a `MemoryNetwork`, `net.createEndpoint({ host, port })`). The server opens and closes it; its
   * port is the relayed port, and its `maxPacketBytes` bounds what a client may send through it.
   */
  createEndpoint: () => Endpoint;
}

/** Every {@link RelayDropReason}, in the order of {@link RelayServerStats.dropped}. */
export const DROP_REASONS: readonly RelayDropReason[] = [
  'malformed',
  'challenge-limit',
  'no-allocation',
  'no-permission',
  'too-many-peers',
  'oversized',
  'pair-bandwidth',
  'allocation-bandwidth',
  'total-bandwidth',
  'ip-limit',
  'full',
  'open-failed',
  'send-failed',
];

/**
 * `value` if it is a positive integer.
 * @throws {@link InvalidArgumentError} naming `owner` and `name` otherwise.
 */
export function positiveSetting(owner: string, name: string, value: number): number {
  return positiveInteger(value, `${owner} ${name}`);
}
