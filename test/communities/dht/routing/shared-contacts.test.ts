import { describe, expect, it } from 'vitest';
import { PrivateKey } from '../../../../framework/crypto/keys.js';
import { SeededRandom } from '../../../../framework/random/random.js';
import { toHex } from '../../../../framework/util/bytes.js';
import { RoutingTable } from '../../../../communities/dht/routing/routing-table.js';
import { StepClock } from './helpers.js';

const address = { host: '10.0.0.7', port: 4000 };

function tableOf(selfByte: number): RoutingTable {
  const self = new Uint8Array(20);
  self[0] = selfByte;
  return new RoutingTable(self, new StepClock());
}

describe('RoutingTable: contacts share their bytes', () => {
  it('tables holding the same peer share one copy of its id, key and address, never the caller arrays', () => {
    const key = PrivateKey.generate(new SeededRandom(5)).publicKey;
    const init = () => ({ id: key.mid.slice(), address, publicKeyBinary: key.toBinary() });
    const given = init();
    const one = tableOf(0x01);
    const two = tableOf(0x02);
    one.add(given);
    two.add(init());
    const a = one.get(key.mid)!;
    const b = two.get(key.mid)!;
    expect(a.id).toBe(b.id);
    expect(a.publicKeyBinary).toBe(b.publicKeyBinary);
    expect(a.address).toBe(b.address);
    expect(a.address).not.toBe(address);
    expect(Object.isFrozen(a.address)).toBe(true);
    expect(a.id).not.toBe(given.id);
    expect(a.publicKeyBinary).not.toBe(given.publicKeyBinary);
    given.id[0] = given.id[0]! ^ 0xff;
    given.publicKeyBinary[40] = given.publicKeyBinary[40]! ^ 0xff;
    expect(toHex(a.id)).toBe(key.midHex);
    expect(toHex(a.publicKeyBinary!)).toBe(toHex(key.toBinary()));
  });

  it('a refresh with another key or address replaces them, one with the same keeps the objects', () => {
    const key = PrivateKey.generate(new SeededRandom(6)).publicKey;
    const other = PrivateKey.generate(new SeededRandom(7)).publicKey;
    const table = tableOf(0x03);
    table.add({ id: key.mid, address, publicKeyBinary: key.toBinary() });
    const c = table.get(key.mid)!;
    const [addressBefore, keyBefore] = [c.address, c.publicKeyBinary];
    table.add({ id: key.mid, address: { ...address }, publicKeyBinary: key.toBinary() });
    expect([c.address, c.publicKeyBinary]).toEqual([addressBefore, keyBefore]);
    expect(c.address).toBe(addressBefore);
    expect(c.publicKeyBinary).toBe(keyBefore);
    table.add({ id: key.mid, address: { host: '10.0.0.8', port: 4001 }, publicKeyBinary: other.toBinary() });
    expect(c.address).toEqual({ host: '10.0.0.8', port: 4001 });
    expect(toHex(c.publicKeyBinary!)).toBe(toHex(other.toBinary()));
    expect(table.snapshot()).toEqual([{ id: key.midHex, host: '10.0.0.8', port: 4001, publicKey: toHex(other.toBinary()) }]);
  });
});
