/**
 * The last store token each node issued us, so our finds prove our address (and get full answers).
 * @module
 */

/** Bounded LRU of tokens by node id (hex). */
export class PeerTokens {
  private readonly tokens = new Map<string, Uint8Array>();

  /** @param capacity most tokens remembered. @default 4096 */
  constructor(private readonly capacity = 4_096) {}

  /** The last token node `hex` issued us, if any. */
  get(hex: string): Uint8Array | undefined {
    return this.tokens.get(hex);
  }

  /** Remembers `token` as node `hex`'s latest. */
  remember(hex: string, token: Uint8Array): void {
    this.tokens.delete(hex);
    this.tokens.set(hex, token);
    if (this.tokens.size > this.capacity) {
      const oldest = this.tokens.keys().next().value;
      if (oldest !== undefined) this.tokens.delete(oldest);
    }
  }
}
