/**
 * Issue #17: a join that survives loss. The bootstrap pings go out in rounds on a jittered backoff until
 * one is answered, a node whose table runs empty rejoins at once, and a node whose bootstrap never answers
 * settles at about one ping a minute instead of flooding.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../../communities/dht/index.js';
import { JOIN_PING_BACKOFF, JOIN_PING_ROUNDS } from '../../../communities/dht/join-pings.js';
import { REJOIN_BACKOFF } from '../../../communities/dht/rejoin.js';
import { PingRequest } from '../../../communities/dht/messages.js';
import { addressKey, readHeader } from '../../../framework/index.js';
import type { Address } from '../../../framework/index.js';
import { maxAttemptsWithin, nominalDelayMs } from '../../../framework/time/backoff.js';
import { simNet } from '../../helpers/memory-nodes.js';

const SETTINGS = { maintenanceIntervalMs: 60_000, republishIntervalMs: 3_600_000 };

/** Counts the datagrams each address receives (wraps every host's endpoint send). */
function countSends(): { wrap(host: { endpoint: { send(to: Address, data: Uint8Array): void } }): void; to(address: Address): number } {
  const counts = new Map<string, number>();
  return {
    wrap(host) {
      const endpoint = host.endpoint;
      const send = endpoint.send.bind(endpoint);
      endpoint.send = (to, data) => {
        counts.set(addressKey(to), (counts.get(addressKey(to)) ?? 0) + 1);
        send(to, data);
      };
    },
    to: (address) => counts.get(addressKey(address)) ?? 0,
  };
}

describe('DHT join under loss', () => {
  // A node fails only if every exchange with the bootstrap node in its first 10 s is lost: 9 ping rounds
  // and the introduction request, each lost with probability 1 - 0.8^2 = 0.36, so about 1e-4 per node
  // and 0.6 % per run of 60 (seeds 1-31: 60/60 in all 31 runs).
  it('at 20 % loss, 60 of 60 fresh nodes have contacts within 10 s', { timeout: 60_000 }, async () => {
    const net = simNet(1, { latencyMs: 20, jitterMs: 10 });
    const boot = await net.addHost({ setup: (h) => h.register(DHTCommunity, SETTINGS) });
    const bootstrap = [boot.endpoint.address];
    for (let i = 0; i < 9; i++) {
      const h = await net.addHost({ bootstrap, setup: (x) => x.register(DHTCommunity, SETTINGS) });
      await net.clock.settle(h.get(DHTCommunity).bootstrap());
    }
    net.network.setLossRate(0.2);
    const fresh: DHTCommunity[] = [];
    for (let i = 0; i < 60; i++) {
      const h = await net.addHost({ bootstrap, setup: (x) => x.register(DHTCommunity, SETTINGS) });
      fresh.push(h.get(DHTCommunity));
    }
    const started = net.clock.now();
    await net.clock.advance(10_000);
    expect(net.clock.now() - started).toBe(10_000);
    const withContacts = fresh.filter((d) => d.routingTable.size > 0).length;
    expect(withContacts).toBe(60);
    // The loss was real: the network dropped about a fifth of what was sent.
    const { sent, dropped } = net.network.stats;
    expect(dropped / sent).toBeGreaterThan(0.15);
    expect(dropped / sent).toBeLessThan(0.25);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('a node whose bootstrap never answers pings it on the schedule only: at most the schedule over a minute, then about once a minute', { timeout: 30_000 }, async () => {
    const net = simNet(0x18);
    const silent = net.network.createEndpoint();
    await silent.open(); // receives, never answers
    let received = 0;
    silent.addListener(() => received++);
    const host = await net.addHost({ bootstrap: [silent.address], setup: (h) => h.register(DHTCommunity, SETTINGS) });
    const dht = host.get(DHTCommunity);

    await net.clock.advance(60_000);
    // The join: one introduction request (discovery's first walk) and up to JOIN_PING_ROUNDS pings, the
    // last at least the shortest join schedule after the first; then single-round rejoins on REJOIN_BACKOFF.
    let joinSpanMs = 0;
    for (let r = 0; r < JOIN_PING_ROUNDS - 1; r++) joinSpanMs += nominalDelayMs(JOIN_PING_BACKOFF, r) * (1 - JOIN_PING_BACKOFF.jitter) - 0.5;
    const rejoins = maxAttemptsWithin(REJOIN_BACKOFF, 60_000 - joinSpanMs) - 1;
    const bound = 1 + JOIN_PING_ROUNDS + rejoins;
    expect(received).toBeLessThanOrEqual(bound);
    expect(received).toBeGreaterThanOrEqual(1 + JOIN_PING_ROUNDS); // it did retry
    expect(bound).toBe(14); // 1 + 10 + 3: about one packet every 4 s in the first minute
    expect(dht.routingTable.size).toBe(0);

    // Four more minutes: no more than one ping per 48 s (60 s less its jitter).
    const before = received;
    await net.clock.advance(240_000);
    expect(received - before).toBeLessThanOrEqual(Math.floor(240_000 / (REJOIN_BACKOFF.maxDelayMs * (1 - REJOIN_BACKOFF.jitter))) + 1);
    expect(received - before).toBeGreaterThanOrEqual(3);
    expect(await net.stopAndDrain()).toBe(0);
    await silent.close();
  });

  it('a stop at any point of the rounds ends the join at once and leaves no timer; started again, the node joins', async () => {
    for (const stopAfterMs of [100, 700, 2_600, 5_000, 9_000, 13_000]) {
      const net = simNet(0x1b);
      const boot = await net.addHost({ setup: (h) => h.register(DHTCommunity, SETTINGS) });
      const silent = net.network.createEndpoint();
      await silent.open(); // never answers
      const host = await net.addHost({ bootstrap: [silent.address], setup: (h) => h.register(DHTCommunity, SETTINGS) });
      const dht = host.get(DHTCommunity);
      await net.clock.advance(stopAfterMs);
      let done = false;
      const joined = dht.bootstrap().finally(() => (done = true)); // the join start() began, still pinging
      expect(done).toBe(false);
      await host.stop();
      expect(await net.clock.runUntil(() => done, 100, 10)).toBe(true);
      expect(await joined).toBe(0);
      await boot.stop();
      await net.clock.advance(1_000);
      expect({ stopAfterMs, timers: net.clock.pendingTimers() }).toEqual({ stopAfterMs, timers: 0 });
      await boot.start();
      await host.start();
      expect(await net.clock.settle(dht.bootstrap([boot.endpoint.address]))).toBe(1);
      expect(await net.stopAndDrain()).toBe(0);
      await silent.close();
    }
  });

  it('the join pings are not held back by the bootstrap address\'s amplification credit (our own first contact)', async () => {
    const net = simNet(0x1c);
    const boot = net.network.createEndpoint();
    await boot.open();
    let pings = 0;
    let pinged = false;
    const host = await net.addHost({ setup: (h) => h.register(DHTCommunity, SETTINGS) });
    const dht = host.get(DHTCommunity);
    // The "bootstrap node" answers nothing, but once sends 184 bytes to the community (as the verification
    // ping of a new contact would): from then on its address has a credit of 3 x 184 bytes, 3 of our pings.
    boot.addListener((data, from) => {
      if (readHeader(data)?.messageId === PingRequest.id) pings++;
      if (pinged) return;
      pinged = true;
      const packet = new Uint8Array(184);
      packet.set(dht.prefix);
      packet[dht.prefix.length] = 200; // no such message: dropped, but credited to its source
      boot.send(from, packet);
    });
    await net.clock.settle(dht.bootstrap([boot.address]));
    expect(pinged).toBe(true);
    expect(pings).toBe(JOIN_PING_ROUNDS); // every round sent; 4 when metered (one before the credit, then 3)
    expect(await net.stopAndDrain()).toBe(0);
    await boot.close();
  });

  it('a join that reached a node and lost it while joining joins again at once', async () => {
    const net = simNet(0x1d);
    const boot = await net.addHost({ setup: (h) => h.register(DHTCommunity, SETTINGS) });
    const host = await net.addHost({ bootstrap: [boot.endpoint.address], setup: (h) => h.register(DHTCommunity, SETTINGS) });
    const dht = host.get(DHTCommunity);
    await net.clock.advance(11); // the first ping was answered (5 ms each way): the join's lookups run
    expect(dht.routingTable.size).toBe(1);
    // Everything between the two is lost for a second, and the node loses its one contact mid-join.
    const [a, b] = [host.endpoint.address, boot.endpoint.address];
    const down = { latencyMs: 5, jitterMs: 0, lossRate: 1 };
    net.network.setLinkOptions(a, b, down);
    net.network.setLinkOptions(b, a, down);
    for (const c of dht.routingTable.contacts()) dht.routingTable.remove(c.id);
    await net.clock.advance(989);
    net.network.setLinkOptions(a, b, undefined);
    net.network.setLinkOptions(b, a, undefined);
    // Joined again within the ping rounds of an immediate rejoin, not after REJOIN_BACKOFF's 8-12 s.
    expect(await net.clock.runUntil(() => dht.routingTable.size > 0, 3_000, 10)).toBe(true);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('a lost first ping is retried: the join finds its contact after a few rounds', async () => {
    const net = simNet(0x19);
    const boot = await net.addHost({ setup: (h) => h.register(DHTCommunity, SETTINGS) });
    // Everything from the joiner to the boot node is lost for the first 1.5 s.
    const host = await net.addHost({ setup: (h) => h.register(DHTCommunity, SETTINGS) });
    const dht = host.get(DHTCommunity);
    const counter = countSends();
    counter.wrap(host);
    net.network.setLinkOptions(host.endpoint.address, boot.endpoint.address, { latencyMs: 5, jitterMs: 0, lossRate: 1 });
    net.clock.setTimeout(() => net.network.setLinkOptions(host.endpoint.address, boot.endpoint.address, undefined), 1_500);
    const t0 = net.clock.now();
    const joined = dht.bootstrap([boot.endpoint.address]);
    const contacts = await net.clock.settle(joined);
    expect(contacts).toBe(1);
    // Rounds at about 0, 0.4 and 1 s were lost; the one at about 1.9 s got through.
    expect(counter.to(boot.endpoint.address)).toBeGreaterThanOrEqual(4);
    expect(net.clock.now() - t0).toBeLessThan(4_000);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('a node whose routing table runs empty rejoins at once, not at the next maintenance tick', async () => {
    const net = simNet(0x1a);
    const boot = await net.addHost({ setup: (h) => h.register(DHTCommunity, SETTINGS) });
    const host = await net.addHost({ bootstrap: [boot.endpoint.address], setup: (h) => h.register(DHTCommunity, SETTINGS) });
    const dht = host.get(DHTCommunity);
    await net.clock.settle(dht.bootstrap());
    expect(dht.routingTable.size).toBe(1);
    const counter = countSends();
    counter.wrap(host);
    for (const c of dht.routingTable.contacts()) dht.routingTable.remove(c.id);
    expect(dht.routingTable.size).toBe(0);
    expect(counter.to(boot.endpoint.address)).toBe(1); // the rejoin's first ping, sent at once
    await net.clock.advance(200);
    expect(dht.routingTable.size).toBe(1);
    expect(await net.stopAndDrain()).toBe(0);
  });
});
