import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { main as overlayApp } from '../../docs/examples/overlay-app.js';
import { PingPongCommunity } from '../../docs/examples/ping-pong.js';
import { OverlayHost, TimeoutError, UdpEndpoint } from '../../framework/index.js';

describe('docs/examples run as documented (real UDP on 127.0.0.1)', () => {
  it('overlay-app: two nodes register a community, discover each other and exchange a signed ping', async () => {
    const result = await overlayApp();
    expect(result.echoed).toBe('hello alice');
    expect(result.bobKnowsAlice).toBe(true);
    expect(result.aliceMid).toMatch(/^[0-9a-f]{40}$/);
    expect(result.aliceMid).not.toBe(result.bobMid);
  });

  it('ping-pong: a custom community answers pings over UDP, times out against a silent address, stops cleanly', async () => {
    const a = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1' }) });
    const b = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1' }) });
    const pa = a.register(PingPongCommunity);
    const pb = b.register(PingPongCommunity);
    await a.start();
    await b.start();
    const heard: string[] = [];
    pa.on('ping:received', (_from, text) => heard.push(text));
    const answers = await Promise.all([1, 2, 3].map((i) => pb.ping(a.endpoint.address, `ping ${i}`)));
    expect(answers).toEqual(['ping 1', 'ping 2', 'ping 3']);
    expect(heard.sort()).toEqual(['ping 1', 'ping 2', 'ping 3']);
    expect(pa.stats.received['ping']).toBe(3);
    expect(pb.stats.received['pong']).toBe(3);
    await a.stop();
    await expect(pb.ping(a.endpoint.address, 'anyone?', { timeoutMs: 200 })).rejects.toBeInstanceOf(TimeoutError);
    await b.stop();
    expect(a.clock.pendingTimers()).toBe(0);
    expect(b.clock.pendingTimers()).toBe(0);
  });
});
