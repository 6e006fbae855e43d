/**
 * The DHT's NAT status end to end on the in-memory network: ping responses carry `observed`, a node
 * learns its public address within a few seconds of joining (public, behind a cone NAT, behind a
 * symmetric NAT), probing stays bounded, and a stopped node leaves no timer behind.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../../communities/dht/index.js';
import { Ping } from '../../../communities/dht/messages.js';
import { MAX_NAT_PROBES_PER_ROUND, NAT_CONFIRM_AFTER_MS, NAT_PROBE_INTERVAL_MS, NAT_PROBES_PER_ROUND } from '../../../communities/dht/nat-probe.js';
import type { NatStatus } from '../../../communities/dht/nat-status.js';
import { OverlayHost, PrivateKey, SeededRandom } from '../../../framework/index.js';
import type { MemoryNatOptions } from '../../../framework/index.js';
import { dhtNet } from '../../helpers/dht-net.js';
import type { DhtNet } from '../../helpers/dht-net.js';

/** Probe pings sent by `dht` (read through its private probe, for the bounds). */
const probesSent = (dht: DHTCommunity): number => (dht as unknown as { natProbe: { probesSent: number } }).natProbe.probesSent;

/**
 * Starts one more node behind a new NAT of `options` (or public without), bootstrapping from node 0, and
 * returns it with when its first verdict came, in ms after its start.
 */
async function join(net: DhtNet, options?: MemoryNatOptions): Promise<{ dht: DHTCommunity; host: OverlayHost; verdictAfterMs: () => number | undefined }> {
  const nat = options === undefined ? undefined : net.network.createNat(options);
  const random = new SeededRandom(net.random.int(2 ** 31));
  const host = new OverlayHost({
    endpoint: nat === undefined ? net.network.createEndpoint() : net.network.createEndpoint(undefined, { behind: nat }),
    key: PrivateKey.generate(random),
    clock: net.clock,
    random,
    bootstrap: [net.hosts[0]!.endpoint.address],
  });
  const dht = host.register(DHTCommunity);
  const started = net.clock.now();
  let verdictAt: number | undefined;
  dht.nat.on('nat:changed', (s: NatStatus) => {
    if (s.mapping !== 'unknown') verdictAt ??= net.clock.now();
  });
  await host.start();
  net.hosts.push(host);
  await net.clock.settle(dht.bootstrap());
  await net.clock.advance(100);
  return { dht, host, verdictAfterMs: () => (verdictAt === undefined ? undefined : verdictAt - started) };
}

describe('ping responses say where the request came from', () => {
  it('a DHT ping answer carries the address the responder saw (our own, without a NAT)', async () => {
    const net = await dhtNet(3, 41);
    const [a, b] = net.dhts as [DHTCommunity, DHTCommunity];
    const answer = await net.clock.settle(a.request({ address: b.context.transport.localAddress }, Ping, {}));
    expect(answer.value.observed).toEqual(a.context.transport.localAddress);
    expect(await net.stopAndDrain()).toBe(0);
  });
});

describe('a node learns its public address and NAT mapping from its pings', () => {
  it("a public node says 'none' with its own address, within 2 s of starting, after a few probe pings", async () => {
    const net = await dhtNet(8, 42);
    const { dht, host, verdictAfterMs } = await join(net);
    expect(dht.nat.status).toMatchObject({ mapping: 'none', behindNat: false, publicAddress: host.endpoint.address, publicHost: host.endpoint.address.host });
    expect(dht.nat.status.groups).toBeGreaterThanOrEqual(2);
    expect(verdictAfterMs()).toBeLessThanOrEqual(2_000);
    expect(probesSent(dht)).toBeLessThanOrEqual(MAX_NAT_PROBES_PER_ROUND);
    // every node of the network reached a verdict too (node 0 from the answers to its verification pings)
    for (const d of net.dhts) expect(d.nat.status.mapping, `node ${d.context.transport.localAddress.host}`).toBe('none');
    expect(await net.stopAndDrain()).toBe(0);
  });

  it("behind a cone NAT: 'endpoint-independent' at the NAT's public address", async () => {
    const net = await dhtNet(8, 43);
    const { dht, host, verdictAfterMs } = await join(net, { mapping: 'endpoint-independent' });
    const status = dht.nat.status;
    expect(host.endpoint.address.host).toBe('10.0.0.2');
    expect(status).toMatchObject({ mapping: 'endpoint-independent', behindNat: true });
    expect(status.publicAddress?.host).toBe(status.publicHost);
    expect(status.publicHost).not.toBe('10.0.0.2');
    expect(verdictAfterMs()).toBeLessThanOrEqual(2_000);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it("behind a symmetric NAT: 'address-dependent', the public IP known but no public port", async () => {
    const net = await dhtNet(8, 44);
    const { dht, verdictAfterMs } = await join(net, { mapping: 'address-and-port-dependent', publicHost: '198.18.250.1' });
    expect(dht.nat.status).toMatchObject({ mapping: 'address-dependent', behindNat: true, publicAddress: undefined, publicHost: '198.18.250.1' });
    expect(verdictAfterMs()).toBeLessThanOrEqual(2_000);
    expect(await net.stopAndDrain()).toBe(0);
  });
});

describe('probing stays bounded', () => {
  it('a known verdict never drops to unknown for want of news, and probes only when unconfirmed for 30 minutes', async () => {
    const net = await dhtNet(8, 45);
    const { dht } = await join(net);
    expect(dht.nat.status.mapping).toBe('none');
    const verdictAt = dht.nat.status.changedAt!;
    const mappings = new Set<string>();
    dht.nat.on('nat:changed', (s) => mappings.add(s.mapping));
    const before = probesSent(dht);
    const quietForAtProbe: number[] = []; // how long the verdict had gone without news when each probe left
    const ping = dht.ping.bind(dht);
    let counted = before;
    dht.ping = (to, signal) => {
      if (probesSent(dht) > counted) quietForAtProbe.push(net.clock.now() - dht.nat.status.updatedAt!); // the probe counts, then pings
      counted = probesSent(dht);
      return ping(to, signal);
    };
    await net.clock.advance(45 * 60_000);
    expect(mappings.size).toBe(0); // the verdict never changed
    expect(dht.nat.status).toMatchObject({ mapping: 'none', changedAt: verdictAt });
    // Probes only in rounds at least 30 minutes after the last observation (other pings' answers count too), 3 a round at most.
    expect(quietForAtProbe.length).toBe(probesSent(dht) - before);
    expect(quietForAtProbe.length).toBeLessThanOrEqual(NAT_PROBES_PER_ROUND);
    for (const quiet of quietForAtProbe) expect(quiet).toBeGreaterThanOrEqual(NAT_CONFIRM_AFTER_MS);
    expect(dht.nat.status.updatedAt).toBeGreaterThan(net.clock.now() - NAT_CONFIRM_AFTER_MS - NAT_PROBE_INTERVAL_MS);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('an unknown verdict probes only groups not heard from, at most 8 a round: a node with one contact sends none', async () => {
    const net = await dhtNet(1, 46);
    const { dht } = await join(net);
    expect(dht.nat.status).toMatchObject({ mapping: 'unknown', observations: 1 });
    await net.clock.advance(3 * NAT_PROBE_INTERVAL_MS);
    expect(probesSent(dht)).toBe(0); // its one contact's group has spoken: pinging it again says nothing new
    expect(MAX_NAT_PROBES_PER_ROUND).toBe(8);
    expect(await net.stopAndDrain()).toBe(0);
  });
});
