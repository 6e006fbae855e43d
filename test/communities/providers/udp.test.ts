/**
 * Provider records over real UDP: 6 nodes on 127.0.0.1 (ephemeral ports, no other address). Three nodes
 * provide a key; every node finds all three at 127.0.0.1 (the address the storers saw) with the port each
 * named, or by default the UDP port the storers saw (implied, as BEP 5's implied_port); a relayed announcement is refused; stopProviding is local; a
 * lookup nobody answers is `unreachable`, an aborted one `aborted`.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHTCommunity, hashKey } from '../../../communities/dht/index.js';
import { ProvidersCommunity, signProviderRecord } from '../../../communities/providers/index.js';
import type { Provider } from '../../../communities/providers/index.js';
import { addressKey } from '../../../framework/index.js';
import type { OverlayHost } from '../../../framework/index.js';
import { udpOverlay } from '../../helpers/udp-overlay.js';

let hosts: OverlayHost[] = [];
const shown = (ps: readonly Provider[]): string[] => ps.map((p) => `${p.mid} ${addressKey(p.address)}`).sort();

beforeAll(async () => {
  hosts = await udpOverlay(6, (h) => {
    h.register(ProvidersCommunity);
  });
  for (const h of hosts) expect(h.endpoint.address.host).toBe('127.0.0.1');
  for (const h of hosts) expect(h.get(DHTCommunity).routingTable.size).toBe(5);
});

afterAll(async () => {
  for (const h of hosts) await h.stop();
});

describe('provider records over UDP on 127.0.0.1 (6 nodes)', () => {
  it('three providers are found by every node, at the address the storers saw', async () => {
    const p = hosts.map((h) => h.get(ProvidersCommunity));
    const outcomes = await Promise.all([p[1]!.provide('udp file', { port: 4_001 }), p[2]!.provide('udp file', { port: 4_002 }), p[3]!.provide('udp file')]);
    for (const o of outcomes) expect(o.stored).toBe(5); // every other node (k = 8 > 6): never the provider itself
    expect(outcomes[2]!.port).toBe(0); // the default port: implied, the UDP port the storers see
    const expected = [
      `${hosts[1]!.midHex} 127.0.0.1:4001`,
      `${hosts[2]!.midHex} 127.0.0.1:4002`,
      `${hosts[3]!.midHex} 127.0.0.1:${hosts[3]!.endpoint.address.port}`,
    ].sort();
    for (const c of p) expect(shown(await c.findProviders('udp file'))).toEqual(expected);
    const streamed: Provider[] = [];
    for await (const found of p[5]!.findProvidersAsync('udp file')) streamed.push(found);
    expect(shown(streamed)).toEqual(expected);
  });

  it('a third party relaying an announcement is refused by every storer', async () => {
    const [provider, relay] = [hosts[4]!.get(ProvidersCommunity), hosts[5]!.get(ProvidersCommunity)];
    const now = provider.now();
    const a = signProviderRecord(provider.context.key, { key: hashKey('udp relayed'), port: 9, version: now, expiresAt: now + 3_600_000 });
    const outcome = await relay.records.client.publish(hashKey('udp relayed'), [{ record: a, expiresAt: a.expiresAt }], { includeSelf: false });
    expect(outcome.verdicts).toEqual({ invalid: 5 });
    expect(hosts.reduce((n, h) => n + h.get(ProvidersCommunity).counters.notFromProvider, 0)).toBe(5);
    expect(await hosts[0]!.get(ProvidersCommunity).findProviders('udp relayed')).toEqual([]);
  });

  it('stopProviding ends the renewals; providing again moves the port', async () => {
    const p1 = hosts[1]!.get(ProvidersCommunity);
    await p1.provide('udp file', { port: 5_001 });
    const found = await hosts[0]!.get(ProvidersCommunity).findProviders('udp file');
    expect(found.find((f) => f.mid === hosts[1]!.midHex)!.address).toEqual({ host: '127.0.0.1', port: 5_001 });
    expect(p1.stopProviding('udp file')).toBe(true);
    expect(p1.providing()).toEqual([]);
  });

  it('a lookup nobody answers is unreachable, not "no providers"; an aborted one is aborted', async () => {
    const finder = hosts[0]!.get(ProvidersCommunity);
    const controller = new AbortController();
    controller.abort();
    await expect(finder.findProviders('nobody has it', { signal: controller.signal })).rejects.toMatchObject({ name: 'ProvidersError', reason: 'aborted' });
    expect(await finder.findProviders('nobody has it')).toEqual([]); // asked, and nobody has it
    for (const h of hosts.slice(1)) await h.stop();
    await expect(finder.findProviders('nobody has it')).rejects.toMatchObject({ name: 'ProvidersError', reason: 'unreachable' });
    // What it holds as a storer is still found: the providers of 'udp file' announced to it.
    expect((await finder.findProviders('udp file')).length).toBe(3);
  });
});
