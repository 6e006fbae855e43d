/**
 * Example: find a peer by its mid with {@link DHTDiscoveryCommunity.connectPeer}. Five nodes on UDP
 * loopback (127.0.0.1) join a DHT; one finds another by its mid alone and gets a verified `Peer`; a mid
 * nobody announced ends in `DHTError` `'not-found'` as soon as every node that could know it was asked.
 * `test/communities/discovery/guide.test.ts` runs `main()` and checks that the "Finding peers" section of
 * `docs/dht.md` quotes the `connect` region verbatim. Run on its own: `node dist/docs/examples/discovery-guide.js`.
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { DHTCommunity, DHTError } from '../../communities/dht/index.js';
import { DHTDiscoveryCommunity } from '../../communities/discovery/index.js';
import { OverlayHost, UdpEndpoint, computeMid, equalBytes } from '../../framework/index.js';
import type { Peer } from '../../framework/index.js';

/** What {@link main} observed. */
export interface DiscoveryGuideResult {
  /** Hex mid the example looked for. */
  wantedMid: string;
  /** Hex mid of the peer `connectPeer` returned. */
  foundMid: string;
  /** `host:port` the found peer answered from. */
  foundAddress: string;
  /** `host:port` the wanted node is really bound to. */
  actualAddress: string;
  /** The found peer's public key hashes to the wanted mid. */
  verified: boolean;
  /** A second `connectPeer` for the same mid returned the same `Peer` object (one direct hello). */
  secondCallSamePeer: boolean;
  /** How a search for a mid nobody announced ended. */
  missingReason: string;
  /** How long that search took, in ms (well below its `timeoutMs`). */
  missingWaitedMs: number;
}

/** Runs the example on `nodes` loopback nodes and returns what happened. */
export async function main(nodes = 5): Promise<DiscoveryGuideResult> {
  const hosts: OverlayHost[] = [];
  try {
    for (let i = 0; i < nodes; i++) {
      const host = new OverlayHost({
        endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }),
        bootstrap: i === 0 ? [] : [hosts[0]!.endpoint.address], // the DHT joins from here when it starts
      });
      host.register(DHTCommunity); // discovery reuses the DHT's routing table and lookups: register it first
      host.register(DHTDiscoveryCommunity, { keepaliveIntervalMs: 1_000 });
      await host.start();
      hosts.push(host);
    }
    const alice = hosts[0]!;
    const bob = hosts[nodes - 1]!;
    // Bob just started: wait until his first announcement placed his record on the nodes closest to his mid.
    await waitFor(() => bob.get(DHTDiscoveryCommunity).announcer.storers.size > 0, 5_000);
    const mid = bob.key.publicKey.mid; // in an app, a mid you were given (Peer.mid, 20 bytes)

    // #region connect
    const discovery = alice.get(DHTDiscoveryCommunity);
    let peer: Peer | undefined;
    try {
      [peer] = await discovery.connectPeer(mid, { timeoutMs: 5_000 });
      // peer.publicKey hashes to `mid` (it signed a packet to us); peer.address is where it answered from.
    } catch (error) {
      if (!(error instanceof DHTError && error.reason === 'not-found')) throw error;
      // Offline, or not announced yet: try again later.
    }
    // #endregion connect
    if (peer === undefined) throw new Error('connectPeer found nobody');

    const [again] = await discovery.connectPeer(mid); // already connected: one hello to its address

    const started = Date.now();
    const missing = await discovery.connectPeer(new Uint8Array(20).fill(7), { timeoutMs: 5_000 }).then(
      () => 'found',
      (error: unknown) => (error instanceof DHTError ? error.reason : String(error)),
    );
    return {
      wantedMid: bob.midHex,
      foundMid: peer.midHex,
      foundAddress: peer.addressKey,
      actualAddress: `${bob.endpoint.address.host}:${bob.endpoint.address.port}`,
      verified: equalBytes(computeMid(peer.publicKey.toBinary()), mid),
      secondCallSamePeer: again === peer,
      missingReason: missing,
      missingWaitedMs: Date.now() - started,
    };
  } finally {
    for (const host of hosts.reverse()) await host.stop();
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

// Run on its own: `node dist/docs/examples/discovery-guide.js` (tests import this module instead, which runs nothing).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await main();
  console.log(`looked for ${result.wantedMid}`);
  console.log(`found ${result.foundMid} at ${result.foundAddress} (really bound to ${result.actualAddress}), key verified: ${result.verified}`);
  console.log(`a second connectPeer returned the same Peer: ${result.secondCallSamePeer}`);
  console.log(`a mid nobody announced: ${result.missingReason} after ${Math.round(result.missingWaitedMs)} ms`);
}
