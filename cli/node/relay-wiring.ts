/**
 * How a `peerlay node` decides to hold a relay allocation and what it does with one: while the DHT's NAT
 * status says the node is behind a NAT (cone or symmetric), a {@link RelayKeeper} keeps one allocation on a
 * public node that volunteers (`peerlay node --relay`), trying the bootstrap nodes first, then routing-table
 * contacts; the relayed address is announced with the node's discovery record, so a requester whose
 * punctures cannot get through (a symmetric NAT on either side) reaches the node there (path `relayed`).
 * @module
 */
import type { Address, Clock, RelayAllocator } from '../../framework/index.js';
import { addressKey, RelayKeeper } from '../../framework/index.js';
import type { NatStatus } from '../../communities/dht/index.js';

/** What the wiring reads of the DHT: its NAT verdict and its change event, and its contacts. */
export interface RelayWiringDht {
  /** The NAT verdict and its change event. */
  readonly nat: {
    readonly status: NatStatus;
    on(event: 'nat:changed', fn: (status: NatStatus) => void): unknown;
    off(event: 'nat:changed', fn: (status: NatStatus) => void): unknown;
  };
  /** The routing table's contacts. */
  readonly routingTable: { contacts(): ReadonlyArray<{ readonly address: Address }> };
}

/** Where the wiring announces the relayed address. */
export interface RelayWiringDiscovery {
  /** Announces (or withdraws, with `undefined`) the relayed address with our record. */
  setRelayAddress(address: Address | undefined): void;
}

/** A running relay wiring; {@link RelayWiring.stop} releases the allocation. */
export interface RelayWiring {
  /** The keeper (its `stats` count rounds, tries and allocations). */
  readonly keeper: RelayKeeper;
  /** Stops the keeper and releases the allocation. Idempotent. */
  stop(): void;
}

/**
 * Starts keeping a relay allocation while the node is behind a NAT and announcing it.
 * @param client the node's relay client.
 * @param clock the node's clock.
 * @param dht the node's DHT (NAT verdict, contacts).
 * @param discovery the node's DHT discovery community.
 * @param bootstrap the addresses the node joined through: asked first (start them with `--relay`).
 */
export function startRelayWiring(client: RelayAllocator, clock: Clock, dht: RelayWiringDht, discovery: RelayWiringDiscovery, bootstrap: readonly Address[]): RelayWiring {
  const keeper = new RelayKeeper(client, clock, {
    needsRelay: () => dht.nat.status.behindNat,
    candidates: () => relayCandidates(bootstrap, dht.routingTable.contacts()),
    onAllocation: (address) => discovery.setRelayAddress(address),
  });
  const onChange = (): void => keeper.check();
  dht.nat.on('nat:changed', onChange);
  keeper.start();
  let stopped = false;
  return {
    keeper,
    stop: () => {
      if (stopped) return;
      stopped = true;
      dht.nat.off('nat:changed', onChange);
      keeper.stop();
    },
  };
}

/** The bootstrap addresses first, then every contact's address, each once. */
export function relayCandidates(bootstrap: readonly Address[], contacts: ReadonlyArray<{ readonly address: Address }>): Address[] {
  const seen = new Set<string>();
  const out: Address[] = [];
  for (const address of [...bootstrap, ...contacts.map((c) => c.address)]) {
    const key = addressKey(address);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(address);
  }
  return out;
}
