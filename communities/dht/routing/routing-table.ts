/**
 * The Kademlia routing table: k-buckets over the XOR metric, split only along our own id, with
 * replacement caches. Pure data structure: no networking, time from an injected {@link Clock}.
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { InvalidArgumentError } from '../../../framework/errors.js';
import type { Clock } from '../../../framework/time/clock.js';
import { equalBytes } from '../../../framework/util/bytes.js';
import { Bucket, bucketInfo, indexOfId, insertByLastSeen, moveToTail, splitBucket } from './bucket.js';
import { checkContactAddress, type Contact, type ContactInit, newContact, refreshContact } from './contact.js';
import { closestInChain } from './closest.js';
import { commonPrefixLength, randomIdInRange } from './node-id.js';
import { checkInt, type ResolvedRoutingTableOptions, resolveOptions, type RoutingTableOptions } from './options.js';
import { parseSnapshotEntry, type SnapshotEntry, toSnapshotEntry } from './snapshot.js';
import type { AddResult, BucketInfo, RefreshTarget, RoutingTableEvents } from './types.js';
import type { NODE_ID_BYTES } from './node-id.js'; // for {@link} in TSDoc

/**
 * A Kademlia routing table. Buckets form a chain along our own id: bucket `i` (for `i` below the last)
 * holds the ids sharing exactly `i` leading bits with ours; the last bucket holds the ids sharing at least
 * as many bits as its depth, and is the only one that splits.
 *
 * @example
 * ```ts
 * const table = new RoutingTable(myId, clock);
 * const result = table.add({ id, address });
 * if (result.status === 'full') pingThenTouchOrFail(result.pingCandidate);
 * const nearest = table.closest(target, 8);
 * ```
 */
export class RoutingTable extends EventEmitter<RoutingTableEvents> {
  /** Our own node id (a copy); never added to the table. */
  readonly selfId: Uint8Array;
  /** The options in force, defaults applied. */
  readonly options: ResolvedRoutingTableOptions;
  private readonly clock: Clock;
  /** `table[i]` for `i < last` holds ids with exactly `i` leading bits in common with ours; `table[last]` the rest. */
  private readonly table: Bucket[];
  private count = 0;
  private pending: Array<() => void> = [];
  /** Live contacts per `options.countBy` group (only groups with at least one). */
  private readonly groups = new Map<string, number>();

  /**
   * @param selfId our node id (any non-zero length; {@link NODE_ID_BYTES} in production).
   * @param clock source of `lastSeen` and staleness times.
   * @param options tuning; see {@link RoutingTableOptions}.
   * @throws an {@link InvalidArgumentError} when `selfId` is empty or an option is out of range.
   */
  constructor(selfId: Uint8Array, clock: Clock, options: RoutingTableOptions = {}) {
    super();
    if (!(selfId instanceof Uint8Array) || selfId.length === 0) {
      throw new InvalidArgumentError('selfId must be a non-empty Uint8Array');
    }
    this.selfId = Uint8Array.from(selfId);
    this.clock = clock;
    this.options = resolveOptions(selfId.length, options);
    this.table = [new Bucket(this.selfId, 0, false, clock.now())];
  }

  /**
   * Builds a table and loads a {@link RoutingTable.snapshot} into it.
   * @throws an {@link InvalidArgumentError} as the constructor and {@link RoutingTable.load} do.
   */
  static restore(
    selfId: Uint8Array,
    clock: Clock,
    entries: readonly SnapshotEntry[],
    options?: RoutingTableOptions,
  ): RoutingTable {
    const table = new RoutingTable(selfId, clock, options);
    table.load(entries);
    return table;
  }

  /** Number of live contacts (replacement candidates not counted). */
  get size(): number {
    return this.count;
  }

  /**
   * Records that we heard from a node. A known contact is refreshed (address, key, `lastSeen`, failures
   * reset) and becomes the most recently seen; a new one is admitted into its bucket, splitting our own
   * bucket as needed; when its bucket is full it goes to the replacement cache instead.
   * @returns the outcome; `rejected` for our own id, a wrong-length id or an admit-policy refusal.
   * @throws an {@link InvalidArgumentError} when the address is malformed.
   */
  add(contact: ContactInit): AddResult {
    try {
      return this.addContact(contact);
    } finally {
      this.flush();
    }
  }

  /**
   * Marks a contact as seen alive: `lastSeen` now, failures reset, most recently seen in its list.
   * @returns false when the id is neither live nor a replacement candidate.
   * @throws an {@link InvalidArgumentError} when `id` has the wrong length.
   */
  touch(id: Uint8Array): boolean {
    const bucket = this.bucketFor(id);
    const now = this.clock.now();
    for (const list of [bucket.contacts, bucket.replacements]) {
      const i = indexOfId(list, id);
      if (i < 0) continue;
      const c = list[i]!;
      c.lastSeen = now;
      c.failures = 0;
      moveToTail(list, i);
      if (list === bucket.contacts) bucket.lastChanged = now;
      return true;
    }
    return false;
  }

  /**
   * Counts a failed request to a contact. At `maxFailures` consecutive failures a live contact is removed
   * and the most recent admissible replacement takes its place; a replacement candidate is dropped.
   * @returns false when the id is unknown.
   * @throws an {@link InvalidArgumentError} when `id` has the wrong length.
   */
  fail(id: Uint8Array): boolean {
    const bucket = this.bucketFor(id);
    const live = indexOfId(bucket.contacts, id);
    const list = live >= 0 ? bucket.contacts : bucket.replacements;
    const i = live >= 0 ? live : indexOfId(bucket.replacements, id);
    if (i < 0) return false;
    const c = list[i]!;
    c.failures++;
    if (c.failures >= this.options.maxFailures) this.removeAt(bucket, list, i);
    this.flush();
    return true;
  }

  /**
   * Removes a contact (live or replacement candidate). A freed live slot is filled from the replacements.
   * @returns false when the id is unknown.
   * @throws an {@link InvalidArgumentError} when `id` has the wrong length.
   */
  remove(id: Uint8Array): boolean {
    const bucket = this.bucketFor(id);
    const live = indexOfId(bucket.contacts, id);
    const list = live >= 0 ? bucket.contacts : bucket.replacements;
    const i = live >= 0 ? live : indexOfId(bucket.replacements, id);
    if (i < 0) return false;
    this.removeAt(bucket, list, i);
    this.flush();
    return true;
  }

  /**
   * The live contact with this id (a live entry: do not mutate it).
   * @throws an {@link InvalidArgumentError} when `id` has the wrong length.
   */
  get(id: Uint8Array): Contact | undefined {
    const bucket = this.bucketFor(id);
    return bucket.contacts[indexOfId(bucket.contacts, id)];
  }

  /**
   * True if a live contact has this id.
   * @throws an {@link InvalidArgumentError} when `id` has the wrong length.
   */
  has(id: Uint8Array): boolean {
    return this.get(id) !== undefined;
  }

  /**
   * True when adding a new contact with this id could make it live, now or after an eviction ping: its
   * bucket has room, is our own (it can split), or its least recently seen contact was last seen before
   * `goodSince`. False when the newcomer could only wait in the replacement cache.
   * @throws an {@link InvalidArgumentError} when `id` has the wrong length.
   */
  mayAdmit(id: Uint8Array, goodSince: number): boolean {
    const bucket = this.bucketFor(id);
    if (bucket.contacts.length < this.capacity(bucket)) return true;
    if (bucket === this.ownBucket() && bucket.depth < this.options.idBits) return true;
    return bucket.contacts[0]!.lastSeen < goodSince;
  }

  /**
   * The `n` live contacts closest to `target` by XOR, closest first, among those passing `filter`.
   * Walks the buckets in distance order and sorts only the buckets it needs.
   * @param filter called on candidates (possibly more than are returned); return false to skip one.
   * @throws an {@link InvalidArgumentError} when `target` has the wrong length or `n` is not an integer >= 0.
   */
  closest(target: Uint8Array, n: number, filter?: (contact: Contact) => boolean): Contact[] {
    this.checkId(target, 'target');
    return closestInChain(this.table, this.selfId, target, checkInt('n', n, 0), filter);
  }

  /**
   * Live contacts in the bucket that holds `id` (at most the bucket's capacity): for a bucket other than our
   * own, every live contact sharing exactly as many leading bits with our id as `id` does.
   * @throws an {@link InvalidArgumentError} when `id` has the wrong length.
   */
  bucketLoad(id: Uint8Array): number {
    return this.bucketFor(id).contacts.length;
  }

  /** Live contacts whose `options.countBy` group is `group` (0 when the table counts no groups). */
  countOf(group: string): number {
    return this.groups.get(group) ?? 0;
  }

  /** All live contacts, bucket by bucket (shallowest first), least recently seen first within a bucket. */
  contacts(): Contact[] {
    return this.table.flatMap((b) => b.contacts);
  }

  /** The same contacts as {@link RoutingTable.contacts}, in the same order, without building an array. */
  *iterate(): IterableIterator<Contact> {
    for (const b of this.table) yield* b.contacts;
  }

  /** A read-only view of every bucket, shallowest first; the last one holds our own id. */
  buckets(): BucketInfo[] {
    const last = this.table.length - 1;
    return this.table.map((b, i) => bucketInfo(b, i === last));
  }

  /**
   * Buckets idle for at least `staleAfterMs`, each with a random lookup target inside its range.
   * @param now the time to judge staleness at, in ms since the epoch; defaults to `clock.now()`.
   */
  staleBuckets(now: number = this.clock.now()): RefreshTarget[] {
    const out: RefreshTarget[] = [];
    for (const b of this.table) {
      if (now - b.lastChanged < this.options.staleAfterMs) continue;
      const prefix = b.prefix;
      const target = randomIdInRange(this.options.random, prefix, b.depth);
      out.push({ depth: b.depth, prefix, target });
    }
    return out;
  }

  /**
   * Marks the bucket whose range holds `id` as refreshed now: call it after a lookup for `id` completes.
   * @throws an {@link InvalidArgumentError} when `id` has the wrong length.
   */
  markRefreshed(id: Uint8Array): void {
    this.bucketFor(id).lastChanged = this.clock.now();
  }

  /** The live contacts as JSON-friendly records, least recently seen first within each bucket. */
  snapshot(): SnapshotEntry[] {
    return this.contacts().map(toSnapshotEntry);
  }

  /**
   * Adds the contacts of a {@link RoutingTable.snapshot}, in order, as if heard from now.
   * All entries are checked before any is added.
   * @returns how many became live contacts.
   * @throws an {@link InvalidArgumentError} naming the first malformed entry.
   */
  load(entries: readonly SnapshotEntry[]): number {
    if (!Array.isArray(entries)) throw new InvalidArgumentError('snapshot must be an array');
    const parsed = entries.map((e, i) => parseSnapshotEntry(e, i, this.selfId.length));
    let added = 0;
    for (const init of parsed) if (this.add(init).status === 'added') added++;
    return added;
  }

  private addContact(init: ContactInit): AddResult {
    const id: unknown = init.id;
    if (!(id instanceof Uint8Array) || id.length !== this.selfId.length) {
      return { status: 'rejected', reason: 'invalid-id' };
    }
    if (equalBytes(id, this.selfId)) return { status: 'rejected', reason: 'self' };
    checkContactAddress(init.address);
    const now = this.clock.now();
    let bucket = this.bucketFor(id);
    const live = indexOfId(bucket.contacts, id);
    if (live >= 0) {
      const c = bucket.contacts[live]!;
      const address = c.address;
      refreshContact(c, init, now);
      if (c.address !== address && this.options.countBy !== undefined) {
        this.countGroup({ ...c, address }, -1);
        this.countGroup(c, 1);
      }
      moveToTail(bucket.contacts, live);
      bucket.lastChanged = now;
      return { status: 'updated', contact: c };
    }
    const cached = indexOfId(bucket.replacements, id);
    const candidate = cached >= 0 ? bucket.replacements.splice(cached, 1)[0]! : newContact(init);
    refreshContact(candidate, init, now);
    const { bucketSize, idBits } = this.options;
    while (bucket.contacts.length >= bucketSize && bucket === this.ownBucket() && bucket.depth < idBits) {
      this.split();
      bucket = this.bucketFor(id);
    }
    const toReplacements = bucket.contacts.length >= this.capacity(bucket);
    if (!this.options.admit(candidate, bucket.contacts, toReplacements)) return { status: 'rejected', reason: 'policy' };
    if (!toReplacements) {
      bucket.contacts.push(candidate);
      bucket.lastChanged = now;
      this.count++;
      this.countGroup(candidate, 1);
      this.pending.push(() => this.emit('peer:added', candidate));
      return { status: 'added', contact: candidate };
    }
    if (this.options.replacementCacheSize > 0) {
      bucket.replacements.push(candidate);
      if (bucket.replacements.length > this.options.replacementCacheSize) bucket.replacements.shift();
    }
    return { status: 'full', pingCandidate: bucket.contacts[0]! };
  }

  /**
   * Splits our own bucket in two, one bit deeper. Our own bucket only caches replacements once it can no
   * longer split, so the refill below is a safeguard that keeps the split correct on its own.
   */
  private split(): void {
    const depth = this.table.length - 1;
    const [far, near] = splitBucket(this.table[depth]!, this.selfId);
    this.table[depth] = far;
    this.table.push(near);
    this.promote(far);
    this.promote(near);
  }

  /** Removes `list[index]` of `bucket`; a removed live contact is replaced from the bucket's cache. */
  private removeAt(bucket: Bucket, list: Contact[], index: number): void {
    const [removed] = list.splice(index, 1);
    if (removed === undefined || list !== bucket.contacts) return;
    this.count--;
    this.countGroup(removed, -1);
    this.pending.push(() => this.emit('peer:removed', removed));
    const added = this.promote(bucket);
    if (added !== undefined) this.pending.push(() => this.emit('peer:replaced', { removed, added }));
  }

  /** Moves admissible replacements (most recent first) into `bucket` while it has room; returns the first. */
  private promote(bucket: Bucket): Contact | undefined {
    let first: Contact | undefined;
    let i = bucket.replacements.length - 1;
    const room = this.capacity(bucket);
    while (i >= 0 && bucket.contacts.length < room) {
      const c = bucket.replacements[i]!;
      if (this.options.admit(c, bucket.contacts)) {
        bucket.replacements.splice(i, 1);
        insertByLastSeen(bucket.contacts, c);
        this.count++;
        this.countGroup(c, 1);
        first ??= c;
        this.pending.push(() => this.emit('peer:added', c));
      }
      i--;
    }
    return first;
  }

  /** Counts a live contact in (`delta` 1) or out of (-1) its `options.countBy` group. */
  private countGroup(c: Readonly<Contact>, delta: 1 | -1): void {
    const countBy = this.options.countBy;
    if (countBy === undefined) return;
    const group = countBy(c);
    const n = (this.groups.get(group) ?? 0) + delta;
    if (n > 0) this.groups.set(group, n);
    else this.groups.delete(group);
  }

  /**
   * Most live contacts `bucket` holds: k, or for the far bucket of ids sharing `i < wideBuckets` leading
   * bits with ours (its depth is `i + 1`), k times `2 ** (wideBuckets - i)`. Our own bucket holds k (it
   * splits instead).
   */
  private capacity(bucket: Bucket): number {
    const { bucketSize, wideBuckets } = this.options;
    const shared = bucket.depth - 1;
    if (shared >= wideBuckets || bucket === this.ownBucket()) return bucketSize;
    return bucketSize * 2 ** (wideBuckets - shared);
  }

  private ownBucket(): Bucket {
    return this.table[this.table.length - 1]!;
  }

  private bucketFor(id: Uint8Array): Bucket {
    this.checkId(id, 'id');
    return this.table[Math.min(commonPrefixLength(this.selfId, id), this.table.length - 1)]!;
  }

  private checkId(id: Uint8Array, name: string): void {
    if (!(id instanceof Uint8Array) || id.length !== this.selfId.length) {
      throw new InvalidArgumentError(`${name} must be a Uint8Array of ${this.selfId.length} bytes`);
    }
  }

  /** Emits the events queued by the last operation, once the table is consistent. */
  private flush(): void {
    const queued = this.pending;
    this.pending = [];
    for (const emit of queued) emit();
  }
}
