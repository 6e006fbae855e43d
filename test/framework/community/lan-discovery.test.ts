/**
 * Issue #17: introductions carry LAN and WAN addresses (py-ipv8's `lan_introduction_address` and
 * `wan_introduction_address`). The message handling, with hand-made peers whose claimed LAN addresses
 * differ from where their packets come from; and a claimed LAN address never makes a node send more than
 * one rate-limited puncture per request.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { PingPongCommunity } from '../../../docs/examples/ping-pong.js';
import {
  IntroductionRequest,
  IntroductionResponse,
  ManualClock,
  MemoryNetwork,
  OverlayHost,
  PrivateKey,
  Puncture,
  PunctureRequest,
  SeededRandom,
  addressKey,
  decodeBody,
  encodePacket,
  makePrefix,
  parseAddress,
  splitSignedEnvelope,
} from '../../../framework/index.js';
import type { Address, MemoryEndpoint, MessageSpec } from '../../../framework/index.js';

const QUIET = { discovery: { walk: false, churn: false } };

interface Net {
  clock: ManualClock;
  network: MemoryNetwork;
  host(address: string, bootstrap?: Address[]): Promise<OverlayHost>;
  raw(address: string): Promise<RawPeer>;
}

/** A peer made by hand: sends signed framework messages to one community and keeps what it receives. */
interface RawPeer {
  endpoint: MemoryEndpoint;
  address: Address;
  send<T>(to: Address, spec: MessageSpec<T>, body: T): void;
  received<T>(spec: MessageSpec<T>): Array<{ from: Address; value: T }>;
  /** Datagrams received, of any kind. */
  count(): number;
}

function makeNet(seed: number): Net {
  const clock = new ManualClock();
  const random = new SeededRandom(seed);
  const network = new MemoryNetwork(clock, random, { latencyMs: 5 });
  const prefix = makePrefix(PingPongCommunity.ID);
  return {
    clock,
    network,
    async host(address, bootstrap = []) {
      const nodeRandom = new SeededRandom(random.int(2 ** 31));
      const host = new OverlayHost({ endpoint: network.createEndpoint(parseAddress(address)), key: PrivateKey.generate(nodeRandom), clock, random: nodeRandom, bootstrap });
      host.register(PingPongCommunity, QUIET);
      await host.start();
      return host;
    },
    async raw(address) {
      const p = prefix;
      const endpoint = network.createEndpoint(parseAddress(address));
      await endpoint.open();
      const key = PrivateKey.generate(new SeededRandom(random.int(2 ** 31)));
      const inbox: Array<{ from: Address; id: number; body: Uint8Array }> = [];
      let count = 0;
      endpoint.addListener((data, from) => {
        count++;
        const env = splitSignedEnvelope(data);
        if (env !== undefined) inbox.push({ from, id: env.header.messageId, body: env.body.slice() });
      });
      return {
        endpoint,
        address: endpoint.address,
        send: (to, spec, body) => endpoint.send(to, encodePacket(p, spec, body, { publicKeyBinary: key.publicKey.toBinary(), sign: (m) => key.sign(m) })),
        received: <T>(spec: MessageSpec<T>) =>
          inbox
            .filter((m) => m.id === spec.id)
            .map((m) => {
              const r = decodeBody(spec.schema, m.body);
              if (!r.ok) throw new Error(`bad ${spec.name}: ${r.reason}`);
              return { from: m.from, value: r.value };
            }),
        count: () => count,
      };
    },
  };
}

const a = parseAddress;

describe('introductions with LAN and WAN addresses', () => {
  it('the responder keeps the LAN address a peer claims and introduces it with both addresses; the puncture goes to the LAN only on one public IP', async () => {
    const net = makeNet(1);
    const introducer = await net.host('198.18.1.1:7000');
    const community = introducer.get(PingPongCommunity);
    const to = introducer.endpoint.address;
    // P and R come from one public IP (one NAT), S from another.
    const p = await net.raw('198.18.50.1:40001');
    const r = await net.raw('198.18.50.1:40002');
    const s = await net.raw('198.18.60.1:7000');
    p.send(to, IntroductionRequest, { identifier: 1n, destination: to, sourceLan: a('10.0.0.5:7000') });
    await net.clock.advance(20);
    const known = community.peers.getByAddress(p.address);
    expect(known?.lanAddress).toEqual(a('10.0.0.5:7000'));
    expect(known?.address).toEqual(p.address);

    r.send(to, IntroductionRequest, { identifier: 2n, destination: to, sourceLan: a('10.0.0.6:7000') });
    await net.clock.advance(20);
    const [forR] = r.received(IntroductionResponse);
    expect(forR?.value).toEqual({ identifier: 2n, destination: r.address, introduced: p.address, introducedLan: a('10.0.0.5:7000') });
    const [askP] = p.received(PunctureRequest);
    expect(askP?.value).toEqual({ identifier: 2n, target: r.address, targetLan: a('10.0.0.6:7000') });

    // S is elsewhere: introduced to P (or R) with both addresses, but the puncture request names only its WAN address.
    s.send(to, IntroductionRequest, { identifier: 3n, destination: to, sourceLan: a('192.168.1.9:7000') });
    await net.clock.advance(20);
    const [forS] = s.received(IntroductionResponse);
    expect(forS?.value.introduced?.host).toBe('198.18.50.1');
    expect([a('10.0.0.5:7000'), a('10.0.0.6:7000')]).toContainEqual(forS?.value.introducedLan);
    const asked = [...p.received(PunctureRequest), ...r.received(PunctureRequest)].filter((m) => m.value.identifier === 3n);
    expect(asked.map((m) => m.value)).toEqual([{ identifier: 3n, target: s.address, targetLan: undefined }]);
    // An unusable claim (unspecified host) is not kept.
    const u = await net.raw('198.18.70.1:7000');
    u.send(to, IntroductionRequest, { identifier: 4n, destination: to, sourceLan: a('0.0.0.0:7000') });
    await net.clock.advance(20);
    expect(community.peers.getByAddress(u.address)?.lanAddress).toBeUndefined();
    await introducer.stop();
  });

  it('the requester walks to the LAN address when the introduced peer shares its public IP, else to the WAN address', async () => {
    for (const [introducedHost, expected] of [
      ['198.18.50.1', '10.0.0.5:7000'],
      ['198.18.99.1', '198.18.99.1:40001'],
    ] as const) {
      const net = makeNet(2);
      const introducer = await net.raw('198.18.1.1:7000');
      const host = await net.host('198.18.50.7:7000', [introducer.address]);
      await net.clock.advance(20); // the host's first walk reached the introducer
      const [request] = introducer.received(IntroductionRequest);
      expect(request?.value.sourceLan).toEqual(host.endpoint.address);
      // The introducer saw the host at 198.18.50.1:40002 (behind a NAT) and introduces a peer.
      introducer.send(host.endpoint.address, IntroductionResponse, {
        identifier: request!.value.identifier,
        destination: a('198.18.50.1:40002'),
        introduced: a(`${introducedHost}:40001`),
        introducedLan: a('10.0.0.5:7000'),
      });
      await net.clock.advance(20);
      const discovery = host.get(PingPongCommunity).discovery;
      expect(discovery.externalAddress).toEqual(a('198.18.50.1:40002'));
      const peers = host.get(PingPongCommunity).peers;
      expect(peers.walkableCount).toBe(1);
      expect(addressKey(peers.takeWalkable(new SeededRandom(1))!)).toBe(expected);
      expect(discovery.lanStats.walkedLan).toBe(expected.startsWith('10.') ? 1 : 0);
      await host.stop();
    }
  });

  it('a claimed LAN address elsewhere gets no puncture, and on our public IP at most one rate-limited puncture per request', async () => {
    const net = makeNet(3);
    const introducer = await net.host('198.18.1.1:7000');
    const peer = await net.host('198.18.50.1:7000', [introducer.endpoint.address]);
    await net.clock.advance(50);
    const discovery = peer.get(PingPongCommunity).discovery;
    expect(discovery.externalAddress).toEqual(peer.endpoint.address);
    const victim = await net.raw('198.18.80.1:7000');
    const attacker = await net.raw('198.18.90.1:7000');
    const to = peer.endpoint.address;
    // The attacker becomes a verified peer of `peer`, claiming the victim as its LAN address.
    attacker.send(to, IntroductionRequest, { identifier: 1n, destination: to, sourceLan: victim.address });
    await net.clock.advance(20);
    expect(peer.get(PingPongCommunity).peers.getByAddress(attacker.address)).toBeDefined();
    // The introducer answers the attacker's introduction with one packet to it and one puncture request to `peer`: nothing to the victim.
    attacker.send(introducer.endpoint.address, IntroductionRequest, { identifier: 2n, destination: introducer.endpoint.address, sourceLan: victim.address });
    await net.clock.advance(50);
    expect(victim.count()).toBe(0);

    // Target elsewhere: the puncture goes to the target's WAN address, never to the claimed LAN address.
    for (let i = 0; i < 5; i++) attacker.send(to, PunctureRequest, { identifier: BigInt(10 + i), target: attacker.address, targetLan: victim.address });
    await net.clock.advance(50);
    expect(victim.count()).toBe(0);
    expect(attacker.received(Puncture).filter((m) => m.value.identifier >= 10n && m.value.identifier < 15n).length).toBe(5);

    // Target on our public IP: one puncture per request to the LAN address, within punctureRatePerSecond (10/s, burst 20).
    const sameIp = a('198.18.50.1:7001');
    for (let t = 0; t < 10; t++) {
      for (let i = 0; i < 10; i++) attacker.send(to, PunctureRequest, { identifier: BigInt(100 + t * 10 + i), target: sameIp, targetLan: victim.address });
      await net.clock.advance(100);
    }
    // 100 requests over 1 s: the burst of 20 and 10 more.
    expect(victim.count()).toBeGreaterThanOrEqual(20);
    expect(victim.count()).toBeLessThanOrEqual(31);
    expect(victim.received(Puncture).every((m) => sameAddressKey(m.from, to))).toBe(true);
    expect(discovery.lanStats.puncturedLan).toBe(victim.count());
    await peer.stop();
    await introducer.stop();
  });
});

describe('two peers behind one NAT without hairpinning (MemoryNetwork NAT model)', () => {
  for (const mapping of ['endpoint-independent', 'address-and-port-dependent'] as const) {
    it(`meet over their LAN through a public introducer (${mapping} mapping)`, async () => {
      const clock = new ManualClock();
      const random = new SeededRandom(17);
      const network = new MemoryNetwork(clock, random, { latencyMs: 10 });
      const nat = network.createNat({ mapping, hairpin: false });
      const start = async (endpoint: MemoryEndpoint, bootstrap: Address[]): Promise<OverlayHost> => {
        const nodeRandom = new SeededRandom(random.int(2 ** 31));
        const host = new OverlayHost({ endpoint, key: PrivateKey.generate(nodeRandom), clock, random: nodeRandom, bootstrap });
        host.register(PingPongCommunity);
        await host.start();
        return host;
      };
      const introducer = await start(network.createEndpoint(parseAddress('198.18.1.1:7000')), []);
      const x = await start(network.createEndpoint(undefined, { behind: nat }), [introducer.endpoint.address]);
      const y = await start(network.createEndpoint(undefined, { behind: nat }), [introducer.endpoint.address]);
      expect(x.endpoint.address.host.startsWith('10.')).toBe(true);
      const px = x.get(PingPongCommunity);
      const py = y.get(PingPongCommunity);
      const met = await clock.runUntil(() => px.peers.getByMid(y.midHex) !== undefined && py.peers.getByMid(x.midHex) !== undefined, 10_000, 100);
      expect(met).toBe(true);
      // Each knows the other at its LAN address: the only path, since the NAT drops hairpinned packets.
      expect(px.peers.getByMid(y.midHex)?.address).toEqual(y.endpoint.address);
      expect(py.peers.getByMid(x.midHex)?.address).toEqual(x.endpoint.address);
      expect(px.discovery.externalAddress?.host).toBe(nat.publicHost);
      expect(px.discovery.lanStats.walkedLan + py.discovery.lanStats.walkedLan).toBeGreaterThan(0);
      // They exchange messages directly.
      expect(await clock.settle(px.ping(y.endpoint.address, 'over the LAN'))).toBe('over the LAN');
      for (const h of [x, y, introducer]) await h.stop();
      await clock.advance(1_000);
      expect(clock.pendingTimers()).toBe(0);
    });
  }
});

function sameAddressKey(x: Address, y: Address): boolean {
  return addressKey(x) === addressKey(y);
}
