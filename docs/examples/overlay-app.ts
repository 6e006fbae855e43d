/**
 * Example: register communities in an overlay app. Two nodes on UDP loopback, the second bootstrapping
 * from the first; they discover each other by introduction and exchange a signed ping.
 * `test/docs/examples.test.ts` runs `main()`.
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { OverlayHost, UdpEndpoint } from '../../framework/index.js';
import { PingPongCommunity } from './ping-pong.js';

/** Runs the example and returns what happened. */
export async function main(): Promise<{ aliceMid: string; bobMid: string; echoed: string; bobKnowsAlice: boolean }> {
  // One OverlayHost per node: one key, one endpoint, any number of communities.
  const alice = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }) });
  alice.register(PingPongCommunity);
  await alice.start();

  const bob = new OverlayHost({
    endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }),
    bootstrap: [alice.endpoint.address], // every community on bob walks from alice
  });
  const bobPing = bob.register(PingPongCommunity);
  await bob.start();

  try {
    const echoed = await bobPing.ping(alice.endpoint.address, 'hello alice');
    // Bob's introduction request reached Alice at start; her signed response made her a verified peer.
    const bobKnowsAlice = await waitFor(() => bobPing.peers.getByMid(alice.midHex) !== undefined, 2_000);
    return { aliceMid: alice.midHex, bobMid: bob.midHex, echoed, bobKnowsAlice };
  } finally {
    await bob.stop();
    await alice.stop();
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

// Run on its own: `node dist/docs/examples/overlay-app.js` (tests import this module instead, which runs nothing).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await main();
  console.log(`alice ${result.aliceMid} and bob ${result.bobMid} on 127.0.0.1`);
  console.log(`bob pinged alice, she echoed: ${JSON.stringify(result.echoed)}`);
  console.log(`bob knows alice as a verified peer: ${result.bobKnowsAlice}`);
}
