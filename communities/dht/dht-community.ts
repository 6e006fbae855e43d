/**
 * DHTCommunity: a Kademlia DHT with signed values on the overlay framework. py-ipv8's
 * `store_value`/`find_values` contract in TypeScript, with BEP 5 store tokens, adaptive lookups, expiry,
 * replication and republishing on the injected clock, and values up to 1,024 bytes. Values are one record
 * type of the record engine; the DHT also offers the engine's other record types (bag, namespace, your
 * own) their network: `network`, a small public door.
 * @module
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { AmplificationLimitError, Community, InvalidArgumentError, TOKENS, addressKey, communityIdFromName, equalBytes, toHex } from '../../framework/index.js';
import type { Address, CommunityContext, Incoming, PublicKey, RequestBody, RequestType } from '../../framework/index.js';
import { ContactLearning } from './contact-learning.js';
import { DHTError, ImpostorError } from './errors.js';
import { joinNetwork } from './join.js';
import type { LookupPeer, LookupResult } from './lookup.js';
import { Maintenance } from './maintenance.js';
import { NatProbe } from './nat-probe.js';
import type { NatObserver } from './nat-status.js';
import { FindRequest, Ping, PingRequest, PingResponse, StoreRequest, ValueMessages } from './messages.js';
import { registerBulkMessages } from './bulk-messages.js';
import { PeerTokens } from './peer-tokens.js';
import type { NodeSearchOptions, RecordNetwork } from './records/engine-types.js';
import type { ClosestNodesOptions } from './records/engine-types.js';
import type { LookupEvent, LookupFinishedEvent } from './lookup-events.js';
import { Lookups } from './lookups.js';
import { RecordEngine } from './records/record-engine.js';
import type { RecordStore } from './records/record-store.js';
import type { RoutingTable } from './routing/routing-table.js';
import { dhtRoutingTable } from './routing/dht-table.js';
import { RttEstimator } from './rtt.js';
import type { DHTSettings, ResolvedDHTSettings } from './settings.js';
import { resolveDHTSettings } from './settings.js';
import { DHTStatistics } from './statistics.js';
import { TokenManager } from './storage/token-manager.js';
import type { NodeRefValue } from './records/record-messages.js';
import type { ValueRecord } from './storage/value-record.js';
import type { DHTEvents, FindReply, FindReplyAnswer, LookupCallOptions } from './types.js';
import { ValueOps } from './value-ops.js';
import type { ValueWireValue } from './value-policy.js';
import { valuePolicy } from './value-policy.js';
import type { ValueCache } from './value-cache.js';
import type { FindManyOptions, FindOptions, FoundValue, ManyResult, StoreItem, StoreManyOptions, StoreOptions, StoreRecordOptions } from './value-types.js';

/** The DHT community's id: SHA-1 of `peerlay/dht/v1`. */
export const DHT_COMMUNITY_ID = communityIdFromName('peerlay/dht/v1');

/**
 * A Kademlia DHT.
 *
 * @example
 * ```ts
 * const dht = host.register(DHTCommunity, { discovery: { bootstrap: [parseAddress('127.0.0.1:8090')] } });
 * await host.start();
 * await dht.storeValue('my key', utf8('my value'), { sign: true });
 * const [value] = await dht.findValues('my key');
 * ```
 */
@injectable()
export class DHTCommunity extends Community<DHTEvents> implements RecordNetwork {
  /** Settings with defaults applied. */
  readonly settings: ResolvedDHTSettings;
  /** Our node id: the mid of our public key. */
  readonly nodeId: Uint8Array;
  /** The Kademlia routing table. */
  readonly routingTable: RoutingTable;
  /** Store tokens issued to requesters (BEP 5). */
  readonly tokens: TokenManager;
  /** Counters for a status page. */
  readonly statistics: DHTStatistics;
  /** Round-trip times and the timeouts derived from them. */
  readonly rtt: RttEstimator;
  /** The last store token each node issued us, sent with our finds to prove our address. */
  readonly peerTokens = new PeerTokens();
  /** The value record type's engine: its store, its server and client sides, its upkeep. */
  readonly values: RecordEngine<ValueRecord, ValueWireValue>;
  /**
   * The DHT as the communities built on it (bag, namespace, discovery, your own record types) see it: this
   * community, through the narrow {@link RecordNetwork} interface only.
   */
  readonly network: RecordNetwork;
  /** This node's public address and NAT mapping, from where the nodes answering its pings saw it (`nat-status.ts`). */
  readonly nat: NatObserver;
  private readonly natProbe: NatProbe;
  private readonly ops: ValueOps;
  private readonly maintenance: Maintenance;
  private readonly learning = new ContactLearning(this);
  private readonly lookups: Lookups = new Lookups(this);
  /** The join in progress started with the default bootstrap list, shared by concurrent `bootstrap()` calls. */
  private joining: Promise<number> | undefined;

  /**
   * @param ctx the node's services. @param settings see {@link DHTSettings}.
   * @param communityId override for subclasses that run their own DHT. @default DHT_COMMUNITY_ID
   */
  constructor(
    @inject(TOKENS.Context) ctx: CommunityContext,
    @inject(TOKENS.Settings) settings: DHTSettings,
    communityId: Uint8Array = DHT_COMMUNITY_ID,
  ) {
    const resolved = resolveDHTSettings(settings ?? {});
    super(ctx, communityId, resolved);
    this.settings = resolved;
    this.nodeId = ctx.key.publicKey.mid;
    this.routingTable = dhtRoutingTable(this.nodeId, ctx.clock, ctx.random, resolved, () => this.statistics.ipCapRejections++);
    this.routingTable.on('peer:added', (c) => this.emit('contact:added', c));
    this.routingTable.on('peer:removed', (c) => this.emit('contact:removed', c));
    this.tokens = new TokenManager(ctx.clock, ctx.random, undefined, (address) => ctx.amplification?.prove(address));
    this.rtt = new RttEstimator(resolved.requestTimeoutMs[0], resolved.requestTimeoutMs[1]);
    this.network = this;
    this.values = new RecordEngine({
      policy: valuePolicy(
        {
          maxDataBytes: resolved.maxDataBytes,
          maxUnsignedPerKey: resolved.maxUnsignedPerKey,
          maxSignedPerKey: resolved.maxSignedPerKey,
          maxPerGroupPerKey: resolved.maxPerGroupPerKey,
          maxTtlMs: resolved.maxTtlMs,
        },
        ctx.keys,
      ),
      messages: ValueMessages,
      community: this,
      network: this.network,
      request: (peer, spec, body, signal) => this.request(peer, spec, body, signal),
      clock: ctx.clock,
      random: ctx.random,
      timing: resolved,
      store: { ...resolved.store, datastore: resolved.datastore, onPersistError: (error) => ctx.logger.warn('cannot persist a value', { error: String(error) }) },
      onAccepted: (key, _verdict, origin) => this.emit('value:stored', key, origin),
    });
    this.statistics = new DHTStatistics(this.values.statistics);
    this.ops = new ValueOps(this);
    this.maintenance = new Maintenance(this);
    this.handle(PingRequest, (m) => {
      if (this.learning.learned(m)) this.reply(m, PingResponse, { id: m.value.id, observed: m.from });
    });
    this.handle(FindRequest, (m) => {
      if (this.learning.learnedIfNew(m)) this.values.answerFind(m);
    });
    this.handle(StoreRequest, (m) => this.learning.learned(m) && this.values.answerStore(m));
    // An answer to our own request (a fresh random id) from the address it went to proves the signer is
    // there: it is learned as a contact at that address.
    const learn = (m: Incoming<RequestBody>): void => {
      if (m.sender !== undefined) this.learning.addContact(m.sender, m.from, true);
    };
    this.natProbe = new NatProbe(this);
    this.nat = this.natProbe.observer;
    this.handleResponses(Ping, (m) => {
      this.nat.observe(m.value.observed, m.from); // before learning it: a new contact from this group need not be probed
      learn(m);
    });
    this.handleResponses(ValueMessages.Find, learn);
    this.handleResponses(ValueMessages.Store, learn);
    registerBulkMessages(this, (m) => this.learning.learned(m), learn);
    this.on('peer:added', (peer) => this.addContact(peer.publicKey, peer.address));
  }

  /** Kademlia's k (`settings.bucketSize`). */
  get bucketSize(): number {
    return this.settings.bucketSize;
  }

  /** Lookup parallelism (`settings.alpha`). */
  get alpha(): number {
    return this.settings.alpha;
  }

  /** True while the routing table is empty (nobody to ask). */
  get isAlone(): boolean {
    return this.routingTable.size === 0;
  }

  /**
   * The routing table's contacts closest to `target`, never `exclude`, as node references (the nodes a
   * find response refers). A contact whose address has not proved itself (learned from its own requests,
   * never answering ours nor echoing our token) is not referred: other nodes would query an address that
   * may be a spoofing victim's, traffic our amplification budget cannot see (libtorrent likewise returns
   * only confirmed nodes).
   */
  closestContacts(target: Uint8Array, count: number, exclude?: Uint8Array): NodeRefValue[] {
    const amplification = this.context.amplification;
    const referable = (c: { id: Uint8Array; address: Address }): boolean =>
      (exclude === undefined || !equalBytes(c.id, exclude)) && (amplification === undefined || amplification.allowance(c.address) === Number.POSITIVE_INFINITY);
    return this.routingTable.closest(target, count, referable).map((c) => ({ id: c.id, address: c.address }));
  }

  /** The address of node `id` when it is a contact of the routing table. */
  contactAddress(id: Uint8Array): Address | undefined {
    return this.routingTable.get(id)?.address;
  }

  /** A request timeout for node `id` from its measured round-trip time, in ms. */
  rttTimeoutMs(id: Uint8Array): number {
    return this.rtt.timeoutMs(toHex(id));
  }

  /** How long a lookup waits for node `id` before it frees the slot for another query, in ms. */
  softTimeoutMs(id: Uint8Array): number {
    return this.rtt.softTimeoutMs(toHex(id));
  }

  /** The values this node holds (for others, and its own). */
  get store(): RecordStore<ValueRecord> {
    return this.values.store;
  }

  /**
   * Stores `data` under `key` on the k nodes closest to it.
   * @param key a string (hashed with SHA-1 to 20 bytes) or bytes (20 bytes used as is, others hashed).
   * @param data up to `maxDataBytes` (default 1,024) bytes.
   * @param options `sign` to make the value authentic (newest version per publisher wins), `ttlMs`
   *   (default 24 h) or `expiresAt` (ms since the epoch), up to `maxLifetimeMs` (30 days; beyond
   *   `maxTtlMs` this node renews the value until then while it runs), `signal` to cancel.
   * @returns how many other nodes acknowledged the store. When this node is itself among the k closest
   *   to the key, it also keeps the value as a storer (and serves it). `0` means the value is held only
   *   here: the routing table is empty (a lone node), so this node keeps it as its own, serves it, and
   *   offers it to the k closest on its next republish round once it knows other nodes.
   * @throws {@link DHTError} `too-large` or `invalid-ttl` before anything is sent; `rejected` when every
   *   node that answered refused it (the message counts their verdicts, e.g. `quota`, `stale`), or a lone
   *   node's own store refused it; `no-nodes` when nodes are known but none acknowledged (try again
   *   later); `aborted`; `stopped`.
   */
  storeValue(key: string | Uint8Array, data: Uint8Array, options: StoreOptions = {}): Promise<number> {
    return this.ops.storeValue(key, data, options);
  }

  /**
   * Stores a record made elsewhere (with `signRecord` or `unsignedRecord`) on the k nodes closest to its
   * key, as {@link DHTCommunity.storeValue} stores the record it makes.
   * @param options `ttlMs` (default 24 h), `signal`, `disjointPaths`, and `republish: false` for a record
   *   this node keeps as its own elsewhere.
   * @returns how many other nodes acknowledged the store; `0` when the routing table is empty and the
   *   record is held only here (as for {@link DHTCommunity.storeValue}).
   * @throws {@link DHTError} `rejected` for a malformed or forged record, or when every node that answered
   *   refused it; `invalid-ttl`; `too-large`; `no-nodes`; `aborted`; `stopped`.
   */
  storeRecord(record: ValueRecord, options: StoreRecordOptions = {}): Promise<number> {
    return this.ops.storeRecord(record, options);
  }

  /**
   * Finds the values stored under `key`. Signed values are verified (a forged one is never returned) and
   * only the newest version per publisher is kept; unsigned values are deduplicated.
   * @param options `publisher` (a key or a mid) asks for one publisher's values only; `limit` (default 100);
   *   `latest` asks every one of the k closest nodes reached and orders the values freshest first;
   *   `cache: false` skips the local cache (a fresh earlier answer is otherwise returned without a packet).
   * @returns the values, possibly none, signed ones first by publisher. With an empty routing table, the
   *   values this node holds itself.
   *   An empty array means nodes answered and none holds a value under the key.
   * @throws {@link DHTError} `no-nodes` when there is nobody to ask and nothing held here; `unreachable`
   *   when nodes are known but none answered the lookup and nothing is held here (try again later);
   *   `aborted`; `stopped`.
   */
  findValues(key: string | Uint8Array, options: FindOptions = {}): Promise<FoundValue[]> {
    return this.ops.findValues(key, options);
  }

  /**
   * Stores several values as one operation (`bulk.ts`): lookups shared between keys whose closest nodes
   * the operation already reached, items under one key in one publication, and each storer's values of
   * several keys in one datagram (a multi-key store request); `concurrency` (default 8) at once.
   * @returns one result per item, in order (never throws for one item).
   */
  storeMany(items: readonly StoreItem[], options: StoreManyOptions = {}): Promise<ManyResult<number>[]> {
    return this.ops.storeMany(items, options);
  }

  /**
   * Finds several keys as one operation (`bulk.ts`): each lookup starts from the nodes the operation's
   * earlier lookups reached nearest its key, and a node asked about several keys at once gets them in one
   * multi-key find request (`multiKey: false` for one key a request); each key still has its own lookup, so
   * its result is what {@link DHTCommunity.findValues} returns, whose options apply to every key.
   * @returns one result per key, in order (never throws for one key).
   */
  findMany(keys: ReadonlyArray<string | Uint8Array>, options: FindManyOptions = {}): Promise<ManyResult<FoundValue[]>[]> {
    return this.ops.findMany(keys, options);
  }

  /** The local cache of found values (see `DHTSettings.valueCache`). */
  get valueCache(): ValueCache {
    return this.ops.cache;
  }

  /**
   * Finds the k nodes closest to `target` that answered (the building block other communities reuse).
   * @throws {@link DHTError} `no-nodes` when the routing table is empty.
   */
  async findClosestNodes(target: Uint8Array, options: ClosestNodesOptions = {}): Promise<FindReplyAnswer[]> {
    const result = await this.lookup(target, false, { signal: options.signal, paths: options.paths, kind: options.kind, onEvent: options.onEvent });
    return result.closest.map((a) => ({ peer: a.peer, token: a.reply.token, publicKey: a.reply.sender }));
  }

  /**
   * Joins the network: pings `addresses` (default: the bootstrap list), looks up our own id so nodes near
   * us learn about us, then refreshes every bucket farther than our closest neighbours (Kademlia's join:
   * without it the far buckets stay nearly empty and lookups toward other regions can end at a local
   * minimum until the first periodic refresh). A call with the default addresses and no signal while
   * such a join is running (e.g. the one `start()` begins) shares it instead of joining twice.
   * @returns the routing table size afterwards.
   */
  bootstrap(addresses: readonly Address[] = this.discovery.bootstrap, signal?: AbortSignal): Promise<number> {
    if (addresses !== this.discovery.bootstrap || signal !== undefined) return joinNetwork(this, addresses, signal);
    this.joining ??= joinNetwork(this, addresses).finally(() => {
      this.joining = undefined;
    });
    return this.joining;
  }

  /**
   * Pings a node. Resolves with its public key and the round-trip time in ms.
   * @throws {@link TimeoutError} / {@link AbortError}.
   */
  async ping(to: { id?: Uint8Array; address: Address }, signal?: AbortSignal): Promise<{ publicKey: PublicKey; rttMs: number }> {
    const started = this.context.clock.now();
    const m = await this.request(to, Ping, {}, signal);
    return { publicKey: m.sender!, rttMs: this.context.clock.now() - started };
  }

  /**
   * Runs one iterative lookup toward `target` (values or nodes) from our closest contacts; with `paths` > 1,
   * a disjoint lookup (`disjointLookup`) over that many disjoint paths, seeded with our `k * paths` closest contacts.
   * @param options `signal` cancels; `isDone` ends a value lookup early; `quorum` holds back queries the
   *   running ones could make unnecessary (see `LookupOptions.quorum`); `paths` is S/Kademlia's d
   *   (default `settings.disjointPaths`); `publisher` asks for one publisher's values.
   * @throws {@link DHTError} `no-nodes` when the routing table is empty; `aborted` when cancelled;
   *   `stopped` when the community is not running or stops meanwhile. {@link InvalidArgumentError} for a bad `paths`.
   */
  async lookup(target: Uint8Array, values: boolean, options: LookupCallOptions = {}): Promise<LookupResult<FindReply>> {
    return this.lookups.run<FindReply>(target, {
      ...options,
      kind: options.kind ?? (values ? 'find-values' : 'find-nodes'),
      query: (peer) => this.queryChecked(peer, options.query ?? ((p) => this.queryFind(p, target, values, options.publisher))),
    });
  }

  /**
   * A node lookup toward `target` with the caller's own query (see `RecordNetwork.searchNodes`): what
   * discovery's `connectPeer` runs to find the nodes that know a mid.
   * @throws {@link DHTError} `no-nodes` when the routing table is empty; `aborted`; `stopped`.
   */
  searchNodes<Reply extends { readonly nodes: readonly LookupPeer[] }>(target: Uint8Array, options: NodeSearchOptions<Reply>): Promise<LookupResult<Reply>> {
    return this.lookups.run<Reply>(target, { ...options, kind: options.kind ?? 'connect', isDone: options.isDone === undefined ? undefined : () => options.isDone!() });
  }

  /** Emits a lookup event (for {@link Lookups}). @internal */
  emitLookup(event: LookupEvent): void {
    this.emit('lookup', event);
  }

  /** Emits a lookup's summary (for {@link Lookups}). @internal */
  emitFinished(event: LookupFinishedEvent): void {
    this.emit('lookup:finished', event);
  }

  /**
   * Sends one find request and returns the reply with checked values only (see the record engine's
   * `RecordClient.query`).
   */
  queryFind(peer: LookupPeer, target: Uint8Array, values: boolean, publisher?: Uint8Array): Promise<FindReply> {
    return this.values.client.query(peer, target, values, { publisher });
  }

  /**
   * {@link DHTCommunity.queryFind} for lookups: a reply signed by another key than the queried id is an
   * {@link ImpostorError}, so a node cannot pose as ids it made up near the target to end a lookup among
   * its friends (node ids are bound to keys, S/Kademlia), and the lookup distrusts whoever referred it.
   */
  private async queryChecked(peer: LookupPeer, query: (peer: LookupPeer) => Promise<FindReply>): Promise<FindReply> {
    const reply = await query(peer);
    if (!equalBytes(reply.sender.mid, peer.id)) {
      throw new ImpostorError(`node ${toHex(peer.id)} answered with the key of ${reply.sender.midHex}`);
    }
    return reply;
  }

  /**
   * The public key of the node with id `id`, when this node knows it (pairwise keys held, or a contact
   * of the routing table that has been heard from): a request to it is then tagged for it, not signed.
   * @param hex `id` in hex, when the caller has it already.
   */
  recipientKey(id: Uint8Array, hex = toHex(id)): PublicKey | undefined {
    return this.learning.keyOf(id, hex);
  }

  /**
   * Sends a request and awaits the matching response (signed, or tagged for us) from the same address,
   * with a timeout from the peer's measured round-trip time; a node that times out counts a failure in
   * the routing table.
   */
  async request<Req extends RequestBody, Res extends RequestBody>(
    to: { id?: Uint8Array; address: Address },
    type: RequestType<Req, Res>,
    body: Omit<Req, 'id'>,
    signal?: AbortSignal,
  ): Promise<Incoming<Res>> {
    const peerKey = to.id === undefined ? addressKey(to.address) : toHex(to.id);
    let started = this.context.clock.now();
    const recipient = to.id === undefined ? undefined : this.recipientKey(to.id, peerKey);
    // The round trip is timed from when the request leaves (it may wait for its turn, see `pacing`).
    const onSent = (): void => {
      started = this.context.clock.now();
    };
    // A node we query without holding it as a contact was referred to us (or given by the caller): our own
    // first contact, not a follow-up of its packets, so not charged to its amplification credit.
    const unmetered = to.id !== undefined && this.routingTable.get(to.id) === undefined;
    const answer = this.sendRequest(to.address, type, body, { timeoutMs: this.rtt.timeoutMs(peerKey), signal, recipient, onSent, unmetered });
    try {
      const m = await answer;
      const mid = m.sender!.mid;
      this.rtt.observe(toHex(mid), this.context.clock.now() - started);
      if (to.id !== undefined && !equalBytes(mid, to.id)) {
        this.statistics.idMismatches++;
        this.routingTable.remove(to.id);
      }
      return m;
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') {
        this.statistics.timeouts++;
        if (to.id !== undefined && this.routingTable.has(to.id)) this.routingTable.fail(to.id);
      } else if (error instanceof AmplificationLimitError && to.id !== undefined && this.routingTable.has(to.id)) {
        this.routingTable.fail(to.id); // its address never proved itself and its credit is spent: as good as silent
      }
      throw error;
    }
  }

  /** Maps framework errors to {@link DHTError}s. */
  wrap(error: unknown): Error {
    if (error instanceof DHTError) return error;
    if (error instanceof Error && error.name === 'AbortError') {
      return new DHTError(this.isRunning ? 'operation aborted' : 'the DHT community stopped', this.isRunning ? 'aborted' : 'stopped', { cause: error });
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  /** Runs one round of upkeep now (values: sweep, republish, replicate; routing: refresh, rejoin). */
  async maintain(): Promise<void> {
    await this.values.maintain();
    await this.maintenance.tick();
  }

  /** @inheritDoc */
  protected override async onStart(): Promise<void> {
    this.values.start();
    this.maintenance.start();
    this.natProbe.start();
    if (this.discovery.bootstrap.length > 0) void this.bootstrap().catch(() => undefined);
  }

  /** @inheritDoc */
  protected override async onStop(): Promise<void> {
    this.lookups.abortAll();
    this.ops.cache.clear();
    this.values.stop();
    this.maintenance.stop();
    this.natProbe.stop();
    this.learning.clear();
  }

  /**
   * Adds a (verified) sender to the routing table. When its bucket is full the sender waits in the
   * replacement cache and the least recently seen contact, unless heard from within `goodContactMs`, is
   * pinged: kept if it answers, evicted if it does not, so the newest replacement takes its slot (Kademlia).
   */
  addContact(publicKey: PublicKey, address: Address): void {
    this.learning.addContact(publicKey, address);
  }

}

export type { ValueRecord };
