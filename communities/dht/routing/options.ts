/**
 * Options of the {@link RoutingTable}, their defaults and their validation.
 * @module
 */
import { InvalidArgumentError } from '../../../framework/errors.js';
import { CryptoRandom, type Random } from '../../../framework/random/random.js';
import type { Contact } from './contact.js';
import type { RoutingTable } from './routing-table.js'; // for {@link} in TSDoc

/** Default number of contacts per bucket (Kademlia's k, py-ipv8's value). */
export const DEFAULT_BUCKET_SIZE = 8;
/** Most wide far buckets ({@link RoutingTableOptions.wideBuckets}): the first then holds 256 times k. */
export const MAX_WIDE_BUCKETS = 8;
/** Default number of consecutive failures after which a contact is removed. */
export const DEFAULT_MAX_FAILURES = 3;
/** Default time after which a bucket nobody touched is due for refresh: 15 minutes. */
export const DEFAULT_STALE_AFTER_MS = 15 * 60_000;

/**
 * Decides whether a new contact may enter a bucket (e.g. at most 2 addresses per /24 per bucket).
 * Consulted before a new contact is added to a bucket or its replacement cache, and again before a
 * replacement is promoted. Must not modify its arguments.
 * @param candidate the contact that wants in.
 * @param bucketContacts the live contacts of the bucket it belongs to.
 * @param toReplacements true when the bucket is full, so the candidate would only wait in the replacement
 *   cache (the policy runs again before it is promoted): an expensive table-wide check may be left out.
 * @returns true to admit it.
 */
export type AdmitPolicy = (candidate: Readonly<Contact>, bucketContacts: readonly Contact[], toReplacements?: boolean) => boolean;

/** Options of a {@link RoutingTable}. */
export interface RoutingTableOptions {
  /**
   * Most live contacts per bucket (Kademlia's k).
   * @default 8
   */
  bucketSize?: number;
  /**
   * Wide far buckets (like libtorrent's extended routing table): the far bucket of the ids that share
   * `i < wideBuckets` leading bits with ours holds up to `bucketSize * 2 ** (wideBuckets - i)` contacts, so
   * with 2 the bucket for half of all ids holds 4 k and the next 2 k. A lookup toward an id in such a
   * bucket starts up to `wideBuckets` bits nearer its target (like Kademlia's accelerated lookups, b > 1,
   * for the first hop), at the cost of more contacts kept. Our own bucket still splits at `bucketSize`.
   * 0 gives plain k-buckets.
   * @default 0
   */
  wideBuckets?: number;
  /**
   * Consecutive failures ({@link RoutingTable.fail}) after which a contact is removed.
   * @default 3
   */
  maxFailures?: number;
  /**
   * Most replacement candidates kept per full bucket; 0 disables the cache.
   * @default bucketSize
   */
  replacementCacheSize?: number;
  /**
   * Width of the id space in bits, which bounds the depth of bucket splits; at most `selfId.length * 8`.
   * @default selfId.length * 8 (160 for 20-byte ids)
   */
  idBits?: number;
  /**
   * A bucket not added to, touched or refreshed for this long is returned by {@link RoutingTable.staleBuckets}.
   * @default 900_000 (15 minutes)
   */
  staleAfterMs?: number;
  /**
   * Source of refresh targets.
   * @default new CryptoRandom()
   */
  random?: Random;
  /**
   * Admission policy for new contacts (the IP-diversity hook).
   * @default a policy that admits everything
   */
  admit?: AdmitPolicy;
  /**
   * Groups the live contacts are counted by ({@link RoutingTable.countOf}), kept up to date as contacts
   * come, go and move, so an admission policy can read a table-wide count without scanning the table
   * (the IP-diversity caps count by IP group).
   * @default none: nothing is counted
   */
  countBy?: (contact: Readonly<Contact>) => string;
}

/** {@link RoutingTableOptions} with every default applied and every value checked. */
export type ResolvedRoutingTableOptions = Readonly<Required<Omit<RoutingTableOptions, 'countBy'>>> & { readonly countBy: RoutingTableOptions['countBy'] };

/** Throws unless `value` is an integer in `min..max`; returns it. */
export function checkInt(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}

/**
 * Applies the defaults of {@link RoutingTableOptions} for a table whose ids have `idBytes` bytes.
 * @throws an {@link InvalidArgumentError} naming the first option out of range.
 */
export function resolveOptions(idBytes: number, options: RoutingTableOptions): ResolvedRoutingTableOptions {
  const bucketSize = checkInt('bucketSize', options.bucketSize ?? DEFAULT_BUCKET_SIZE, 1);
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  if (!(staleAfterMs > 0)) throw new InvalidArgumentError(`staleAfterMs must be > 0, got ${staleAfterMs}`);
  return {
    bucketSize,
    wideBuckets: checkInt('wideBuckets', options.wideBuckets ?? 0, 0, MAX_WIDE_BUCKETS),
    maxFailures: checkInt('maxFailures', options.maxFailures ?? DEFAULT_MAX_FAILURES, 1),
    replacementCacheSize: checkInt('replacementCacheSize', options.replacementCacheSize ?? bucketSize, 0),
    idBits: checkInt('idBits', options.idBits ?? idBytes * 8, 1, idBytes * 8),
    staleAfterMs,
    random: options.random ?? new CryptoRandom(),
    admit: options.admit ?? (() => true),
    countBy: options.countBy,
  };
}
