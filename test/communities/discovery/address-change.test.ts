/**
 * A peer whose address changes (a new IP or NAT mapping) re-announces from the new address at its next
 * keepalive tick, and is then found there.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { addressKey } from '../../../framework/index.js';
import type { Address, MemoryEndpoint } from '../../../framework/index.js';
import { discoveryNet, stopAndDrain } from './discovery-net.js';
import type { DiscoveryNet, DiscoveryNode } from './discovery-net.js';

const NODES = 80;
const KEEPALIVE_MS = 10_000;
const NEW_ADDRESS: Address = { host: '10.20.30.40', port: 4_242 };

/** Nodes holding a record for `target`, with the addresses they hold. */
function holders(net: DiscoveryNet, target: DiscoveryNode): string[][] {
  return net.nodes
    .map((n) => n.discovery.records.get(target.host.midHex).map((r) => addressKey(r.address)))
    .filter((list) => list.length > 0);
}

describe('DHTDiscoveryCommunity: a peer that changed address', () => {
  it('is found at its new address after its next keepalive tick, by a fresh requester and by one that knew the old address', async () => {
    const started = performance.now();
    const net = await discoveryNet(NODES, 41, { discovery: { keepaliveIntervalMs: KEEPALIVE_MS } });
    await net.clock.advance(15_000);
    const [mover, knewOld, fresh] = [net.nodes[20]!, net.nodes[55]!, net.nodes[70]!];
    const mid = mover.host.key.publicKey.mid;
    const oldAddress = addressKey(mover.host.endpoint.address);

    // One requester connects before the move and learns the old address.
    const [before] = await net.clock.settle(knewOld.discovery.connectPeer(mid));
    expect(addressKey(before!.address)).toBe(oldAddress);

    (mover.host.endpoint as MemoryEndpoint).setAddress(NEW_ADDRESS);
    expect(addressKey(mover.host.endpoint.address)).toBe(addressKey(NEW_ADDRESS));
    await net.clock.advance(KEEPALIVE_MS + 2_000);

    // The re-announcement from the new address landed on enough storers, each issued a token for it.
    expect(mover.discovery.announcer.storers.size).toBeGreaterThanOrEqual(mover.discovery.settings.minStorers);
    const held = holders(net, mover);
    expect(held.filter((list) => list[0] === addressKey(NEW_ADDRESS)).length).toBeGreaterThanOrEqual(mover.discovery.settings.minStorers);

    const [found] = await net.clock.settle(fresh.discovery.connectPeer(mid));
    expect(found!.midHex).toBe(mover.host.midHex);
    expect(addressKey(found!.address)).toBe(addressKey(NEW_ADDRESS));

    // The old address's records fall silent and are swept; only the new one remains.
    await net.clock.advance(mover.discovery.settings.recordSilenceMs + KEEPALIVE_MS);
    const after = holders(net, mover);
    expect(after.length).toBeGreaterThanOrEqual(mover.discovery.settings.minStorers);
    for (const list of after) expect(list).toEqual([addressKey(NEW_ADDRESS)]);

    // A requester that knew the old address searches again once it last verified the peer more than
    // recordSilenceMs ago, and gets the new one. (It may well have had signed packets from the mover's new
    // address meanwhile, e.g. keepalives if it is one of the mover's storers: those do not count.)
    const [again] = await net.clock.settle(knewOld.discovery.connectPeer(mid));
    expect(again).toBe(before); // the same Peer object, updated in place
    expect(addressKey(again!.address)).toBe(addressKey(NEW_ADDRESS));

    expect(net.listenerErrors).toEqual([]);
    expect(await stopAndDrain(net)).toBe(0);
    console.log(`address-change: ${Math.round(performance.now() - started)} ms wall`);
  }, 180_000);
});
