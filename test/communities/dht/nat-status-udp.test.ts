/**
 * The NAT status over real UDP: a node bound to every interface (0.0.0.0) is seen by its peers on
 * 127.0.0.1 at its port, an address that is one of its interfaces: 'none', not behind a NAT.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../../communities/dht/index.js';
import { OverlayHost, UdpEndpoint } from '../../../framework/index.js';

/** Polls `check` every 20 ms for up to `ms`. */
async function until(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; !check() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  return check();
}

describe('NAT status over UDP', () => {
  it("a node bound to 0.0.0.0 and seen at 127.0.0.1 on its port says 'none' at 127.0.0.1", async () => {
    const hosts: OverlayHost[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const host = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }), bootstrap: hosts.length === 0 ? [] : [hosts[0]!.endpoint.address] });
        host.register(DHTCommunity);
        await host.start();
        hosts.push(host);
      }
      const wide = new OverlayHost({ endpoint: new UdpEndpoint({ host: '0.0.0.0', port: 0 }), bootstrap: [hosts[0]!.endpoint.address] });
      const dht = wide.register(DHTCommunity);
      await wide.start();
      hosts.push(wide);
      await dht.bootstrap();
      expect(await until(() => dht.nat.status.mapping !== 'unknown', 5_000)).toBe(true);
      const port = wide.endpoint.address.port;
      expect(wide.endpoint.address.host).toBe('0.0.0.0');
      expect(dht.nat.status).toMatchObject({ mapping: 'none', behindNat: false, publicAddress: { host: '127.0.0.1', port } });
    } finally {
      for (const h of hosts) await h.stop();
    }
  });
});
