import { describe, expect, it } from 'vitest';
import { PeerStore } from '../../../framework/community/peer-store.js';
import { PrivateKey, SeededRandom } from '../../../framework/index.js';

const keys = Array.from({ length: 4 }, () => PrivateKey.generate().publicKey);
const at = (i: number): { host: string; port: number } => ({ host: `198.18.0.${i}`, port: 7000 });

describe('PeerStore', () => {
  it('answers as an empty store before its first peer or address, and after clear', () => {
    const store = new PeerStore();
    const random = new SeededRandom(1);
    for (let round = 0; round < 2; round++) {
      expect([store.size, store.walkableCount]).toEqual([0, 0]);
      expect(store.peers()).toEqual([]);
      expect(store.getByMid(keys[0]!.midHex)).toBeUndefined();
      expect(store.getByAddress(at(1))).toBeUndefined();
      expect(store.randomPeer(random)).toBeUndefined();
      expect(store.takeWalkable(random)).toBeUndefined();
      store.addVerified(keys[0]!, at(1), 5);
      store.addWalkable(at(2));
      expect([store.size, store.walkableCount]).toEqual([1, 1]);
      store.clear();
    }
  });

  it('keeps verified peers by mid and address, moves a peer that changed address, and refuses new ones past maxPeers', () => {
    const store = new PeerStore({ maxPeers: 2, maxWalkable: 2 });
    store.addWalkable(at(1));
    const first = store.addVerified(keys[0]!, at(1), 10);
    expect(first.added).toBe(true);
    expect(store.walkableCount).toBe(0); // verified now
    expect(store.addVerified(keys[0]!, at(2), 20)).toEqual({ peer: first.peer, added: false });
    expect(store.getByAddress(at(1))).toBeUndefined();
    expect(store.getByAddress(at(2))?.lastSeen).toBe(20);
    store.addVerified(keys[1]!, at(3), 30);
    expect(store.addVerified(keys[2]!, at(4), 40)).toEqual({ peer: undefined, added: false });
    store.remove(first.peer!);
    expect(store.peers().map((p) => p.midHex)).toEqual([keys[1]!.midHex]);
    store.addWalkable(at(3)); // a verified peer's address is not walkable
    for (const i of [5, 6, 7]) store.addWalkable(at(i));
    expect(store.walkableCount).toBe(2);
    const taken = [store.takeWalkable(new SeededRandom(2)), store.takeWalkable(new SeededRandom(3))].map((a) => a?.host).sort();
    expect(taken).toEqual(['198.18.0.6', '198.18.0.7']);
    expect(store.walkableCount).toBe(0);
  });
});
