/**
 * docs/coming-from.md: each seed system's calls written with Peerlay. Runs docs/examples/seed-systems.ts
 * and checks that every code block of the page is one of its regions, verbatim.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erlangDht, hivemind, hivemindValues, libp2p, pyIpv8, qadom, seedNetwork, stateOnDisk } from '../../docs/examples/seed-systems.js';
import type { SeedNetwork } from '../../docs/examples/seed-systems.js';
import { region } from '../helpers/doc-region.js';

const ROOT = new URL('../../', import.meta.url);
let net: SeedNetwork;

beforeAll(async () => {
  net = await seedNetwork();
});

afterAll(async () => {
  await net.stop();
});

describe('docs/coming-from.md', () => {
  it('every code block of the page is a region of the example, verbatim, and every region is on the page', () => {
    const doc = readFileSync(new URL('docs/coming-from.md', ROOT), 'utf8');
    const example = readFileSync(new URL('docs/examples/seed-systems.ts', ROOT), 'utf8');
    const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!.trimEnd());
    const names = [...example.matchAll(/\/\/ #region (\S+)/g)].map((m) => m[1]!);
    expect(names).toEqual(['py-ipv8', 'hivemind', 'hivemind-values', 'libp2p', 'erlang', 'erlang-state', 'qadom']);
    expect(blocks).toEqual(names.map((n) => region(example, n)));
  });

  it('py-ipv8: a signed value is found with its publisher, and connectPeer returns the peer with that mid', async () => {
    const r = await pyIpv8(net);
    expect(r.found).toEqual(['my value']);
    expect(r.signedBy).toBe(net.hosts[1]!.key.publicKey.midHex);
    expect(r.connected).toBe(net.hosts[2]!.key.publicKey.midHex);
  });

  it('hivemind: a new node joins from initial peers; three writers add subkeys and the reader gets all three', async () => {
    const r = await hivemind(net);
    expect(r.joined).toBeGreaterThan(0);
    expect(r.attendees).toEqual({ alice: 'yes', bob: 'yes', carol: 'no' });
  });

  it('hivemind values: latest gives the newer version, store_many/get_many find all three, a repeated find is one cache hit', async () => {
    const r = await hivemindValues(net);
    expect(r.latest).toBe('v2');
    expect(r.many).toEqual(['value a', 'value b', 'value c']);
    expect(r.cacheHits).toBe(1);
  });

  it('libp2p: put/get, provide/find providers (both providers), find peer, ping, bootstrap', async () => {
    const r = await libp2p(net);
    expect(r.value).toBe('v2');
    expect(r.providers).toEqual([net.hosts[6]!, net.hosts[7]!].map((h) => `${h.endpoint.address.host}:${h.endpoint.address.port}`).sort());
    expect(r.peer).toBe(net.hosts[7]!.key.publicKey.midHex);
    expect(r.rttMs).toBeGreaterThan(0);
    expect(r.contacts).toBeGreaterThan(0);
  });

  it('Erlang dht: ping answers with the pinged node; enter then lookup gives the observed IP with the named port', async () => {
    const r = await erlangDht(net);
    expect(r.pong).toBe(true);
    expect(r.found).toEqual([`${net.hosts[8]!.endpoint.address.host}:4000`]);
  });

  it('Erlang dht state on disk: a restarted node keeps its identity and finds its value alone', async () => {
    const r = await stateOnDisk();
    expect(r.sameIdentity).toBe(true);
    expect(r.foundAfterRestart).toEqual(['kept on disk']);
  });

  it('qadom: set/get by content, bag of two publishers, namespace under the publisher key', async () => {
    const r = await qadom(net);
    expect(r.got).toBe('any value up to 8 KiB');
    expect(r.bag).toEqual(['dht', 'p2p']);
    expect(r.namespace).toBe('alice');
  });
});
