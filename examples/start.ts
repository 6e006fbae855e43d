/**
 * `npm start` until the CLI lands: a small overlay of nodes on UDP loopback that discover each other
 * from one bootstrap node and exchange signed pings, printing what happened.
 */
import 'reflect-metadata';
import { OverlayHost, UdpEndpoint } from '../framework/index.js';
import { PingPongCommunity } from '../docs/examples/ping-pong.js';

const NODES = 5;

async function run(): Promise<number> {
  const hosts: OverlayHost[] = [];
  const first = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1' }) });
  first.register(PingPongCommunity, { discovery: { intervalMs: 100 } });
  await first.start();
  hosts.push(first);
  for (let i = 1; i < NODES; i++) {
    const h = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1' }), bootstrap: [first.endpoint.address] });
    h.register(PingPongCommunity, { discovery: { intervalMs: 100 } });
    await h.start();
    hosts.push(h);
  }
  console.log(`started ${NODES} nodes on 127.0.0.1:`);
  for (const h of hosts) console.log(`  ${h.midHex.slice(0, 12)}  ${h.endpoint.address.host}:${h.endpoint.address.port}`);
  await new Promise((r) => setTimeout(r, 1_500));
  let ok = 0;
  let failed = 0;
  for (const h of hosts) {
    const c = h.get(PingPongCommunity);
    console.log(`node ${h.midHex.slice(0, 12)} knows ${c.peers.size} verified peers`);
    for (const peer of c.peers.peers()) {
      const started = performance.now();
      try {
        await c.ping(peer.address, `hello from ${h.midHex.slice(0, 8)}`);
        ok++;
        console.log(`  signed ping -> ${peer.midHex.slice(0, 12)} answered in ${(performance.now() - started).toFixed(2)} ms`);
      } catch (error) {
        failed++;
        console.log(`  signed ping -> ${peer.midHex.slice(0, 12)} failed: ${String(error)}`);
      }
    }
  }
  for (const h of hosts) await h.stop();
  console.log(`\n${ok} pings answered, ${failed} failed`);
  return failed === 0 && ok > 0 ? 0 : 1;
}

process.exitCode = await run();
