/**
 * The record engine serves a record type it has never seen: the toy notes policy (notes-policy.ts, the
 * example of docs/records.md) gets storage, paging, quotas, replication and persistence from the engine.
 */
import 'reflect-metadata';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryDatastore, RECORD_VERDICTS } from '../../../communities/dht/index.js';
import { DHTCommunity, hashKey } from '../../../communities/dht/index.js';
import { utf8 } from '../../../framework/index.js';
import type { OverlayHost } from '../../../framework/index.js';
import { overlayNet } from '../../helpers/overlay-net.js';
import type { OverlayNet } from '../../helpers/overlay-net.js';
import { NotesCommunity } from './notes-policy.js';

let net: OverlayNet | undefined;
afterEach(async () => {
  if (net !== undefined) expect(await net.stopAndDrain()).toBe(0);
  net = undefined;
});

/** A host setup that registers the DHT first, as the notes community requires. */
function withDht(setup: (host: OverlayHost) => void): (host: OverlayHost) => void {
  return (host) => {
    host.register(DHTCommunity);
    setup(host);
  };
}

function notes(n: OverlayNet, i: number): NotesCommunity {
  return n.hosts[i]!.get(NotesCommunity);
}

describe('a toy record type on the record engine', () => {
  it('stores a note on the k closest nodes and another node finds it', async () => {
    net = await overlayNet(6, 101, (h) => void h.register(NotesCommunity));
    const outcome = await net.clock.settle(notes(net, 0).add('topic', 'hello'));
    expect(outcome.stored).toBe(6); // k = 8 > 6 nodes: every node holds it, the publisher as its own
    expect(outcome.verdicts).toEqual({ stored: 5 });
    expect(await net.clock.settle(notes(net, 5).read('topic'))).toEqual(['hello']);
  });

  it('pages: 60 notes of 250 bytes (several datagrams from each storer) are all read', async () => {
    net = await overlayNet(4, 102, (h) => void h.register(NotesCommunity));
    const texts = Array.from({ length: 60 }, (_, i) => `${String(i).padStart(3, '0')}${'x'.repeat(247)}`);
    const engine = notes(net, 0).engine;
    const outcome = await net.clock.settle(engine.publish(texts.map((text) => ({ topic: hashKey('many'), text: utf8(text) })), { ttlMs: 3_600_000 }));
    expect(outcome.acks).toBe(3);
    const read = await net.clock.settle(notes(net, 3).read('many'));
    expect(read.sort()).toEqual([...texts].sort());
    const served = [0, 1, 2].map((i) => notes(net!, i).engine.statistics.pagesServed);
    expect(Math.max(...served)).toBeGreaterThan(5); // at most 5 such notes fit one datagram
  });

  it('quotas: one source fills only its share; this node still stores its own note', async () => {
    net = await overlayNet(3, 103, (h) => void h.register(NotesCommunity, { store: { maxRecords: 40, maxRecordsPerSource: 10, maxRecordsPerGroup: 10 } }));
    const [stranger, victim] = [notes(net, 0), notes(net, 1)];
    const victimPeer = { id: net.hosts[1]!.key.publicKey.mid, address: net.hosts[1]!.endpoint.address };
    const token = net.dhts[1]!.tokens.issue(net.hosts[0]!.endpoint.address);
    const items = Array.from({ length: 30 }, (_, i) => ({ record: { topic: hashKey(`spam ${i}`), text: utf8(`spam ${i}`) }, expiresAt: net!.clock.now() + 600_000 }));
    const verdicts: string[] = [];
    for (const item of items) verdicts.push(...(await net.clock.settle(stranger.engine.client.storeOn({ peer: victimPeer, token }, item.record.topic, [item]))));
    expect(verdicts.filter((v) => v === 'stored')).toHaveLength(10);
    expect(verdicts.filter((v) => v === 'quota')).toHaveLength(20);
    expect(victim.engine.store.usage(net.hosts[0]!.endpoint.address).source.records).toBe(10);
    const own = await net.clock.settle(victim.add('mine', 'kept'));
    expect(own.keptHere).toBe(true);
    expect(victim.engine.store.get(hashKey('mine')).map((h) => h.origin)).toEqual(['local']);
    expect(RECORD_VERDICTS).toContain('quota');
  });

  it('replicates: a node that joins among the k closest gets the note from the storers', async () => {
    net = await overlayNet(4, 104, (h) => void h.register(NotesCommunity));
    await net.clock.settle(notes(net, 0).add('replicated', 'reaches newcomers'));
    const newcomer = await net.addHost({ bootstrap: [net.hosts[0]!.endpoint.address], setup: withDht((h) => void h.register(NotesCommunity)) });
    const engine = newcomer.get(NotesCommunity).engine;
    expect(engine.store.get(hashKey('replicated'))).toHaveLength(0);
    await net.clock.advance(30_000); // the newcomer joins
    await net.clock.advance(700_000); // a replication interval (10 min) and an upkeep round
    expect(engine.store.get(hashKey('replicated')).map((h) => new TextDecoder().decode(h.record.text))).toEqual(['reaches newcomers']);
    expect(engine.store.get(hashKey('replicated'))[0]!.origin).toBe('store');
  });

  it('persists: what a node accepted is in its datastore, and a fresh engine restores it', async () => {
    const datastore = new MemoryDatastore();
    let i = 0;
    net = await overlayNet(3, 105, (h) => void h.register(NotesCommunity, i++ === 1 ? { datastore } : {}));
    await net.clock.settle(notes(net, 0).add('kept', 'on disk'));
    expect(datastore.size('notes')).toBe(1);
    const fresh = await net.addHost({ setup: withDht((h) => void h.register(NotesCommunity, { datastore })) });
    const engine = fresh.get(NotesCommunity).engine;
    expect(engine.restore()).toEqual({ restored: 1, expired: 0, refused: 0 });
    expect(engine.store.get(hashKey('kept')).map((h) => new TextDecoder().decode(h.record.text))).toEqual(['on disk']);
    await net.clock.advance(3_700_000); // past the note's lifetime: the upkeep sweeps it, from the datastore too
    expect(datastore.size('notes')).toBe(0);
  });
});

describe('docs/records.md', () => {
  it('shows the notes policy and community exactly as notes-policy.ts has them', async () => {
    const { readFileSync } = await import('node:fs');
    const source = readFileSync(new URL('./notes-policy.ts', import.meta.url), 'utf8');
    const doc = readFileSync(new URL('../../../docs/records.md', import.meta.url), 'utf8');
    const blocks = [...source.matchAll(/\/\/ docs:start (\w+)\n([\s\S]*?)\/\/ docs:end\n/g)];
    expect(blocks.map((b) => b[1])).toEqual(['policy', 'community']);
    for (const [, name, code] of blocks) expect(doc.includes(`\`\`\`ts\n${code!.trimEnd()}\n\`\`\``), name).toBe(true);
  });
});
