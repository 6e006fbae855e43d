/**
 * The NAT status over HTTP and on the command line (issue #17): `GET /health` has a `nat` object and
 * `peerlay status` a `nat` line. Real nodes on 127.0.0.1 (not behind a NAT: each says `none` at its own
 * address), run in-process; the status line's wording for each mapping from `natLine`.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey } from '../../framework/index.js';
import { main } from '../../cli/main.js';
import { natLine } from '../../cli/commands/dht-commands.js';
import type { PeerlayNode } from '../../cli/node/peerlay-node.js';
import { call, captureIo, startNodes, waitFor } from './helpers.js';

let nodes: PeerlayNode[] = [];

beforeAll(async () => {
  nodes = await startNodes(3);
});

afterAll(async () => {
  for (const n of nodes) await n.stop();
});

describe('GET /health: nat', () => {
  it('a node on 127.0.0.1 that pinged two others: not behind a NAT, at its own address', async () => {
    const node = nodes[1]!;
    await waitFor(async () => ((await call(node, 'GET', '/health')).body.nat as { mapping: string }).mapping !== 'unknown', 5_000, 'a NAT verdict');
    const { status, body } = await call(node, 'GET', '/health');
    expect(status).toBe(200);
    expect(body.nat).toMatchObject({ publicAddress: addressKey(node.address), publicHost: '127.0.0.1', mapping: 'none', behindNat: false, stale: false });
    const nat = body.nat as { observations: number; reporterGroups: number; changedAt: number; updatedAt: number };
    expect(nat.observations).toBeGreaterThanOrEqual(2);
    expect(nat.reporterGroups).toBe(nat.observations); // each loopback node is its own group
    expect(nat.changedAt).toBeLessThanOrEqual(nat.updatedAt);
  });
});

describe('peerlay status: nat', () => {
  it('prints the NAT line after the address', async () => {
    const node = nodes[2]!;
    await waitFor(() => node.dht.nat.status.mapping !== 'unknown', 5_000, 'a NAT verdict');
    const io = captureIo();
    expect(await main(['status', '--api', `http://${addressKey(node.apiAddress!)}`], io)).toBe(0);
    const lines = io.out().split('\n');
    const at = lines.findIndex((l) => l.startsWith('address '));
    expect(lines[at + 1]).toBe(`nat       not behind a NAT, public address ${addressKey(node.address)}`);
    const json = captureIo();
    expect(await main(['status', '--json', '--api', `http://${addressKey(node.apiAddress!)}`], json)).toBe(0);
    expect(JSON.parse(json.out()).health.nat.mapping).toBe('none');
  });

  it('says each mapping in words', () => {
    const base = { publicAddress: '198.18.5.1:40123', publicHost: '198.18.5.1', behindNat: true, stale: false, observations: 4 };
    expect(natLine({ ...base, mapping: 'endpoint-independent' })).toBe('behind a cone NAT (endpoint-independent mapping), public address 198.18.5.1:40123');
    expect(natLine({ ...base, publicAddress: null, mapping: 'address-dependent' })).toBe(
      'behind a symmetric NAT (address-dependent mapping: a new public port per peer), public IP 198.18.5.1',
    );
    expect(natLine({ ...base, behindNat: false, mapping: 'none', stale: true })).toBe(
      'not behind a NAT, public address 198.18.5.1:40123; the latest answers disagree, asking more nodes',
    );
    expect(natLine({ ...base, publicAddress: null, publicHost: null, behindNat: false, mapping: 'unknown', observations: 1 })).toBe(
      'unknown yet (1 observation: it takes 2 nodes that answered its pings)',
    );
  });
});
