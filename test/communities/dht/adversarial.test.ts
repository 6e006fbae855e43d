/**
 * The S/Kademlia experiment in CI: a DHT in which 20% of the nodes are adversaries
 * ({@link AdversaryDHT}: they answer finds with only adversaries, drop stores, return forged values).
 * Honest nodes store signed values and look them up with 1 path and with 4 disjoint paths, first against
 * the `closest` attack (real adversary ids closest to the key), then against `fabricate` (made-up ids
 * next to the key, answered by adversaries with their own keys). Every node joins through the network's
 * first node (honest, its bootstrap node) and 3 random earlier nodes: the second test shows why, a node
 * introduced only by adversaries never learns of an honest node, and no lookup of its can succeed.
 *
 * With real keys and signatures a join costs ~80 ms of CPU here, so CI runs 300 nodes; the 2,000-node
 * run is `npm run bench -- adversarial --nodes 2000` (same code, bench/adversarial.ts). The second test
 * needs no scale (a node whose introducers are all adversaries is eclipsed in a network of any size): it
 * builds 100 nodes instead of 300, each introduced by 1 random earlier node instead of 3, so that some are
 * eclipsed whatever the seed (seeds 2024, 1, 2, 3: 4, 3, 10, 4 of 80 honest nodes; with 3 introductions only
 * 2 seeds of 15 gave a 100-node network with an eclipsed node at all).
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { AdversarialNet } from '../../../bench/adversarial-net.js';
import type { FindRate } from '../../../bench/adversarial-net.js';
import { utf8 } from '../../../framework/index.js';

const NODES = 300;
const ADVERSARY_FRACTION = 0.2;
/** Values stored per measurement (fewer against the costlier `fabricate` attack), and finds per value. */
const VALUES = { closest: 40, fabricate: 20 } as const;
const FINDS_PER_VALUE = 5;
/** The second test's network, and the random earlier nodes that introduce each of its nodes. */
const ECLIPSE_NODES = 100;
const ECLIPSE_INTRODUCTIONS = 1;
const ECLIPSE_SEED = 2024;

describe(`DHT with ${NODES} nodes, 20% of them adversaries`, () => {
  it('disjoint paths (d=4) find >= 99% of values, more than plain lookups (d=1); forged values are never returned', { timeout: 900_000 }, async () => {
    const started = Date.now();
    const cpu = process.cpuUsage();
    const net = await AdversarialNet.build({ nodes: NODES, adversaryFraction: ADVERSARY_FRACTION, seed: 2024, settings: {} });
    const builtMs = Date.now() - started;
    try {
      expect(net.adversaries).toHaveLength(NODES * ADVERSARY_FRACTION);
      expect(net.eclipsed()).toEqual([]); // every node joined through the (honest) bootstrap node too
      const rows: Array<FindRate & { attack: string }> = [];
      for (const attack of ['closest', 'fabricate'] as const) {
        net.coalition.attack = attack;
        for (const paths of [1, 4]) rows.push({ attack, ...(await net.measure(paths, VALUES[attack], FINDS_PER_VALUE)) });
      }
      const report = rows.map((r) => `${r.attack} d=${r.paths}: ${r.succeeded}/${r.finds} = ${(r.rate * 100).toFixed(1)}% (${r.queriesPerFind.toFixed(1)} queries/find, ${r.valuesRejected} forged values rejected)`);
      const spent = process.cpuUsage(cpu);
      const cpuMs = Math.round((spent.user + spent.system) / 1_000);
      console.log(`adversarial N=${NODES} (built in ${builtMs} ms, total ${Date.now() - started} ms wall, ${cpuMs} ms CPU):\n  ${report.join('\n  ')}`);

      const [closest1, closest4, fabricate1, fabricate4] = [rows[0]!, rows[1]!, rows[2]!, rows[3]!];
      // S/Kademlia: with 4 disjoint paths at least 99% of lookups succeed, and more than with 1 path.
      expect(closest4.rate).toBeGreaterThanOrEqual(0.99);
      expect(closest4.rate).toBeGreaterThan(closest1.rate);
      expect(fabricate4.rate).toBeGreaterThanOrEqual(0.99);
      // Made-up ids are caught (ImpostorError) and condemn their referrer, so one path often suffices here.
      expect(fabricate4.rate).toBeGreaterThanOrEqual(fabricate1.rate);
      for (const r of rows) {
        if (r.paths === 4) expect(r.storesAcknowledged).toBe(r.values); // with one path a store can end among adversaries only
        // Forged values reached the finders and were rejected, never returned.
        expect(r.valuesRejected).toBeGreaterThan(0);
        expect(r.forgedReturned).toBe(0);
        expect(r.eclipsedFinds).toBe(0);
      }
      // The adversaries did attack; honest nodes counted the disjoint lookups and the ids that did not match their keys.
      const attacks = net.adversaries.map((a) => a.attacks);
      expect(attacks.reduce((t, a) => t + a.eclipsedFinds, 0)).toBeGreaterThan(0);
      expect(attacks.reduce((t, a) => t + a.forgedValues, 0)).toBeGreaterThan(0);
      expect(attacks.reduce((t, a) => t + a.droppedStores, 0)).toBeGreaterThan(0);
      expect(net.honest.reduce((t, d) => t + d.statistics.disjointLookups, 0)).toBeGreaterThan(0);
      expect(net.honest.reduce((t, d) => t + d.statistics.idMismatches, 0)).toBeGreaterThan(0);
    } finally {
      expect(await net.stop()).toBe(0);
    }
  });

  it(`${ECLIPSE_NODES} nodes: a node introduced only by adversaries knows no honest node: none of its finds succeed, whatever the number of paths`, { timeout: 900_000 }, async () => {
    // A network joined without the bootstrap node: each node only pings 1 random earlier node.
    const net = await AdversarialNet.build({
      nodes: ECLIPSE_NODES,
      adversaryFraction: ADVERSARY_FRACTION,
      seed: ECLIPSE_SEED,
      settings: {},
      bootstrapNode: false,
      introductions: ECLIPSE_INTRODUCTIONS,
    });
    try {
      const eclipsed = net.eclipsed();
      console.log(`eclipsed: ${eclipsed.length} of ${net.honest.length} honest nodes`);
      expect(eclipsed.length).toBeGreaterThan(0);
      const victim = eclipsed[0]!;
      const healthy = net.honest.find((d) => d !== victim && d.routingTable.size > 20)!;
      const publisher = net.honest.find((d) => d !== victim && d !== healthy)!;
      for (let i = 0; i < 3; i++) {
        const name = `eclipsed ${i}`;
        expect(await net.settle(publisher.storeValue(name, utf8(`value ${i}`), { sign: true, disjointPaths: 4 }))).toBeGreaterThan(0);
        for (const paths of [1, 4, 8]) {
          expect(await net.settle(victim.findValues(name, { disjointPaths: paths }))).toEqual([]);
          if (paths > 1) expect((await net.settle(healthy.findValues(name, { disjointPaths: paths }))).map((v) => v.data)).toEqual([utf8(`value ${i}`)]);
        }
      }
      expect(net.eclipsed()).toEqual(eclipsed); // adversaries refer only adversaries, so no honest node ever learns of them
    } finally {
      expect(await net.stop()).toBe(0);
    }
  });
});
