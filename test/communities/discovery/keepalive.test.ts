/**
 * Keepalive timing and lost keepalives (default settings: a new storer's first keepalive after 20 s, then
 * one every 100 s while answered; storers keep a record 230 s). Packets are counted over simulated
 * minutes; a storer whose keepalive round was lost is kept, dropped only after two rounds in a row, and
 * even then its introductions are accepted while it may still hold our record.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_KEEPALIVE_MS, KEEPALIVE_RESEND_AT_MS, MAX_MISSED_ROUNDS } from '../../../communities/discovery/announcer.js';
import { IntroduceRequest } from '../../../communities/discovery/index.js';
import { stopAndDrain } from './discovery-net.js';
import type { DiscoveryNet, DiscoveryNode } from './discovery-net.js';
import { discoveryNet } from './discovery-net.js';

const NODES = 20;

describe('DHTDiscoveryCommunity keepalives', () => {
  let net: DiscoveryNet;
  const started = performance.now();

  beforeAll(async () => {
    net = await discoveryNet(NODES, 4242);
    await net.clock.advance(60_000);
  }, 120_000);

  afterAll(async () => {
    expect(net.listenerErrors).toEqual([]);
    expect(await stopAndDrain(net)).toBe(0);
    console.log(`keepalive: ${Math.round(performance.now() - started)} ms wall`);
  });

  it('defaults: keepalives every 100 s, records kept 230 s', () => {
    const { settings } = net.nodes[0]!.discovery;
    expect(settings.keepaliveIntervalMs).toBe(100_000);
    expect(settings.recordSilenceMs).toBe(230_000);
    expect(settings.recordSilenceMs).toBeGreaterThan(settings.keepaliveIntervalMs + FIRST_KEEPALIVE_MS + 2 * (KEEPALIVE_RESEND_AT_MS.at(-1)! + 2_000));
  });

  it('a new node: announcement, first keepalives 20 s later, then every 100 s; no more packets than that over 7 minutes', async () => {
    const node = await net.addNode();
    const sent = (): number => node.discovery.stats.sent['announce-request'] ?? 0;
    const batches: Array<{ at: number; packets: number }> = [];
    const begin = net.clock.now();
    let last = sent();
    for (let t = 0; t < 420; t++) {
      await net.clock.advance(1_000);
      if (sent() !== last) {
        batches.push({ at: Math.round((net.clock.now() - begin) / 1_000), packets: sent() - last });
        last = sent();
      }
    }
    const storers = node.discovery.announcer.storers.size;
    expect(storers).toBeGreaterThanOrEqual(node.discovery.settings.minStorers);
    const { stats } = node.discovery.announcer;
    expect(stats.resends).toBe(0); // no loss: no copy was needed
    expect(stats.announcements).toBe(2); // at start, and once stale after 300 s
    // Seconds after the start: the announcement (0.5-1.5 s + its lookup), the first keepalives at +20 s,
    // then every 100 s; the re-announcement at 300 s restarts no 20 s keepalive for storers that kept it.
    const times = batches.map((b) => b.at);
    expect(times[0]).toBeLessThanOrEqual(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(20);
    expect(times[1]! - times[0]!).toBeLessThanOrEqual(25);
    expect(times[2]! - times[1]!).toBe(100);
    expect(times[3]! - times[2]!).toBe(100);
    // Packets: one announcement to each of k nodes twice, and keepalives: at most one per storer per round.
    const k = node.dht.settings.bucketSize;
    expect(sent()).toBeLessThanOrEqual(2 * k + stats.keepalives);
    expect(stats.keepalives).toBeLessThanOrEqual(storers * 5);
    console.log(`keepalive: batches (s, packets) ${JSON.stringify(batches)}`);
  }, 120_000);

  it('a lost keepalive round keeps the storer; two in a row drop it; its introductions are still accepted', async () => {
    const owner = net.nodes[7]!;
    const announcer = owner.discovery.announcer;
    const [hex] = [...announcer.storers.keys()];
    const storer = () => announcer.storers.get(hex!)!; // a re-announcement replaces the entry
    const holder = net.nodes.find((n) => n.host.midHex === hex)!;
    const dueIn = (): number => storer().nextAt! - net.clock.now();
    const cut = (lossRate: number | undefined): void => {
      const [x, y] = [owner.host.endpoint.address, holder.host.endpoint.address];
      net.network.setLinkOptions(x, y, lossRate === undefined ? undefined : { lossRate });
      net.network.setLinkOptions(y, x, lossRate === undefined ? undefined : { lossRate });
    };
    const before = { ...announcer.stats };
    // One round lost (every copy): the storer is kept, tried again 20 s later, and answers then.
    cut(1);
    await net.clock.advance(dueIn() + 7_000);
    expect(announcer.stats.missedRounds).toBe(before.missedRounds + 1);
    expect(announcer.isStorer(holder.host.key.publicKey.mid)).toBe(true);
    expect(storer().missed).toBe(1);
    expect(holder.discovery.records.get(owner.host.midHex)).toHaveLength(1); // the holder still has it
    cut(undefined);
    await net.clock.advance(FIRST_KEEPALIVE_MS);
    expect(storer().missed).toBe(0);
    expect(announcer.stats.droppedStorers).toBe(before.droppedStorers);

    // Two rounds in a row lost: dropped, but it holds our record for recordSilenceMs and may introduce.
    cut(1);
    const due2 = dueIn();
    await net.clock.advance(due2 + 7_000);
    expect(storer().missed).toBe(1);
    await net.clock.advance(FIRST_KEEPALIVE_MS + 7_000);
    expect(MAX_MISSED_ROUNDS).toBe(2);
    expect(announcer.stats.droppedStorers).toBe(before.droppedStorers + 1);
    expect(announcer.isStorer(holder.host.key.publicKey.mid)).toBe(false);
    expect(announcer.mayHoldRecord(holder.host.key.publicKey.mid)).toBe(true);
    cut(undefined);
    const strangers = owner.discovery.stats.dropped['introduce-from-stranger'] ?? 0;
    const punctures = owner.discovery.puncturer.sent;
    const requester = net.nodes[12]!;
    holder.discovery.send(owner.host.endpoint.address, IntroduceRequest, {
      nonce: 77n,
      requester: requester.host.endpoint.address,
      requesterMid: requester.host.key.publicKey.mid,
      requesterLan: undefined,
      proven: false,
      requesterNat: undefined,
    });
    await net.clock.advance(1_000);
    expect(owner.discovery.stats.dropped['introduce-from-stranger'] ?? 0).toBe(strangers);
    expect(owner.discovery.puncturer.sent).toBe(punctures + 1); // an unproven requester: one puncture
    // A node that never held our record is still refused.
    const stranger = net.nodes.find((n) => n !== owner && !announcer.mayHoldRecord(n.host.key.publicKey.mid))!;
    stranger.discovery.send(owner.host.endpoint.address, IntroduceRequest, { nonce: 78n, requester: requester.host.endpoint.address, requesterMid: requester.host.key.publicKey.mid, requesterLan: undefined, proven: true, requesterNat: undefined });
    await net.clock.advance(1_000);
    expect(owner.discovery.stats.dropped['introduce-from-stranger']).toBe(strangers + 1);
  }, 120_000);
});
