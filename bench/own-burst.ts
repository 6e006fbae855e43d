/**
 * A node's own burst on real UDP (issue #16): `node dist/bench/own-burst.js [--nodes 6] [--stores 1000]
 * [--pacing both|on|off] [--json FILE]`. Starts `nodes` hosts on 127.0.0.1 with the default rate limits,
 * joins them, and runs `stores` concurrent `storeValue` calls from one node, once with the per-destination
 * pacing of requests (the default) and once without. Prints a table and the JSON result: how many stores
 * failed, how long they took, and how many of that node's packets its peers dropped.
 * @module
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DHTCommunity } from '../communities/dht/index.js';
import { OverlayHost, UdpEndpoint } from '../framework/index.js';

/** One run of the burst. */
export interface OwnBurstResult {
  /** Pacing on or off. */
  readonly pacing: boolean;
  /** Nodes in the network. */
  readonly nodes: number;
  /** Concurrent stores. */
  readonly stores: number;
  /** Stores that threw. */
  readonly failed: number;
  /** Acknowledgements of all stores together. */
  readonly acks: number;
  /** Wall time of the burst, in ms. */
  readonly ms: number;
  /** The node's packets its peers dropped (rate limits). */
  readonly droppedByPeers: number;
  /** Requests that waited their turn (pacing). */
  readonly delayed: number;
  /** The longest wait of one request, in ms. */
  readonly maxDelayMs: number;
}

/** Runs `stores` concurrent stores from one of `nodes` UDP nodes on 127.0.0.1. */
export async function runOwnBurst(nodes: number, stores: number, pacing: boolean): Promise<OwnBurstResult> {
  const hosts: OverlayHost[] = [];
  try {
    for (let i = 0; i < nodes; i++) {
      const host = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }), pacing: pacing ? {} : false });
      host.register(DHTCommunity);
      await host.start();
      hosts.push(host);
    }
    const first = hosts[0]!.endpoint.address;
    for (let round = 0; round < 2; round++) {
      for (const host of hosts.slice(1)) await host.get(DHTCommunity).bootstrap([first]);
    }
    const node = hosts[1]!;
    const peers = hosts.filter((h) => h !== node);
    const dropped = (): number => peers.reduce((a, h) => a + h.stats.rateLimited, 0);
    const before = dropped();
    const started = performance.now();
    const dht = node.get(DHTCommunity);
    const results = await Promise.allSettled(Array.from({ length: stores }, (_, i) => dht.storeValue(`own burst ${i}`, new Uint8Array(64).fill(i & 255))));
    const ms = performance.now() - started;
    return {
      pacing,
      nodes,
      stores,
      failed: results.filter((r) => r.status === 'rejected').length,
      acks: results.reduce((a, r) => a + (r.status === 'fulfilled' ? r.value : 0), 0),
      ms: Math.round(ms),
      droppedByPeers: dropped() - before,
      delayed: node.pacer?.stats.delayed ?? 0,
      maxDelayMs: node.pacer?.stats.maxDelayMs ?? 0,
    };
  } finally {
    for (const h of hosts) await h.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { nodes: { type: 'string' }, stores: { type: 'string' }, pacing: { type: 'string' }, json: { type: 'string' } } });
  const nodes = Number(values.nodes ?? 6);
  const stores = Number(values.stores ?? 1_000);
  const modes = values.pacing === 'on' ? [true] : values.pacing === 'off' ? [false] : [false, true];
  const results: OwnBurstResult[] = [];
  for (const pacing of modes) {
    process.stderr.write(`own burst: ${stores} stores from one of ${nodes} UDP nodes, pacing ${pacing ? 'on' : 'off'} ...\n`);
    results.push(await runOwnBurst(nodes, stores, pacing));
  }
  console.log('| pacing | stores | failed | acks | wall time | packets dropped by peers | requests delayed | longest wait |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.pacing ? 'on' : 'off'} | ${r.stores} | ${r.failed} | ${r.acks} | ${(r.ms / 1_000).toFixed(1)} s | ${r.droppedByPeers} | ${r.delayed} | ${r.maxDelayMs} ms |`);
  }
  const json = JSON.stringify({ results }, null, 2);
  if (values.json !== undefined) writeFileSync(values.json, json);
  else console.log(json);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
