/**
 * Namespace over real UDP: 5 nodes on 127.0.0.1 (ephemeral ports, no other address).
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHTCommunity } from '../../../communities/dht/index.js';
import { NamespaceCommunity } from '../../../communities/namespace/index.js';
import type { OverlayHost } from '../../../framework/index.js';
import { utf8 } from '../../../framework/index.js';
import { udpOverlay } from '../../helpers/udp-overlay.js';

let hosts: OverlayHost[] = [];
const text = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : new TextDecoder().decode(v));

beforeAll(async () => {
  hosts = await udpOverlay(5, (h) => {
    h.register(NamespaceCommunity);
  });
  for (const h of hosts) expect(h.endpoint.address.host).toBe('127.0.0.1');
  for (const h of hosts) expect(h.get(DHTCommunity).routingTable.size).toBe(4);
});

afterAll(async () => {
  for (const h of hosts) await h.stop();
});

describe('namespace over UDP on 127.0.0.1 (5 nodes)', () => {
  it('namespace: set then get from every node, in order, with CAS', async () => {
    const nss = hosts.map((h) => h.get(NamespaceCommunity));
    const writer = nss[1]!;
    const pk = writer.context.key.publicKey;
    for (let seq = 1; seq <= 3; seq++) {
      await writer.set('udp key', utf8(`v${seq}`), { seq });
      for (const n of nss) {
        const got = await n.get(pk, 'udp key');
        expect([got?.seq, text(got?.value)]).toEqual([seq, `v${seq}`]);
      }
    }
    await expect(writer.set('udp key', utf8('stale'), { seq: 2 })).rejects.toMatchObject({ reason: 'stale' });
    await expect(writer.set('udp key', utf8('cas'), { cas: 1 })).rejects.toMatchObject({ reason: 'conflict' });
    expect((await writer.set('udp key', utf8('v4'), { cas: 3 })).seq).toBe(4);
    expect(text((await nss[4]!.get(pk, 'udp key'))?.value)).toBe('v4');
  });
});
