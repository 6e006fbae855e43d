/**
 * Assembling a value from chunks that arrive from several storers: each chunk is checked against the whole
 * key (a storer checks only the 20-byte location), kept once per index, and the assembled value is checked
 * against the key again before anyone sees it.
 * @module
 */
import { concatBytes, equalBytes } from '../../framework/index.js';
import { chunkCount, locationOf, matchesKey, rootKey } from './chunks.js';
import { checkChunk } from './policy.js';
import type { ImmutableChunk } from './policy.js';

/** Collects the chunks of the value under one key. */
export class ChunkCollector {
  /** Chunks offered that did not match the key (dropped). */
  rejected = 0;
  private slots: Array<Uint8Array | undefined> | undefined;
  private filled = 0;
  private readonly location: Uint8Array;

  /** @param key the 32-byte key. */
  constructor(private readonly key: Uint8Array) {
    this.location = locationOf(key);
  }

  /**
   * Offers a chunk: kept when it is a piece of the value under the key and its index is still missing.
   * @returns false when it does not match the key (counted in {@link ChunkCollector.rejected}).
   */
  offer(c: ImmutableChunk): boolean {
    if (checkChunk(c, this.location) !== 'valid' || !equalBytes(rootKey(c.length, c.hashes), this.key)) {
      this.rejected++;
      return false;
    }
    this.slots ??= new Array<Uint8Array | undefined>(chunkCount(c.length)).fill(undefined);
    if (this.slots[c.index] === undefined) {
      this.slots[c.index] = c.chunk;
      this.filled++;
    }
    return true;
  }

  /** True when every chunk is here. */
  get complete(): boolean {
    return this.slots !== undefined && this.filled === this.slots.length;
  }

  /** True once a chunk arrived, so the number of chunks is known. */
  get known(): boolean {
    return this.slots !== undefined;
  }

  /** The indices of the chunks still missing, ascending (none while the number of chunks is unknown). */
  missingIndices(): number[] {
    return (this.slots ?? []).flatMap((s, i) => (s === undefined ? [i] : []));
  }

  /** Chunks still missing (the most a value has, while none arrived). */
  missing(maxChunks: number): number {
    return this.slots === undefined ? maxChunks : this.slots.length - this.filled;
  }

  /** The paging cursor to ask a storer with: the id before the first missing chunk (none for chunk 0). */
  get cursor(): Uint8Array | undefined {
    const first = this.slots === undefined ? 0 : this.slots.indexOf(undefined);
    return first <= 0 ? undefined : Uint8Array.of(first - 1);
  }

  /** @returns the value when complete and it hashes to the key, else `undefined`. */
  value(): Uint8Array | undefined {
    if (!this.complete) return undefined;
    const value = concatBytes(...(this.slots as Uint8Array[]));
    return matchesKey(value, this.key) ? value : undefined;
  }
}
