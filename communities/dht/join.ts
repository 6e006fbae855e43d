/**
 * Kademlia's join: ping the bootstrap nodes (in rounds on a backoff until one answers, see
 * `join-pings.ts`), look up our own id so the nodes near us learn about us, then refresh every bucket
 * farther than our closest neighbours. Without the last step the far buckets stay
 * nearly empty and lookups toward other regions can end at a local minimum until the first refresh.
 *
 * The join costs O(log N) lookups (one per far bucket, and our own bucket never needs one: the self lookup
 * fills it), and a refresh lookup ends as soon as its bucket holds k contacts: filling the bucket is its
 * purpose, and each node that answers a query inside the range enters the table.
 * @module
 */
import type { Address } from '../../framework/index.js';
import type { DHTCommunity } from './dht-community.js';
import { JOIN_PING_ROUNDS, pingUntilAnswered } from './join-pings.js';
import { randomIdInRange } from './routing/node-id.js';

/** What a join needs of its DHT. */
export type JoinHost = Pick<DHTCommunity, 'sendRequest' | 'requests' | 'routingTable' | 'isRunning' | 'context' | 'settings' | 'nodeId' | 'lookup' | 'after' | 'cancel'>;

/** Options of {@link joinNetworkReport}. */
export interface JoinOptions {
  /** Cancels the join. */
  readonly signal?: AbortSignal;
  /**
   * Most ping rounds to the bootstrap addresses before giving up (each round pings every address once, on
   * `JOIN_PING_BACKOFF`: about 0, 0.3, 0.7, 1.3, 2.1, 3.3, 4.9, 7.1, 10.3, 14.7 s). @default JOIN_PING_ROUNDS (10)
   */
  readonly rounds?: number;
}

/** What a join did; see {@link joinNetworkReport}. */
export interface JoinReport {
  /** Routing table size after the join. */
  readonly contacts: number;
  /** Ping rounds sent to the bootstrap addresses (1 when the first round was answered). */
  readonly pingRounds: number;
  /** Lookups started: the self lookup plus the bucket refreshes (0 when no bootstrap node answered). */
  readonly lookups: number;
  /** Far buckets refreshed. */
  readonly refreshed: number;
  /** Far buckets left out because they were already full. */
  readonly full: number;
  /** Refresh lookups that ended early because their bucket filled up before they converged. */
  readonly stoppedEarly: number;
}

/**
 * Joins `dht` to the network through `addresses`.
 * @returns the routing table size afterwards.
 */
export async function joinNetwork(dht: JoinHost, addresses: readonly Address[], signal?: AbortSignal, rounds?: number): Promise<number> {
  return (await joinNetworkReport(dht, addresses, { signal, rounds })).contacts;
}

/**
 * {@link joinNetwork} with a report of the pings and lookups it ran (for tests and benchmarks).
 * @returns see {@link JoinReport}.
 */
export async function joinNetworkReport(dht: JoinHost, addresses: readonly Address[], options: JoinOptions | AbortSignal = {}): Promise<JoinReport> {
  const { signal, rounds = JOIN_PING_ROUNDS } = options instanceof AbortSignal ? { signal: options } : options;
  const pings = await pingUntilAnswered(dht, addresses, rounds, signal);
  const pingRounds = pings.rounds;
  if (dht.routingTable.size === 0) return { contacts: 0, pingRounds, lookups: 0, refreshed: 0, full: 0, stoppedEarly: 0 };
  const k = dht.settings.bucketSize;
  await dht.lookup(dht.nodeId, false, { signal, kind: 'join' }).catch(() => undefined);
  // Every bucket but the one holding our own id that is not yet full, with a random target in its range.
  let full = 0;
  let stoppedEarly = 0;
  const far: Array<{ prefix: Uint8Array; depth: number }> = [];
  for (const b of dht.routingTable.buckets()) {
    if (b.containsSelf) continue;
    if (b.contacts.length >= k) full++;
    else far.push(b);
  }
  await Promise.allSettled(
    far.map(async (b) => {
      const target = randomIdInRange(dht.context.random, b.prefix, b.depth);
      // A far bucket of depth d holds the ids sharing exactly d - 1 leading bits with ours.
      let filled = false;
      // The bucket stays a far one (only our own bucket splits), so its load is that count.
      const bucketFull = (): boolean => (filled ||= dht.routingTable.bucketLoad(target) >= k);
      await dht.lookup(target, false, { signal, isDone: bucketFull, kind: 'join' });
      if (filled) stoppedEarly++;
      dht.routingTable.markRefreshed(target);
    }),
  );
  return { contacts: dht.routingTable.size, pingRounds, lookups: 1 + far.length, refreshed: far.length, full, stoppedEarly };
}
