import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../communities/dht/index.js';
import { IntroductionRequest, PrivateKey, PunctureRequest, SeededRandom, addressKey, encodePacket } from '../../framework/index.js';
import type { MessageSpec } from '../../framework/index.js';
import { simNet } from '../helpers/memory-nodes.js';

const ATTACKERS = 3;
const REQUESTS_PER_ATTACKER_PER_TICK = 4; // every 100 ms: 40/s each, under the node's 50/s per-source limit

describe('reflection: verified peers cannot aim a node’s traffic at a victim', () => {
  it('puncture requests toward one victim are capped, so the victim never rate-limits the honest node', async () => {
    const net = simNet(4711, { latencyMs: 5 });
    const node = await net.addHost({ setup: (h) => h.register(DHTCommunity) });
    const victim = await net.addHost({ bootstrap: [node.endpoint.address], setup: (h) => h.register(DHTCommunity) });
    await net.clock.advance(1_000);
    const dht = node.get(DHTCommunity);
    const attackers = await Promise.all(
      Array.from({ length: ATTACKERS }, async (_, i) => {
        const endpoint = net.network.createEndpoint();
        await endpoint.open();
        const key = PrivateKey.generate(new SeededRandom(900 + i));
        const send = <T>(spec: MessageSpec<T>, body: T): void =>
          endpoint.send(node.endpoint.address, encodePacket(dht.prefix, spec, body, { publicKeyBinary: key.publicKey.toBinary(), sign: (m) => key.sign(m) }));
        send(IntroductionRequest, { identifier: BigInt(i), destination: node.endpoint.address, sourceLan: endpoint.address });
        return send;
      }),
    );
    await net.clock.advance(100); // the attackers are verified peers of the node now
    const pinger = victim.get(DHTCommunity);
    let pings = 0;
    let answered = 0;
    for (let tick = 0; tick < 200; tick++) {
      for (const send of attackers) {
        for (let k = 0; k < REQUESTS_PER_ATTACKER_PER_TICK; k++) send(PunctureRequest, { identifier: BigInt(tick * 10 + k), target: victim.endpoint.address, targetLan: undefined });
      }
      if (tick % 5 === 0) {
        pings++;
        void pinger.ping({ address: node.endpoint.address }).then(() => answered++, () => undefined);
      }
      await net.clock.advance(100);
    }
    await net.clock.advance(3_000);
    const victimLimiter = victim.rateLimiter!;
    expect(dht.stats.dropped['puncture-throttled']).toBeGreaterThan(2_000);
    expect(victimLimiter.stats.limited).toBe(0);
    expect(victimLimiter.isBanned(addressKey(node.endpoint.address))).toBe(false);
    expect(answered).toBe(pings);
    await net.stopAll();
  });
});
