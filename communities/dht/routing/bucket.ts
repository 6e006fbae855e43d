/**
 * One k-bucket of the routing table: the contacts whose ids start with a given prefix, plus a bounded
 * cache of replacements heard from while the bucket was full. Internal to the routing table.
 * @module
 */
import { equalBytes } from '../../../framework/util/bytes.js';
import type { Contact } from './contact.js';
import { maskPrefix, prefixToBitString } from './node-id.js';
import type { BucketInfo } from './types.js';

/** A k-bucket. Both lists are ordered by `lastSeen`: least recently seen first, most recently seen last. */
export class Bucket {
  /** Live contacts, at most the table's bucket size. */
  readonly contacts: Contact[] = [];
  /** Candidates to promote when a live contact is removed, at most the table's replacement cache size. */
  readonly replacements: Contact[] = [];

  /**
   * @param selfId the table's own id (shared, not copied): the bucket's range is read from it.
   * @param depth number of significant prefix bits.
   * @param far true for the far half of a split (its last prefix bit differs from `selfId`'s), false for
   *   the bucket holding `selfId` (and the root).
   * @param lastChanged when the bucket was last added to, touched or refreshed (ms since the epoch).
   */
  constructor(
    private readonly selfId: Uint8Array,
    readonly depth: number,
    private readonly far: boolean,
    public lastChanged: number,
  ) {}

  /**
   * The bucket's range: ids whose first `depth` bits equal these (bits past `depth` are 0). A new array
   * each call, made from `selfId` (every bucket is one half of a split of the bucket holding it), so a
   * table of a simulated node does not keep an array per bucket.
   */
  get prefix(): Uint8Array {
    const prefix = maskPrefix(this.selfId, this.depth);
    const last = this.depth - 1;
    if (this.far) prefix[last >> 3] = prefix[last >> 3]! ^ (0x80 >> (last & 7));
    return prefix;
  }
}

/** Index of the contact with id `id` in `list`, or -1. */
export function indexOfId(list: readonly Contact[], id: Uint8Array): number {
  for (let i = 0; i < list.length; i++) if (equalBytes(list[i]!.id, id)) return i;
  return -1;
}

/** Moves `list[index]` to the end of `list` (most recently seen). */
export function moveToTail(list: Contact[], index: number): void {
  const [c] = list.splice(index, 1);
  if (c !== undefined) list.push(c);
}

/** Inserts `contact` into `list` keeping it ordered by `lastSeen` (after entries seen at the same time). */
export function insertByLastSeen(list: Contact[], contact: Contact): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.lastSeen > contact.lastSeen) i--;
  list.splice(i, 0, contact);
}

/** Bit `index` of `id` (most significant bit of byte 0 first), unchecked: `index` must be in range. */
export function bitAt(id: Uint8Array, index: number): number {
  return (id[index >> 3]! >> (7 - (index & 7))) & 1;
}

/**
 * Splits the bucket holding `selfId` (at depth `d`) into two buckets of depth `d + 1`: the far one (bit `d`
 * differs from `selfId`) and the near one (holds `selfId`). Contacts and replacements keep their order;
 * both halves keep the parent's `lastChanged`.
 * @returns `[far, near]`.
 */
export function splitBucket(own: Bucket, selfId: Uint8Array): [far: Bucket, near: Bucket] {
  const depth = own.depth;
  const near = new Bucket(selfId, depth + 1, false, own.lastChanged);
  const far = new Bucket(selfId, depth + 1, true, own.lastChanged);
  const selfBit = bitAt(selfId, depth);
  for (const c of own.contacts) (bitAt(c.id, depth) === selfBit ? near : far).contacts.push(c);
  for (const c of own.replacements) (bitAt(c.id, depth) === selfBit ? near : far).replacements.push(c);
  return [far, near];
}

/** A read-only copy of `bucket` for status pages; `containsSelf` marks our own bucket. */
export function bucketInfo(bucket: Bucket, containsSelf: boolean): BucketInfo {
  const prefix = bucket.prefix;
  return {
    prefix,
    prefixBits: prefixToBitString(prefix, bucket.depth),
    depth: bucket.depth,
    containsSelf,
    contacts: bucket.contacts.slice(),
    replacements: bucket.replacements.slice(),
    lastChanged: bucket.lastChanged,
  };
}
