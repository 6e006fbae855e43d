/**
 * BEP 5 style store tokens: a node answering a lookup hands the asker a token bound to the asker's address,
 * and accepts a store only with a token it issued recently. This stops a node from storing on behalf of an
 * address it does not hold.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Address } from '../../../framework/endpoint/address.js';
import { addressKey } from '../../../framework/endpoint/address.js';
import { InvalidArgumentError } from '../../../framework/errors.js';
import type { Random } from '../../../framework/random/random.js';
import type { Clock } from '../../../framework/time/clock.js';
import { concatBytes, utf8 } from '../../../framework/util/bytes.js';
import { sharedKey } from '../../../framework/util/shared-key.js';

/** Size of a store token in bytes. */
export const TOKEN_BYTES = 8;

/** How often the token secret changes: 5 minutes, so a token stays valid for 5 to 10 minutes. */
export const TOKEN_ROTATE_MS = 5 * 60_000;

/** Size of the token secret in bytes. */
export const TOKEN_SECRET_BYTES = 32;

/**
 * Issues and checks store tokens: the first {@link TOKEN_BYTES} bytes of
 * `SHA-256(secret | utf8(addressKey(address)))`, where `addressKey` is `host:port` (`[host]:port` for
 * IPv6). A token is accepted under the current secret or the previous one. The secret rotates lazily,
 * judged against `clock.now()` on each call, so there are no timers to clean up.
 *
 * @example
 * ```ts
 * const tokens = new TokenManager(clock, random);
 * const token = tokens.issue(sender);      // sent in the find-value answer
 * tokens.verify(token, sender);            // true for the next 5 to 10 minutes
 * ```
 */
export class TokenManager {
  /**
   * Slot in {@link TokenManager.slab} of the token under the current secret, by address key: a requester's
   * token is hashed once per secret, not per find. Both made at the first token (a node never asked for
   * one pays nothing).
   */
  private memo: Map<string, number> | undefined;
  /** The remembered tokens, {@link TOKEN_BYTES} each, in the order they were made. */
  private slab: Uint8Array | undefined;
  private current: Uint8Array;
  private previous: Uint8Array | undefined;
  private rotatedAt: number;
  private lastAddress: Address | undefined;
  private lastHost = '';
  private lastPort = -1;
  private lastKey = '';

  /**
   * @param clock the time source for rotation.
   * @param random the source of the secrets.
   * @param rotateMs how often the secret changes, in ms. @default 300_000 ({@link TOKEN_ROTATE_MS})
   * @param onVerified told of every address that presented a valid token: it proved it receives there
   *   (the node's amplification budget lifts its limit). @default none
   * @throws `InvalidArgumentError` when `rotateMs` is not a positive number.
   */
  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly rotateMs: number = TOKEN_ROTATE_MS,
    private readonly onVerified?: (address: Address) => void,
  ) {
    if (!(typeof rotateMs === 'number' && Number.isFinite(rotateMs) && rotateMs > 0)) {
      throw new InvalidArgumentError(`rotateMs must be a positive number of ms, got ${rotateMs}`);
    }
    this.current = random.bytes(TOKEN_SECRET_BYTES);
    this.previous = undefined;
    this.rotatedAt = clock.now();
  }

  /**
   * @param address the address the token is for (the sender of the request being answered).
   * @returns a {@link TOKEN_BYTES}-byte token valid for that address only.
   */
  issue(address: Address): Uint8Array {
    this.rotate();
    const at = this.currentToken(this.keyOf(address));
    return this.slab!.slice(at, at + TOKEN_BYTES);
  }

  /**
   * Checks a token presented with a store request, in constant time per secret.
   * @param token the token the requester sent.
   * @param address the address the store request came from.
   * @returns true if it was issued to `address` under the current or the previous secret.
   */
  verify(token: Uint8Array, address: Address): boolean {
    this.rotate();
    if (!(token instanceof Uint8Array) || token.length !== TOKEN_BYTES) return false;
    const key = this.keyOf(address);
    const at = this.currentToken(key);
    const current = constantTimeEqual(token, this.slab!, at);
    const previous = !current && this.previous !== undefined && constantTimeEqual(token, tokenFor(this.previous, key), 0);
    if (current || previous) this.onVerified?.(address);
    return current || previous;
  }

  /**
   * `addressKey(address)`, remembered for the last address object asked about: a find checks the token it
   * carries, then issues a fresh one, both for the same source address object.
   */
  private keyOf(address: Address): string {
    if (address !== this.lastAddress || address.host !== this.lastHost || address.port !== this.lastPort) {
      this.lastAddress = address;
      this.lastHost = address.host;
      this.lastPort = address.port;
      this.lastKey = sharedKey(addressKey(address)); // the process's copy: the memo keeps no string of its own
    }
    return this.lastKey;
  }

  private rotate(): void {
    const steps = Math.floor((this.clock.now() - this.rotatedAt) / this.rotateMs);
    if (steps <= 0) return;
    // After two or more periods nothing issued under either old secret may be accepted.
    this.previous = steps === 1 ? this.current : undefined;
    this.current = this.random.bytes(TOKEN_SECRET_BYTES);
    this.rotatedAt += steps * this.rotateMs;
    this.memo?.clear();
  }

  /**
   * The token of the address with key `key` under the current secret (remembered, a bounded few).
   * @returns its offset in {@link TokenManager.slab}.
   */
  private currentToken(key: string): number {
    const memo = (this.memo ??= new Map());
    let at = memo.get(key);
    if (at === undefined) {
      if (memo.size >= TOKEN_MEMO_ENTRIES) memo.clear();
      at = memo.size * TOKEN_BYTES;
      (this.slab ??= new Uint8Array(TOKEN_MEMO_ENTRIES * TOKEN_BYTES)).set(tokenFor(this.current, key), at);
      memo.set(key, at);
    }
    return at;
  }
}

/**
 * Most tokens a {@link TokenManager} remembers (about 70 bytes of heap each with its key, and 8 in the
 * slab; past it, it starts over): enough for the requesters of a busy moment (the serve bench's 32 clients).
 */
const TOKEN_MEMO_ENTRIES = 64;

function tokenFor(secret: Uint8Array, key: string): Uint8Array {
  return sha256(concatBytes(secret, utf8(key))).subarray(0, TOKEN_BYTES);
}

/** True when the {@link TOKEN_BYTES}-byte `token` equals `b[at .. at + TOKEN_BYTES)`, in time independent of where they differ. */
function constantTimeEqual(token: Uint8Array, b: Uint8Array, at: number): boolean {
  let diff = 0;
  for (let i = 0; i < TOKEN_BYTES; i++) diff |= token[i]! ^ b[at + i]!;
  return diff === 0;
}
