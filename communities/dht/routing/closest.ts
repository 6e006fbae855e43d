/**
 * The bucket walk behind {@link RoutingTable.closest}.
 * @module
 */
import { bitAt, type Bucket } from './bucket.js';
import type { Contact } from './contact.js';
import { compareDistance } from './node-id.js';
import type { RoutingTable } from './routing-table.js'; // for {@link} in TSDoc

/**
 * The `n` contacts of `chain` closest to `target` by XOR, closest first, visiting buckets in distance order
 * and sorting only the buckets it needs. Equal to a full sort of every contact, truncated to `n`.
 *
 * `chain` is the routing table's bucket chain along `selfId`: `chain[i]` for `i < last` holds the ids whose
 * first differing bit from `selfId` is `i`; `chain[last]` holds the ids sharing at least `last` bits.
 * For `x` in `chain[i]` (`i < last`), `x ^ target` agrees on bits `0..i-1` with `selfId ^ target` and has
 * bit `i` equal to `selfId[i] == target[i] ? 1 : 0`. Comparing two buckets at the first bit where these
 * patterns differ gives the order: first the buckets `i` where `target[i] != selfId[i]`, shallowest first,
 * then our own bucket, then the buckets where `target[i] == selfId[i]`, deepest first.
 *
 * @param filter called on candidates of the visited buckets, nearest first, until `n` are taken; false skips a contact.
 */
export function closestInChain(
  chain: readonly Bucket[],
  selfId: Uint8Array,
  target: Uint8Array,
  n: number,
  filter?: (contact: Contact) => boolean,
): Contact[] {
  const out: Contact[] = [];
  if (n <= 0) return out;
  const byDistance = (a: Contact, b: Contact): number => compareDistance(target, a.id, b.id);
  /** Appends the bucket's contacts in distance order; true once `n` are collected. */
  const visit = (bucket: Bucket | undefined): boolean => {
    if (bucket === undefined || bucket.contacts.length === 0) return false;
    // Sorted first, filtered as taken: the same contacts in the same order as filtering first, and the
    // filter (the DHT's looks up each contact's address) is not asked about those past the n-th.
    const sorted = bucket.contacts.slice().sort(byDistance);
    for (const c of sorted) {
      if (filter !== undefined && !filter(c)) continue;
      out.push(c);
      if (out.length >= n) return true;
    }
    return false;
  };
  const last = chain.length - 1;
  for (let i = 0; i < last; i++) {
    if (bitAt(target, i) !== bitAt(selfId, i) && visit(chain[i])) return out;
  }
  if (visit(chain[last])) return out;
  for (let i = last - 1; i >= 0; i--) {
    if (bitAt(target, i) === bitAt(selfId, i) && visit(chain[i])) return out;
  }
  return out;
}
