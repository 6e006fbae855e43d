/**
 * `npm run bench -- micro`: sign, verify, encode, decode and full signed-packet throughput
 * (encode + sign, then decode + verify) for both crypto backends, and the serve bench's node answering
 * tagged finds fed straight to its receive path (`bench/micro-serve.ts`).
 * @module
 */
import { PairKeys, PrivateKey, nobleBackend, nodeBackend } from '../framework/crypto/index.js';
import { SeededRandom } from '../framework/random/random.js';
import { decodePacket, defineMessage, encodePacket, makePrefix } from '../framework/wire/packet.js';
import { defineSchema, t } from '../framework/wire/schema.js';
import { measureRate } from './measure.js';
import { benchCrypto } from './micro-crypto.js';
import { benchWire } from './micro-wire.js';
import { measureServeInProcess } from './micro-serve.js';

/** One row of the micro benchmark. */
export interface MicroResult {
  /** What was measured. */
  name: string;
  /** Crypto backend, or `-` when none is involved. */
  backend: string;
  /** Operations per second. */
  opsPerSec: number;
}

const Store = defineMessage({
  id: 1,
  name: 'store',
  signed: true,
  schema: defineSchema({ id: t.u64(), key: t.bytes({ length: 20 }), data: t.bytes({ max: 1024 }), version: t.uint() }),
});

/** Runs every micro benchmark for about `durationMs` each. */
export async function runMicro(durationMs = 300): Promise<MicroResult[]> {
  const results: MicroResult[] = [];
  for (const r of await benchCrypto({ durationMs })) results.push({ name: r.name, backend: r.backend, opsPerSec: r.opsPerSec });
  for (const r of benchWire({ durationMs })) results.push({ name: r.name, backend: '-', opsPerSec: r.opsPerSec });
  const prefix = makePrefix(new Uint8Array(20).fill(7));
  const value = { id: 123_456_789n, key: new Uint8Array(20).fill(1), data: new Uint8Array(200).fill(2), version: 1_700_000_000_000 };
  for (const backend of [nodeBackend, nobleBackend]) {
    const key = PrivateKey.generate(new SeededRandom(1), backend);
    const signer = { publicKeyBinary: key.publicKey.toBinary(), sign: (m: Uint8Array) => key.sign(m) };
    const verify = (_pk: Uint8Array, m: Uint8Array, s: Uint8Array) => key.publicKey.verify(m, s);
    const packet = encodePacket(prefix, Store, value, signer);
    results.push({ name: 'packet encode+sign', backend: backend.name, opsPerSec: measureRate(durationMs, () => encodePacket(prefix, Store, value, signer)) });
    results.push({
      name: 'packet decode+verify',
      backend: backend.name,
      opsPerSec: measureRate(durationMs, () => {
        if (!decodePacket(Store, packet, verify).ok) throw new Error('bench packet failed to decode');
      }),
    });
    const peer = PrivateKey.generate(new SeededRandom(2), backend);
    const mac = new PairKeys(key).macFor(peer.publicKey)!;
    const theirs = new PairKeys(peer);
    const checkMac = (_pk: Uint8Array, m: Uint8Array, t: Uint8Array) => theirs.check(key.publicKey, m, t);
    const tagged = encodePacket(prefix, Store, value, signer, mac);
    results.push({ name: 'packet encode+tag', backend: backend.name, opsPerSec: measureRate(durationMs, () => encodePacket(prefix, Store, value, signer, mac)) });
    results.push({
      name: 'packet decode+check-tag',
      backend: backend.name,
      opsPerSec: measureRate(durationMs, () => {
        if (!decodePacket(Store, tagged, verify, checkMac).ok) throw new Error('bench packet failed to decode');
      }),
    });
  }
  // The node's own work per tagged find, no syscall: 1e6 / the CPU µs of the fastest of 5 runs of 5,000.
  const serve = await measureServeInProcess({ packets: 5_000, runs: 5 });
  results.push({ name: 'serve: tagged find answered, in process', backend: '-', opsPerSec: Math.round(1e6 / serve.minUs) });
  return results;
}
