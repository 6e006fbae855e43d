/**
 * The last store token each node issued us, so our finds prove our address (and get full answers).
 * @module
 */
import { sharedKey } from '../../framework/util/shared-key.js';

/**
 * Bounded LRU of tokens by node id (hex). A token is kept as a short string of its bytes (one char per
 * byte): a few dozen bytes of heap, where a `Uint8Array` costs a few hundred, and a decoded token may be a
 * view into the whole received packet, which must not stay alive with it.
 */
export class PeerTokens {
  private readonly tokens = new Map<string, string>();

  /** @param capacity most tokens remembered. @default 4096 */
  constructor(private readonly capacity = 4_096) {}

  /** Number of tokens remembered. */
  get size(): number {
    return this.tokens.size;
  }

  /** The last token node `hex` issued us, if any (a new array each call). */
  get(hex: string): Uint8Array | undefined {
    const packed = this.tokens.get(hex);
    if (packed === undefined) return undefined;
    const token = new Uint8Array(packed.length);
    for (let i = 0; i < packed.length; i++) token[i] = packed.charCodeAt(i);
    return token;
  }

  /** Remembers (a copy of) `token` as node `hex`'s latest. */
  remember(hex: string, token: Uint8Array): void {
    this.tokens.delete(hex);
    let packed = '';
    for (let i = 0; i < token.length; i += 1_024) packed += String.fromCharCode(...token.subarray(i, i + 1_024));
    this.tokens.set(sharedKey(hex), packed); // the process's copy of the id, not one string per entry
    if (this.tokens.size > this.capacity) {
      const oldest = this.tokens.keys().next().value;
      if (oldest !== undefined) this.tokens.delete(oldest);
    }
  }
}
