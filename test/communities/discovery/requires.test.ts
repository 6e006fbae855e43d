import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { MissingDependencyError, OverlayHost } from '../../../framework/index.js';
import { DHTCommunity } from '../../../communities/dht/index.js';
import { DHTDiscoveryCommunity } from '../../../communities/discovery/index.js';
import { simNet } from '../../helpers/memory-nodes.js';

describe('DHTDiscoveryCommunity requires DHTCommunity', () => {
  it('registering it without DHTCommunity throws MissingDependencyError saying what to register first', () => {
    const net = simNet(1);
    const host = new OverlayHost({ endpoint: net.network.createEndpoint(), clock: net.clock, random: net.random });
    expect(DHTDiscoveryCommunity.requires).toEqual([DHTCommunity]);
    expect(() => host.register(DHTDiscoveryCommunity)).toThrow(MissingDependencyError);
    expect(() => host.register(DHTDiscoveryCommunity)).toThrow(
      'DHTDiscoveryCommunity needs DHTCommunity: call host.register(DHTCommunity) before host.register(DHTDiscoveryCommunity)',
    );
    expect(host.communities()).toHaveLength(0);
  });

  it('registered after DHTCommunity, it uses that instance and both start and stop', async () => {
    const net = simNet(2);
    const host = new OverlayHost({ endpoint: net.network.createEndpoint(), clock: net.clock, random: net.random });
    const dht = host.register(DHTCommunity);
    const discovery = host.register(DHTDiscoveryCommunity);
    expect(discovery.network).toBe(dht.network);
    await host.start();
    expect(dht.isRunning && discovery.isRunning).toBe(true);
    await host.stop();
    await net.clock.advance(1_000);
    expect(net.clock.pendingTimers()).toBe(0);
  });
});
