/**
 * IP diversity in the routing table: at most 2 contacts per IP group (/24, /48) per bucket and 3 per
 * table, loopback and LAN exempt. The Sybil test runs with the defence on (the default) and off: off, the
 * Sybils fill the victim's table, so the test fails without the defence.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../../communities/dht/index.js';
import { RoutingTable, ipDiversityPolicy, ipGroup, ipGroupOf, isLocalAddress } from '../../../communities/dht/routing/index.js';
import type { DHTSettings } from '../../../communities/dht/index.js';
import { ManualClock, MemoryNetwork, OverlayHost, PrivateKey, SeededRandom } from '../../../framework/index.js';
import type { Address } from '../../../framework/index.js';

describe('IP groups', () => {
  it('groups IPv4 by /24 (IPv4-mapped too) and IPv6 by /48', () => {
    expect(ipGroup('203.0.113.7')).toBe('4/203.0.113');
    expect(ipGroup('203.0.113.250')).toBe(ipGroup('203.0.113.7'));
    expect(ipGroup('203.0.114.7')).not.toBe(ipGroup('203.0.113.7'));
    expect(ipGroup('::ffff:203.0.113.9')).toBe('4/203.0.113');
    expect(ipGroup('2001:db8:1::5')).toBe('6/2001:db8:1');
    expect(ipGroup('2001:db8:1:ffff::1')).toBe(ipGroup('2001:db8:1::5'));
    expect(ipGroup('2001:db8:2::5')).not.toBe(ipGroup('2001:db8:1::5'));
  });

  it('exempts loopback, private and link-local addresses only', () => {
    for (const host of ['127.0.0.1', '127.9.9.9', '10.1.2.3', '172.16.0.1', '172.31.255.1', '192.168.1.1', '169.254.3.4', '::1', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1']) {
      expect(isLocalAddress(host), host).toBe(true);
    }
    for (const host of ['8.8.8.8', '172.32.0.1', '198.18.0.1', '203.0.113.7', '2001:db8::1', '::ffff:8.8.8.8']) {
      expect(isLocalAddress(host), host).toBe(false);
    }
  });
});

describe('ipDiversityPolicy in a RoutingTable', () => {
  /** A table of 1-byte ids with our id 0x00, so the first bit of an id picks its bucket once split. */
  function table(options: Parameters<typeof ipDiversityPolicy>[0] = {}): { t: RoutingTable; rejected: string[] } {
    const rejected: string[] = [];
    let t: RoutingTable | undefined;
    const admit = ipDiversityPolicy({ ...options, onReject: (c, cap) => rejected.push(`${c.id[0]}:${cap}`) }, () => t!.contacts());
    t = new RoutingTable(Uint8Array.of(0), new ManualClock(), { bucketSize: 4, random: new SeededRandom(1), admit });
    return { t, rejected };
  }
  const at = (host: string): Address => ({ host, port: 1 });

  it('admits at most 2 of a /24 per bucket and 3 per table; other groups and exempt hosts still get in', () => {
    const { t, rejected } = table();
    // Fill the root bucket, then split it: far half 1xxxxxxx (0x80..0x84), near half 0xxxxxxx.
    for (const [id, host] of [[0x80, '203.0.113.1'], [0x81, '203.0.113.2'], [0x83, '198.51.100.1'], [0x84, '198.51.100.2'], [0x40, '198.51.100.3']] as const) {
      expect(t.add({ id: Uint8Array.of(id), address: at(host) }).status).toBe('added');
    }
    expect(t.buckets()).toHaveLength(2);
    expect(t.add({ id: Uint8Array.of(0x82), address: at('203.0.113.3') })).toEqual({ status: 'rejected', reason: 'policy' }); // 3rd in the bucket
    expect(t.add({ id: Uint8Array.of(0x20), address: at('203.0.113.4') }).status).toBe('added'); // other bucket, 3rd in the table
    expect(t.add({ id: Uint8Array.of(0x10), address: at('203.0.113.5') })).toEqual({ status: 'rejected', reason: 'policy' }); // 4th in the table
    expect(rejected).toEqual(['130:bucket', '16:table']);
    // A known contact is refreshed whatever the caps; loopback is exempt.
    expect(t.add({ id: Uint8Array.of(0x80), address: at('203.0.113.1') }).status).toBe('updated');
    for (const id of [0x21, 0x22, 0x11]) expect(t.add({ id: Uint8Array.of(id), address: at('127.0.0.1') }).status).toBe('added');
    expect(t.contacts().filter((c) => ipGroup(c.address.host) === '4/203.0.113')).toHaveLength(3);
  });

  it('a candidate for a full bucket skips the table-wide scan until it would be promoted, and is refused then', () => {
    const { t, rejected } = table();
    for (const [id, host] of [[0x80, '203.0.113.1'], [0x81, '198.51.100.1'], [0x82, '198.51.100.2'], [0x40, '203.0.113.2'], [0x20, '203.0.113.3'], [0x83, '192.0.2.1']] as const) {
      expect(t.add({ id: Uint8Array.of(id), address: at(host) }).status).toBe('added');
    }
    // The far bucket (1xxxxxxx) is full and holds one 203.0.113.x; the table holds three.
    expect(t.add({ id: Uint8Array.of(0x84), address: at('203.0.113.4') }).status).toBe('full');
    expect(rejected).toEqual([]);
    expect(t.remove(Uint8Array.of(0x81))).toBe(true); // a slot frees: the replacement is checked again
    expect(t.has(Uint8Array.of(0x84))).toBe(false);
    expect(rejected).toEqual(['132:table']);
    expect(t.contacts().filter((c) => ipGroup(c.address.host) === '4/203.0.113')).toHaveLength(3);
  });

  it('groups IPv6 by /48, honours custom caps and exemptions, and rejects bad caps', () => {
    const { t } = table({ maxPerBucket: 1, maxPerTable: 1, exempt: (h) => h === '203.0.113.9' });
    expect(t.add({ id: Uint8Array.of(0x80), address: at('2001:db8:1::1') }).status).toBe('added');
    expect(t.add({ id: Uint8Array.of(0x40), address: at('2001:db8:1:2::1') }).status).toBe('rejected');
    expect(t.add({ id: Uint8Array.of(0x41), address: at('2001:db8:2::1') }).status).toBe('added');
    expect(t.add({ id: Uint8Array.of(0x20), address: at('203.0.113.9') }).status).toBe('added');
    expect(t.add({ id: Uint8Array.of(0x21), address: at('203.0.113.9') }).status).toBe('added');
    expect(t.add({ id: Uint8Array.of(0x10), address: at('127.0.0.1') }).status).toBe('added'); // one 127.0.0/24 contact: cap 1
    expect(t.add({ id: Uint8Array.of(0x11), address: at('127.0.0.1') }).status).toBe('rejected'); // custom exempt replaces the default
    expect(() => ipDiversityPolicy({ maxPerBucket: 0 }, () => [])).toThrow(/maxPerBucket/);
    expect(() => ipDiversityPolicy({ maxPerTable: 1.5 }, () => [])).toThrow(/maxPerTable/);
  });
});

describe('ipDiversityPolicy with a counting table', () => {
  it('admits exactly what the table-wide scan admits, its counts following adds, moves, failures and removals', () => {
    const random = new SeededRandom(9);
    const build = (counted: boolean): RoutingTable => {
      let t: RoutingTable | undefined;
      const admit = ipDiversityPolicy({}, () => t!.iterate(), counted ? (g) => t!.countOf(g) : undefined);
      t = new RoutingTable(Uint8Array.of(0x5a, 0x5a), new ManualClock(), { bucketSize: 3, random: new SeededRandom(1), admit, countBy: counted ? ipGroupOf : undefined });
      return t;
    };
    const [counted, scanned] = [build(true), build(false)];
    const hosts = Array.from({ length: 24 }, (_, i) => `203.0.${i % 6}.${1 + (i % 4)}`);
    const ids = Array.from({ length: 120 }, () => random.bytes(2));
    for (let step = 0; step < 3_000; step++) {
      const id = ids[random.int(ids.length)]!;
      const roll = random.int(10);
      for (const t of [counted, scanned]) {
        if (roll < 7) t.add({ id, address: { host: hosts[(id[0]! + step * (roll === 6 ? 1 : 0)) % hosts.length]!, port: 1 } }); // 6: a move
        else if (roll < 9) t.fail(id);
        else t.remove(id);
      }
      expect(counted.contacts().map((c) => `${c.id.join()}@${c.address.host}`)).toEqual(scanned.contacts().map((c) => `${c.id.join()}@${c.address.host}`));
    }
    expect(counted.size).toBeGreaterThan(10);
    for (let i = 0; i < 6; i++) {
      const group = `4/203.0.${i}`;
      expect(counted.countOf(group)).toBe(counted.contacts().filter((c) => ipGroup(c.address.host) === group).length);
    }
    expect(scanned.countOf('4/203.0.0')).toBe(0); // a table without countBy counts nothing
  });
});

describe('DHTCommunity against a Sybil /24', () => {
  const SYBILS = 50;
  const HONEST = 20;
  const LOCAL = 20;

  /** A victim, then 50 Sybils from 203.0.113.0/24, 20 honest nodes (distinct /24s) and 20 on loopback, each pinging the victim. */
  async function attack(settings: DHTSettings): Promise<{ victim: DHTCommunity; sybils: number; honest: number; local: number; stop(): Promise<void> }> {
    const clock = new ManualClock();
    const random = new SeededRandom(42);
    const network = new MemoryNetwork(clock, random, { latencyMs: 5 });
    const hosts: OverlayHost[] = [];
    const node = async (address?: Address): Promise<DHTCommunity> => {
      const nodeRandom = new SeededRandom(random.int(2 ** 31));
      const host = new OverlayHost({ endpoint: network.createEndpoint(address), key: PrivateKey.generate(nodeRandom), clock, random: nodeRandom });
      const dht = host.register(DHTCommunity, settings);
      await host.start();
      hosts.push(host);
      return dht;
    };
    const victim = await node();
    const victimAddress = hosts[0]!.endpoint.address;
    const groups = new Map<string, 'sybil' | 'honest' | 'local'>();
    const nodes: Array<{ dht: DHTCommunity; kind: 'sybil' | 'honest' | 'local' }> = [];
    for (let i = 0; i < SYBILS; i++) nodes.push({ dht: await node({ host: `203.0.113.${i + 1}`, port: 7000 }), kind: 'sybil' });
    for (let i = 0; i < HONEST; i++) nodes.push({ dht: await node(), kind: 'honest' });
    for (let i = 0; i < LOCAL; i++) nodes.push({ dht: await node({ host: '127.0.0.1', port: 8000 + i }), kind: 'local' });
    for (const n of nodes) groups.set(n.dht.context.key.publicKey.midHex, n.kind);
    await clock.settle(Promise.all(nodes.map((n) => n.dht.ping({ address: victimAddress }))));
    const count = (kind: string): number => victim.routingTable.contacts().filter((c) => groups.get(Buffer.from(c.id).toString('hex')) === kind).length;
    return {
      victim,
      sybils: count('sybil'),
      honest: count('honest'),
      local: count('local'),
      async stop() {
        for (const h of hosts) await h.stop();
        await clock.advance(1_000);
      },
    };
  }

  it('admits at most 3 Sybils (2 per bucket), counts the rest, and still admits honest and loopback nodes', async () => {
    const net = await attack({ bucketSize: 64 }); // big buckets: only the IP caps limit who gets in
    try {
      expect(net.victim.settings.ipDiversity).toBe(true);
      expect(net.sybils).toBeLessThanOrEqual(3);
      expect(net.sybils).toBeGreaterThan(0);
      for (const b of net.victim.routingTable.buckets()) {
        expect(b.contacts.filter((c) => c.address.host.startsWith('203.0.113.')).length).toBeLessThanOrEqual(2);
      }
      // Each Sybil's ping was refused once (a later message from it would be counted again).
      expect(net.victim.statistics.ipCapRejections).toBeGreaterThanOrEqual(SYBILS - net.sybils);
      expect(net.victim.statistics.toJSON().ipCapRejections).toBe(net.victim.statistics.ipCapRejections);
      expect(net.honest).toBe(HONEST);
      expect(net.local).toBe(LOCAL); // 20 contacts from 127.0.0.1: loopback is exempt
    } finally {
      await net.stop();
    }
  });

  it('without the defence (ipDiversity: false) the Sybils fill the table', async () => {
    const net = await attack({ bucketSize: 64, ipDiversity: false });
    try {
      expect(net.sybils).toBe(SYBILS);
      expect(net.victim.statistics.ipCapRejections).toBe(0);
    } finally {
      await net.stop();
    }
  });
});
