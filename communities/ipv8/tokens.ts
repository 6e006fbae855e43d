/**
 * Store tokens in py-ipv8's manner (`DHTCommunity.generate_token`): SHA-1 of the requester's identity and
 * address and a secret, the secret rotated every 300 s and the last two accepted, so a token is valid
 * 300 to 600 s. A token is opaque to the requester, so this side binds it to the requester's mid and
 * address (py-ipv8 hashes `str(node)`, which holds the same two).
 * @module
 */
import { createHash } from 'node:crypto';
import type { Address } from '../../framework/endpoint/address.js';
import type { Random } from '../../framework/random/random.js';
import { equalBytes, toHex } from '../../framework/util/bytes.js';

/** py-ipv8's token secret rotation interval. */
export const IPV8_TOKEN_ROTATE_MS = 300_000;
/** py-ipv8's `TOKEN_EXPIRATION_TIME`: how long a token another node gave us is used. */
export const IPV8_TOKEN_EXPIRATION_MS = 600_000;
const SECRET_BYTES = 16;

/** Issues and checks store tokens. */
export class Ipv8Tokens {
  #secrets: Uint8Array[];

  /** @param random source of secrets. */
  constructor(private readonly random: Random) {
    this.#secrets = [random.bytes(SECRET_BYTES)];
  }

  /** Starts a new secret; the previous one stays accepted (py-ipv8's `token_maintenance`). */
  rotate(): void {
    this.#secrets = [this.#secrets[this.#secrets.length - 1]!, this.random.bytes(SECRET_BYTES)];
  }

  /** The token of the node with `mid` at `address`. */
  issue(mid: Uint8Array, address: Address): Uint8Array {
    return this.#token(mid, address, this.#secrets[this.#secrets.length - 1]!);
  }

  /** True when `token` is one of ours for `mid` at `address`. */
  check(mid: Uint8Array, address: Address, token: Uint8Array): boolean {
    return this.#secrets.some((s) => equalBytes(this.#token(mid, address, s), token));
  }

  #token(mid: Uint8Array, address: Address, secret: Uint8Array): Uint8Array {
    return new Uint8Array(createHash('sha1').update(`${address.host}:${address.port}|${toHex(mid)}`).update(secret).digest());
  }
}
