/**
 * Micro-benchmark of Ed25519 signing and verification through `PrivateKey` and `PublicKey`, and of
 * the pairwise packet tags that replace them between known peers (X25519 agreement, HMAC tag, check),
 * for each signature backend. Returns numbers only; the bench CLI prints them.
 * @module
 */
import type { SignatureBackend } from '../framework/crypto/index.js';
import { nobleBackend, nodeBackend, PairKeys, PrivateKey } from '../framework/crypto/index.js';
import { SeededRandom } from '../framework/random/random.js';

/** Time spent in each measured loop unless told otherwise. */
export const DEFAULT_BENCH_DURATION_MS = 300;

/** Size of the signed message: a typical authenticated packet body. */
const MESSAGE_BYTES = 200;

/** Options of {@link benchCrypto}. */
export interface BenchCryptoOptions {
  /**
   * Wall-clock time of each measured loop (one per operation and backend), in milliseconds.
   * @default 300
   */
  durationMs?: number;
}

/** One measured operation. */
export interface CryptoBenchResult {
  /**
   * The operation: `'sign'`, `'verify'`, `'agree'` (X25519 agreement with a peer key, what a new peer costs
   * {@link PairKeys}), `'tag'` and `'check-tag'` (a pairwise packet tag made and checked, keys held).
   */
  name: string;
  /** The backend measured: `'node'` or `'noble'`. */
  backend: string;
  /** Operations per second. */
  opsPerSec: number;
}

/** Runs `op` repeatedly for about `durationMs` and returns its rate in operations per second. */
function measure(durationMs: number, op: () => unknown): number {
  const warmUpEnd = performance.now() + Math.min(50, durationMs / 10);
  while (performance.now() < warmUpEnd) op();
  let ops = 0;
  const start = performance.now();
  const end = start + durationMs;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 8; i++) op();
    ops += 8;
    now = performance.now();
  }
  return Math.round((ops * 1000) / (now - start));
}

/**
 * Measures sign and verify throughput of every backend, each in a time-boxed loop over one key and a
 * 200-byte message.
 * @param opts see {@link BenchCryptoOptions}.
 * @returns one result per operation and backend: sign, verify, agree, tag, check-tag; node then noble.
 * @example
 * ```ts
 * for (const r of await benchCrypto({ durationMs: 300 })) console.log(r.name, r.backend, r.opsPerSec);
 * ```
 */
export async function benchCrypto(opts: BenchCryptoOptions = {}): Promise<CryptoBenchResult[]> {
  const durationMs = opts.durationMs ?? DEFAULT_BENCH_DURATION_MS;
  const results: CryptoBenchResult[] = [];
  const backends: readonly SignatureBackend[] = [nodeBackend, nobleBackend];
  for (const backend of backends) {
    const random = new SeededRandom(1);
    const key = PrivateKey.generate(random, backend);
    const message = random.bytes(MESSAGE_BYTES);
    const signature = key.sign(message);
    results.push({ name: 'sign', backend: backend.name, opsPerSec: measure(durationMs, () => key.sign(message)) });
    const publicKey = key.publicKey;
    const verify = (): void => {
      if (!publicKey.verify(message, signature)) throw new Error('benchmark signature did not verify');
    };
    results.push({ name: 'verify', backend: backend.name, opsPerSec: measure(durationMs, verify) });
    const peer = PrivateKey.generate(random, backend);
    results.push({ name: 'agree', backend: backend.name, opsPerSec: measure(durationMs, () => key.sharedSecret(peer.publicKey)) });
    const mine = new PairKeys(key);
    const theirs = new PairKeys(peer);
    const mac = mine.macFor(peer.publicKey)!;
    const tag = mac.tag(message);
    results.push({ name: 'tag', backend: backend.name, opsPerSec: measure(durationMs, () => mac.tag(message)) });
    const check = (): void => {
      if (!theirs.check(key.publicKey, message, tag)) throw new Error('benchmark tag did not check');
    };
    results.push({ name: 'check-tag', backend: backend.name, opsPerSec: measure(durationMs, check) });
    await new Promise<void>((resolve) => setImmediate(resolve)); // let other work run between loops
  }
  return results;
}
