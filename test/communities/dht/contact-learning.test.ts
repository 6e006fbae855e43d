/**
 * Contact learning refreshes a requester that is live at its address with a touch instead of a full
 * `add`: the table must end up exactly as if every packet had gone through `add` (same admissions, same
 * order, same last-seen times, failures reset, same bucket change times, same replacement caches).
 */
import { describe, expect, it } from 'vitest';
import { ContactLearning } from '../../../communities/dht/contact-learning.js';
import type { DHTCommunity } from '../../../communities/dht/dht-community.js';
import { RoutingTable } from '../../../communities/dht/routing/routing-table.js';
import type { Address, PublicKey } from '../../../framework/index.js';
import { ManualClock, PrivateKey, SeededRandom, sameAddress } from '../../../framework/index.js';

/** Everything a table shows: per bucket its change time, and its live and cached contacts in order. */
function state(table: RoutingTable): unknown {
  const contact = (c: { id: Uint8Array; address: Address; lastSeen: number; failures: number; publicKeyBinary?: Uint8Array | undefined }): unknown => ({
    id: Array.from(c.id),
    address: `${c.address.host}:${c.address.port}`,
    lastSeen: c.lastSeen,
    failures: c.failures,
    key: c.publicKeyBinary === undefined ? undefined : Array.from(c.publicKeyBinary),
  });
  return table.buckets().map((b) => ({ depth: b.depth, lastChanged: b.lastChanged, contacts: b.contacts.map(contact), replacements: b.replacements.map(contact) }));
}

describe('contact learning', () => {
  it('leaves the routing table as add would, packet after packet (known, moved, new, full buckets, failures)', async () => {
    const random = new SeededRandom(31);
    const clock = new ManualClock(1_000_000);
    const self = PrivateKey.generate(random).publicKey.mid;
    const options = { bucketSize: 4, replacementCacheSize: 3 };
    const table = new RoutingTable(self, clock, options);
    const reference = new RoutingTable(self, clock, options);
    // Just what addContact reads; not running, so it sends no eviction ping, challenge or verification.
    const dht = { routingTable: table, context: { clock }, settings: { goodContactMs: 60_000 }, isRunning: false, statistics: {} };
    const learning = new ContactLearning(dht as unknown as DHTCommunity);
    const peers: PublicKey[] = Array.from({ length: 40 }, () => PrivateKey.generate(random).publicKey);
    const addressOf = (i: number, moved: boolean): Address => ({ host: `10.0.${i}.1`, port: moved ? 2_000 : 1_000 });
    let touched = 0;
    const touch = table.touch.bind(table);
    table.touch = (id) => {
      touched++;
      return touch(id);
    };
    for (let step = 0; step < 1_200; step++) {
      await clock.advance(1 + random.int(5_000));
      const i = random.int(peers.length);
      const peer = peers[i]!;
      const roll = random.int(10);
      if (roll === 0) {
        // A failed request, in both tables.
        table.fail(peer.mid);
        reference.fail(peer.mid);
        continue;
      }
      const address = addressOf(i, roll === 1);
      const proven = roll <= 2;
      // What addContact did before the touch: add unless an unproven packet claims a new address.
      const known = reference.get(peer.mid);
      if (proven || known === undefined || sameAddress(known.address, address)) reference.add({ id: peer.mid, address, publicKeyBinary: peer.toBinary() });
      learning.addContact(peer, address, proven);
      expect(state(table), `step ${step}`).toStrictEqual(state(reference));
    }
    expect(touched).toBeGreaterThan(200); // the touch path ran
    expect(table.size).toBeGreaterThan(8); // buckets split and filled
    expect(table.buckets().some((b) => b.replacements.length > 0)).toBe(true); // full buckets cached newcomers
  });
});
