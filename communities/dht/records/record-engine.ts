/**
 * One record engine per record type: its store, the storer's answers to finds and stores, the client's
 * reads and publications, this node's own records (republished) and the upkeep (sweep, republish,
 * replicate) on the injected clock. A community that hosts a record type builds an engine from a
 * {@link RecordPolicy}, registers the engine's handlers for the type's messages, and starts and stops it.
 * @module
 */
import type { Incoming, TimerHandle } from '../../../framework/index.js';
import { decodeBody, toHex } from '../../../framework/index.js';
import { DHTError } from '../errors.js';
import type { RecordPolicy } from './policy.js';
import { RecordClient } from './record-client.js';
import type { FindRequestBody, StoreManyRequestBody, StoreRequestBody } from './record-messages.js';
import { answerFind, answerStore } from './record-server.js';
import type { RecordServerParts } from './record-server.js';
import { RecordStatistics } from './record-statistics.js';
import { RecordStore } from './record-store.js';
import { answerStoreMany, publishMany } from './store-many.js';
import { FindBatcher, FindManyIgnorers } from './find-many.js';
import type { FindManyMessages, FindManyRequestBody } from './find-many-messages.js';
import { answerFindMany } from './find-many-server.js';
import type { Publication } from './store-many.js';
import type { ClosestNode, EnginePublishOptions, OwnRecord, PublishOutcome, ReadOptions, ReadResult, RecordEngineOptions, StorerPage, TimedRecord } from './engine-types.js';

/** Most locations re-stored per upkeep round, so a node holding many spreads the work. */
const MAX_LOCATIONS_PER_TICK = 64;

/** The record engine of one record type on one node. */
export class RecordEngine<R, W> {
  /** What this node holds of the type. */
  readonly store: RecordStore<R>;
  /** Counters. */
  readonly statistics = new RecordStatistics();
  /** Reads and publications. */
  readonly client: RecordClient<R, W>;
  /** This node's own records by `locationHex/idHex`. */
  readonly own = new Map<string, OwnRecord<R>>();
  private first: TimerHandle | undefined;
  private timer: TimerHandle | undefined;
  private busy = false;
  private readonly server: RecordServerParts<R, W>;
  /** Nodes that ignored a multi-target find lately. */
  private readonly findManyIgnorers: FindManyIgnorers;

  /** @param options what the engine is built from. */
  constructor(private readonly options: RecordEngineOptions<R, W>) {
    const { policy, network, community, messages } = options;
    this.findManyIgnorers = new FindManyIgnorers(options.clock);
    this.store = new RecordStore(policy as RecordPolicy<R, unknown>, options.clock, options.store);
    this.client = new RecordClient<R, W>({
      messages,
      store: this.store,
      statistics: this.statistics,
      request: options.request,
      tokens: network.peerTokens,
      node: {
        id: network.nodeId,
        k: network.bucketSize,
        publicKeyBytes: community.context.key.publicKey.toBinary().length,
        maxPacketBytes: community.context.transport.maxPacketBytes,
      },
      closestNodes: (location, o) => network.findClosestNodes(location, o),
    });
    this.server = {
      responder: community,
      messages,
      store: this.store,
      tokens: network.tokens,
      statistics: this.statistics,
      closestContacts: (target, exclude) => network.closestContacts(target, network.bucketSize, exclude),
      onAccepted: options.onAccepted,
    };
  }

  /** The record type. */
  get policy(): RecordPolicy<R, W> {
    return this.options.policy;
  }

  /** Answers a find request (register it for the type's `FindRequest`). */
  answerFind(m: Incoming<FindRequestBody>): void {
    answerFind(this.server, m);
  }

  /** Answers a store request (register it for the type's `StoreRequest`). */
  answerStore(m: Incoming<StoreRequestBody<W>>): void {
    answerStore(this.server, m);
  }

  /** Answers a multi-location store request (register it for the type's `StoreManyRequest`, when it has one). */
  answerStoreMany(m: Incoming<StoreManyRequestBody<W>>): void {
    answerStoreMany(this.server, m);
  }

  /** Answers a multi-target find request (register it for the type's `FindManyRequest`, when it has one). */
  answerFindMany(messages: FindManyMessages<W>, m: Incoming<FindManyRequestBody>): void {
    answerFindMany(this.server, messages, m);
  }

  /**
   * A batcher for the finds of one bulk operation (`find-many.ts`): its lookups' queries for one node in
   * one turn go in multi-target requests.
   */
  findBatcher(messages: FindManyMessages<W>, options: { readonly records: boolean; readonly publisher: Uint8Array | undefined; readonly signal: AbortSignal | undefined }): FindBatcher<R, W> {
    const { community, request, network } = this.options;
    const client = this.client;
    return new FindBatcher<R, W>(
      {
        messages,
        request,
        tokens: network.peerTokens,
        node: { publicKeyBytes: community.context.key.publicKey.toBinary().length, maxPacketBytes: community.context.transport.maxPacketBytes },
        ignorers: this.findManyIgnorers,
        query: (peer, target, records, o) => client.query(peer, target, records, o),
        reply: (target, records, body, sender) => client.reply(target, records, body, sender),
        schedule: (fn) => community.after(0, fn),
      },
      options,
    );
  }

  /**
   * Publishes this node's records (all at one location) on the k closest nodes, and here, as its own
   * (`local`: exempt from the caps strangers fill), when this node is one of them; with `republish` other
   * than `never`, remembers them and republishes them.
   * @throws {@link DHTError} `too-large` (nothing sent) for a record that does not fit one datagram.
   */
  async publish(records: readonly R[], options: EnginePublishOptions): Promise<PublishOutcome> {
    if (records.length === 0) return { acks: 0, stored: 0, keptHere: false, verdicts: {}, refusals: {} };
    const now = this.options.clock.now();
    const { location, items } = this.prepare(records, options, now);
    const outcome = await this.client.publish(location, items, { signal: options.signal, paths: options.paths, cas: options.cas, nodes: options.nodes, origin: 'local', onEvent: options.onEvent, includeSelf: this.policy.directOnly !== true });
    this.remember(items, outcome, options, now);
    return outcome;
  }

  /**
   * Publishes several record sets of this node (each at one location, on the k closest nodes a lookup
   * found) as {@link RecordEngine.publish} publishes one, with the requests to one storer for several
   * locations in one datagram where the type has a multi-location store (a bulk store).
   * @returns per set, in order, its outcome or the `DHTError` that kept it from being sent (`too-large`).
   */
  async publishMany(sets: ReadonlyArray<{ readonly records: readonly R[]; readonly options: EnginePublishOptions & { readonly nodes: readonly ClosestNode[] } }>, signal?: AbortSignal): Promise<Array<PublishOutcome | DHTError>> {
    const now = this.options.clock.now();
    const results: Array<PublishOutcome | DHTError> = new Array(sets.length);
    const ready: Array<{ at: number; items: Array<TimedRecord<R>>; publication: Publication<R> }> = [];
    sets.forEach((set, at) => {
      if (set.records.length === 0) results[at] = { acks: 0, stored: 0, keptHere: false, verdicts: {}, refusals: {} };
      else {
        try {
          const { location, items } = this.prepare(set.records, set.options, now);
          ready.push({ at, items, publication: { location, items, nodes: set.options.nodes } });
        } catch (error) {
          results[at] = error instanceof DHTError ? error : new DHTError(String(error), 'rejected', { cause: error });
        }
      }
    });
    const { client } = this;
    const outcomes = await publishMany(
      {
        messages: this.options.messages,
        store: this.store,
        request: this.options.request,
        tokens: this.options.network.peerTokens,
        node: { publicKeyBytes: this.options.community.context.key.publicKey.toBinary().length, maxPacketBytes: this.options.community.context.transport.maxPacketBytes },
        storeOn: (node, location, items, o) => client.storeOn(node, location, items, o),
        isAmongClosest: (location, nodes) => client.isAmongClosest(location, nodes),
      },
      ready.map((r) => r.publication),
      { signal, origin: 'local', includeSelf: this.policy.directOnly !== true },
    );
    ready.forEach((r, i) => {
      const outcome = outcomes[i]!;
      this.remember(r.items, outcome, sets[r.at]!.options, now);
      results[r.at] = outcome;
    });
    return results;
  }

  /**
   * Checks that each record fits one datagram and gives each its expiry.
   * @throws {@link DHTError} `too-large` (nothing sent) for a record that does not fit one datagram.
   */
  private prepare(records: readonly R[], options: EnginePublishOptions, now: number): { location: Uint8Array; items: Array<TimedRecord<R>> } {
    for (const record of records) {
      if (!this.client.fitsOneDatagram(record, options.cas)) {
        throw new DHTError(`a ${this.policy.size(record)}-byte ${this.policy.name} record does not fit one ${this.options.community.context.transport.maxPacketBytes}-byte datagram`, 'too-large');
      }
    }
    const until = options.republish === 'keep-alive' ? options.keepAliveUntil : undefined;
    const expiresAt = Math.min(now + options.ttlMs, until ?? Number.POSITIVE_INFINITY);
    const items = records.map((record) => ({ record, expiresAt: Math.min(expiresAt, this.policy.signedExpiry?.(record) ?? expiresAt) }));
    return { location: this.policy.location(records[0]!), items };
  }

  /** Counts a publication and, unless `republish` is `never`, remembers its records as this node's own. */
  private remember(items: ReadonlyArray<TimedRecord<R>>, outcome: PublishOutcome, options: EnginePublishOptions, now: number): void {
    if (outcome.stored > 0) this.statistics.published++;
    else this.statistics.publishFailed++;
    const mode = options.republish ?? 'until-expiry';
    const until = mode === 'keep-alive' ? options.keepAliveUntil : undefined;
    if (outcome.stored > 0 && mode !== 'never') {
      for (const item of items) this.own.set(this.ownId(item.record), { record: item.record, ttlMs: options.ttlMs, expiresAt: item.expiresAt, publishedAt: now, keepAlive: mode === 'keep-alive', until });
    }
  }

  /** Forgets one of this node's records (it is no longer republished). */
  forget(record: R): void {
    this.own.delete(this.ownId(record));
  }

  /**
   * Reads the records at `location` from the k closest storers (of one publisher, after a cursor, when
   * given) and this node's own store, merged: the newest version per record id.
   * @returns the merged records ascending by id, what each storer that answered gave, and how many were asked.
   * @throws `DHTError` from the lookup (`no-nodes`, `aborted`, `stopped`).
   */
  async read(location: Uint8Array, options: ReadOptions): Promise<ReadResult<R>> {
    const now = this.options.clock.now();
    const local = this.localRecords(location, options.publisher, now, options.cursor);
    if (options.local === true || this.options.network.isAlone) return { records: this.client.merge(local), storers: [], asked: 0, nodes: [] };
    const nodes = await this.options.network.findClosestNodes(location, { signal: options.signal, paths: options.paths });
    const q = { publisher: options.publisher, signal: options.signal, cursor: options.cursor };
    const pages = await Promise.all(nodes.map((n) => this.client.read(n.peer, location, options.limit, q).catch(() => undefined)));
    const storers = pages.filter((p): p is StorerPage<R> => p !== undefined);
    return { records: this.client.merge([...storers.flatMap((p) => p.records), ...local]), storers, asked: nodes.length, nodes };
  }

  /** This node's live records at `location` (of one publisher, when given). */
  localRecords(location: Uint8Array, publisher: Uint8Array | undefined, now = this.options.clock.now(), cursor?: Uint8Array): Array<TimedRecord<R>> {
    const after = cursor === undefined ? undefined : toHex(cursor);
    const held = this.store.page(location, after, publisher === undefined ? undefined : toHex(publisher), now).records;
    return held.map((h) => ({ record: h.record, expiresAt: h.expiresAt }));
  }

  /**
   * Loads the datastore's records into the store (before the node answers).
   * @returns how many were restored, had expired, or were refused.
   */
  restore(): { restored: number; expired: number; refused: number } {
    const policy = this.policy;
    return this.store.restore((location, bytes) => {
      const decoded = decodeBody(policy.wire, bytes);
      if (!decoded.ok) return undefined;
      try {
        return policy.fromWire(location, decoded.value);
      } catch {
        return undefined;
      }
    });
  }

  /** Starts the upkeep, first at a random offset so nodes started together do not tick together. */
  start(): void {
    const { community, timing, random } = this.options;
    const interval = timing.maintenanceIntervalMs;
    this.first = community.after(1 + random.int(interval), () => {
      this.first = undefined;
      void this.maintain();
      this.timer = community.every(interval, () => void this.maintain());
    });
  }

  /** Stops the upkeep (the community's stop clears its timers too). */
  stop(): void {
    this.options.community.cancel(this.first);
    this.options.community.cancel(this.timer);
    this.first = undefined;
    this.timer = undefined;
  }

  /** One round of upkeep: sweep, republish this node's records, replicate held ones. Skipped while the previous one runs. */
  async maintain(): Promise<void> {
    if (this.busy || !this.options.community.isRunning) return;
    this.busy = true;
    try {
      this.statistics.expired += this.store.sweep();
      if (this.options.network.isAlone) return;
      await this.republish();
      await this.replicate();
    } catch {
      // a failed round is retried on the next one
    } finally {
      this.busy = false;
    }
  }

  private async republish(): Promise<void> {
    const { clock, timing, community } = this.options;
    const now = clock.now();
    const due = new Map<string, { location: Uint8Array; items: Array<{ id: string; own: OwnRecord<R> }> }>();
    for (const [id, own] of this.own) {
      const end = own.keepAlive ? (own.until ?? Number.POSITIVE_INFINITY) : own.expiresAt;
      if (end <= now) {
        this.own.delete(id);
        continue;
      }
      const renewing = own.keepAlive && own.expiresAt < end && own.expiresAt - now <= renewMarginMs(own.ttlMs, timing.maintenanceIntervalMs);
      if (!renewing && now - own.publishedAt < timing.republishIntervalMs) continue;
      const fresh = renewing
        ? { record: this.options.renew?.(own.record, own.ttlMs) ?? own.record, ttlMs: own.ttlMs, expiresAt: Math.min(now + own.ttlMs, end), publishedAt: now, keepAlive: true, until: own.until }
        : { ...own, publishedAt: now };
      const location = this.policy.location(fresh.record);
      const group = due.get(toHex(location)) ?? { location, items: [] };
      group.items.push({ id, own: { ...fresh, expiresAt: Math.min(fresh.expiresAt, this.policy.signedExpiry?.(fresh.record) ?? fresh.expiresAt) } });
      due.set(toHex(location), group);
    }
    for (const { location, items } of due.values()) {
      if (!community.isRunning) return;
      const outcome = await this.client
        .publish(location, items.map((i) => ({ record: i.own.record, expiresAt: i.own.expiresAt })), { origin: 'local', includeSelf: this.policy.directOnly !== true })
        .catch(() => undefined);
      if (outcome === undefined || outcome.stored === 0) continue; // keep the old one; retried next round
      for (const { id, own } of items) if (this.own.has(id)) this.own.set(id, own);
      this.statistics.republications += items.length;
    }
  }

  private async replicate(): Promise<void> {
    if (this.policy.directOnly === true) return; // only their publisher may store them (see RecordPolicy.directOnly)
    const { clock, timing, community } = this.options;
    const now = clock.now();
    const due = this.store.dueForReplication(now, timing.replicateIntervalMs).slice(0, MAX_LOCATIONS_PER_TICK);
    for (const { location, records } of due) {
      if (!community.isRunning) return;
      this.store.markReplicated(location, records.map((h) => h.idHex), now);
      this.statistics.replications++;
      await this.client.publish(location, records.map((h) => ({ record: h.record, expiresAt: h.expiresAt })), { includeSelf: false }).catch(() => undefined);
    }
  }

  private ownId(record: R): string {
    return `${toHex(this.policy.location(record))}/${toHex(this.policy.id(record))}`;
  }
}

/**
 * How long before expiry a kept-alive record is renewed: a quarter of its lifetime, but at least two
 * upkeep intervals so one failed round can be retried.
 */
export function renewMarginMs(ttlMs: number, maintenanceIntervalMs: number): number {
  return Math.max(Math.floor(ttlMs / 4), 2 * maintenanceIntervalMs);
}
