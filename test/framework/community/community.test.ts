import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { inject, injectable } from 'tsyringe';
import {
  Community,
  InvalidArgumentError,
  LifecycleError,
  OverlayHost,
  PacketTooLargeError,
  TOKENS,
  communityIdFromName,
  defineMessage,
  defineSchema,
  t,
} from '../../../framework/index.js';
import type { CommunityContext, CommunitySettings } from '../../../framework/index.js';
import { PingPongCommunity } from '../../../docs/examples/ping-pong.js';
import { simNet } from '../../helpers/memory-nodes.js';

const Blob = defineMessage({ id: 3, name: 'blob', schema: defineSchema({ data: t.bytes({ max: 4_000 }) }) });
const Reserved = defineMessage({ id: 250, name: 'mine', schema: defineSchema({ x: t.u8() }) });

@injectable()
class BlobCommunity extends Community {
  received = 0;
  constructor(@inject(TOKENS.Context) ctx: CommunityContext, @inject(TOKENS.Settings) settings: CommunitySettings) {
    super(ctx, communityIdFromName('test/blob'), settings);
    this.handle(Blob, () => {
      this.received++;
      throw new Error('handler bug');
    });
  }
}

describe('Community lifecycle', () => {
  it('start/stop are idempotent and stop leaves no timer and no pending request', async () => {
    const net = simNet(1);
    const a = await net.addHost({ setup: (h) => h.register(PingPongCommunity) });
    const b = await net.addHost({ bootstrap: [a.endpoint.address], setup: (h) => h.register(PingPongCommunity) });
    const pb = b.get(PingPongCommunity);
    await a.start(); // second start: no-op
    expect(net.clock.pendingTimers()).toBeGreaterThan(0);
    const echoed = await net.clock.settle(pb.ping(a.endpoint.address, 'hi'));
    expect(echoed).toBe('hi');
    const pending = pb.ping(a.endpoint.address, 'never answered');
    const rejected = expect(pending).rejects.toThrow(/stopped/);
    await a.stop();
    await b.stop();
    await b.stop();
    await rejected;
    expect(pb.requests.size).toBe(0);
    await net.clock.advance(1_000); // packets already in flight drain (and are dropped at closed endpoints)
    expect(net.clock.pendingTimers()).toBe(0);
    expect(() => pb.every(10, () => undefined)).toThrow(LifecycleError);
  });

  it('counts handler errors without crashing, and refuses oversize packets before sending', async () => {
    const net = simNet(2);
    const a = await net.addHost({ setup: (h) => h.register(BlobCommunity) });
    const b = await net.addHost({ setup: (h) => h.register(BlobCommunity) });
    const ca = a.get(BlobCommunity);
    const cb = b.get(BlobCommunity);
    cb.send(a.endpoint.address, Blob, { data: new Uint8Array(100) });
    await net.clock.advance(50);
    expect(ca.received).toBe(1);
    expect(ca.stats.handlerErrors).toBe(1);
    const sentBefore = b.endpoint.stats.packetsSent;
    expect(() => cb.send(a.endpoint.address, Blob, { data: new Uint8Array(2_000) })).toThrow(PacketTooLargeError);
    expect(b.endpoint.stats.packetsSent).toBe(sentBefore);
    await net.stopAll();
  });

  it('sendRequest: a request that cannot be sent rejects at once, leaving no pending request or timer', async () => {
    const net = simNet(3);
    const a = await net.addHost({ setup: (h) => h.register(PingPongCommunity) });
    const b = await net.addHost({ bootstrap: [a.endpoint.address], setup: (h) => h.register(PingPongCommunity) });
    const pb = b.get(PingPongCommunity);
    const timersBefore = net.clock.pendingTimers();
    await expect(pb.ping(a.endpoint.address, 'x'.repeat(300))).rejects.toThrow(/text/); // over the schema's 256
    expect(pb.requests.size).toBe(0);
    expect(net.clock.pendingTimers()).toBe(timersBefore);
    expect(await net.clock.settle(pb.ping(a.endpoint.address, 'fits'))).toBe('fits');
    await net.stopAll();
  });

  it('rejects reserved and duplicate message ids and duplicate communities with named errors', async () => {
    const net = simNet(3);
    const host = await net.addHost();
    const c = host.register(BlobCommunity);
    expect(() => c.handle(Reserved, () => undefined)).toThrow(InvalidArgumentError);
    expect(() => c.handle(Blob, () => undefined)).toThrow(/already used/);
    expect(() => host.register(BlobCommunity)).toThrow(InvalidArgumentError);
    expect(() => host.get(PingPongCommunity)).toThrow(LifecycleError);
    expect(host.get(BlobCommunity)).toBe(c);
    await net.stopAll();
    await net.clock.advance(1_000); // packets already in flight drain (and are dropped at closed endpoints)
    expect(net.clock.pendingTimers()).toBe(0);
  });

  it('builds one child container per node so two nodes get distinct instances', async () => {
    const net = simNet(4);
    const a = await net.addHost({ setup: (h) => h.register(PingPongCommunity) });
    const b = await net.addHost({ setup: (h) => h.register(PingPongCommunity) });
    expect(a.get(PingPongCommunity)).not.toBe(b.get(PingPongCommunity));
    expect(a.container.resolve<OverlayHost>(OverlayHost)).toBe(a);
    expect(a.get(PingPongCommunity).context.key).toBe(a.key);
    await net.stopAll();
  });
});
