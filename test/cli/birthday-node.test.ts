/**
 * A `peerlay node`'s probe sockets over real UDP on 127.0.0.1: a batch opens real sockets that each send
 * a probe, the first packet back pins the target to that socket (which answers with a probe), and the
 * node's own traffic to the target then leaves from the pinned port; unhit sockets close with the batch
 * and everything closes with the node. `birthday: false` (`--no-birthday`) leaves discovery without them.
 */
import 'reflect-metadata';
import { afterEach, describe, expect, it } from 'vitest';
import { UdpEndpoint, isProbe } from '../../framework/index.js';
import type { Address } from '../../framework/index.js';
import { PeerlayNode } from '../../cli/node/peerlay-node.js';
import { waitFor } from './helpers.js';

const started: PeerlayNode[] = [];
const sockets: UdpEndpoint[] = [];
afterEach(async () => {
  for (const n of started.splice(0)) await n.stop();
  for (const s of sockets.splice(0)) await s.close();
});

describe('peerlay node probe sockets over real UDP', () => {
  it('a batch of 8 real sockets probes a target; its answer pins the target to one port, which carries the node\'s traffic', async () => {
    const node = await PeerlayNode.start({ port: 0, http: null });
    started.push(node);
    expect(node.discovery.birthday.enabled).toBe(true);
    const target = new UdpEndpoint({ host: '127.0.0.1', port: 0 });
    sockets.push(target);
    await target.open();
    const got: Array<{ probe: boolean; size: number; from: Address }> = [];
    target.addListener((data, from) => got.push({ probe: isProbe(data), size: data.length, from }));
    const probing = node.relay.probing;
    const batch = (await probing.openBatch(target.address, 8))!;
    expect(batch.size).toBe(8);
    await waitFor(() => got.length === 8, 5_000, 'eight probes');
    const ports = new Set(got.map((g) => g.from.port));
    expect(ports.size).toBe(8);
    expect(ports.has(node.address.port)).toBe(false);
    expect(got.every((g) => g.probe)).toBe(true);
    // The target answers the third socket: it is pinned and answers with one probe.
    const chosen = got[2]!.from;
    target.send(chosen, new Uint8Array([1, 2, 3]));
    await waitFor(() => probing.isPinned(target.address), 5_000, 'the pin');
    await waitFor(() => got.length === 9, 5_000, 'the probe back');
    expect(got[8]).toMatchObject({ probe: true, from: chosen });
    // The node's own datagrams to the target now leave from the pinned port.
    node.host.endpoint.send(target.address, new Uint8Array(100));
    await waitFor(() => got.length === 10, 5_000, 'the pinned send');
    expect(got[9]).toMatchObject({ probe: false, size: 100, from: chosen });
    await batch.close();
    expect(probing.probing.socketsOpen).toBe(1);
    await node.stop();
    started.pop();
    expect(probing.probing.socketsOpen).toBe(0);
  });

  it('birthday: false leaves discovery without probe sockets (--no-birthday)', async () => {
    const node = await PeerlayNode.start({ port: 0, http: null, birthday: false });
    started.push(node);
    expect(node.discovery.birthday.enabled).toBe(false);
  });
});
