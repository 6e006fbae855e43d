/**
 * py-ipv8's `DHTCommunity` in compatible mode: its community id, messages (ping, store, find), node ids
 * (`calc_node_id`, bound to the address), tokens, value layout and limits, on Peerlay's routing table
 * and iterative lookup. A Peerlay node registers this class instead of (or beside) its own
 * `DHTCommunity` to join a py-ipv8 network; Peerlay's extensions (pairwise tags, larger values, records,
 * quorum and disjoint lookups) are not used here.
 * @module
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import type { PublicKey } from '../../framework/crypto/keys.js';
import type { CommunityContext } from '../../framework/community/context.js';
import { TOKENS } from '../../framework/di/tokens.js';
import { CommunityStats } from '../../framework/community/stats.js';
import type { Address } from '../../framework/endpoint/address.js';
import { addressKey } from '../../framework/endpoint/address.js';
import { InvalidArgumentError, PeerlayError } from '../../framework/errors.js';
import { equalBytes, toHex } from '../../framework/util/bytes.js';
import { iterativeLookup } from '../dht/lookup.js';
import type { LookupPeer, QueryReply } from '../dht/lookup.js';
import { RoutingTable } from '../dht/routing/routing-table.js';
import type { Contact } from '../dht/routing/contact.js';
import { compareDistance } from '../dht/routing/node-id.js';
import type { Ipv8MessageSpec } from '../../framework/wire/struct/index.js';
import { IPV8_DHT_COMMUNITY_ID } from './community-ids.js';
import { Ipv8Overlay } from './ipv8-overlay.js';
import type { Ipv8Incoming, Ipv8OverlaySettings } from './ipv8-overlay.js';
import { FindRequest, FindResponse, IPV8_MAX_IN_FIND, IPV8_MAX_VALUES_IN_STORE, PingRequest, PingResponse, StoreRequest, StoreResponse } from './messages.js';
import type { Ipv8WireNode } from './messages.js';
import { ipv8NodeId } from './node-id.js';
import { Ipv8RequestPacer } from './request-pacer.js';
import { Ipv8Requests } from './requests.js';
import { IPV8_TOKEN_EXPIRATION_MS, IPV8_TOKEN_ROTATE_MS, Ipv8Tokens } from './tokens.js';
import { IPV8_MAX_VALUE_AGE_MS, Ipv8ValueStore } from './value-store.js';
import { parseIpv8Value, serializeIpv8Value } from './values.js';

/** Holders whose answers end a value lookup. */
const VALUE_QUORUM = 3;
/** An unproven address is pinged for proof at most this often. */
const PROOF_PING_INTERVAL_MS = 30_000;
/** Addresses whose proof pings are remembered. */
const MAX_PROOF_PINGS = 4_096;

/** A DHT operation failed (no nodes, nothing stored). */
export class Ipv8DHTError extends PeerlayError {}

/** Settings of {@link Ipv8DHTCommunity}. */
export interface Ipv8DHTSettings extends Ipv8OverlaySettings {
  /** Bucket size (py-ipv8's `MAX_BUCKET_SIZE`). @default 8 */
  readonly bucketSize?: number;
  /** Find requests in flight per lookup (`MAX_CRAWL_TASKS`). @default 4 */
  readonly alpha?: number;
  /** Nodes a value is stored on (`TARGET_NODES`). @default 8 */
  readonly targetNodes?: number;
  /** Timeout of a find request (py-ipv8: 2 s). @default 2,000 ms */
  readonly findTimeoutMs?: number;
  /** Timeout of ping and store requests (py-ipv8: 5 s). @default 5,000 ms */
  readonly requestTimeoutMs?: number;
  /** The address our node id is computed from, when the endpoint's is not the one peers see. @default the endpoint's address */
  readonly publicAddress?: Address;
}

/** One value found: its data, and the publisher's key binary for a signed value. */
export interface Ipv8FoundValue {
  /** The data. */
  readonly data: Uint8Array;
  /** The publisher's public key binary (signed values), else `undefined`. */
  readonly publicKey: Uint8Array | undefined;
  /** The version (signed values). */
  readonly version: number;
}

/** A node as lookups and node lists give it. */
export interface Ipv8Node extends LookupPeer {
  /** Its public key binary. */
  readonly publicKey: Uint8Array;
}

/** One node's answer to a find request, as a lookup sees it. */
export interface FindReply extends QueryReply<Uint8Array[]> {
  /** The nodes it listed, ids computed from their addresses. */
  readonly nodes: Ipv8Node[];
  /** The serialized values it holds for the target, if any. */
  readonly found?: Uint8Array[];
}

/** What the find handler of a subclass may add (see {@link Ipv8DHTCommunity.findAnswer}). */
export type FindAnswer = { values: Uint8Array[]; nodes: Contact[] };

/** Events of {@link Ipv8DHTCommunity}. */
export interface Ipv8DHTEvents {
  /** A value was stored here by another node. */
  'value:stored': [key: Uint8Array];
}

/**
 * py-ipv8's `DHTCommunity`, compatible on the wire.
 * @example
 * ```ts
 * const host = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }) });
 * const dht = host.register(Ipv8DHTCommunity, { bootstrap: [parseAddress('127.0.0.1:8090')] });
 * await host.start();
 * await dht.storeValue(key20, utf8('hi'), { sign: true });
 * ```
 */
@injectable()
export class Ipv8DHTCommunity<E extends object = Ipv8DHTEvents> extends Ipv8Overlay<E> {
  /** Values held for other nodes. */
  readonly storage: Ipv8ValueStore;
  /** Requests in flight. */
  protected readonly requests: Ipv8Requests;
  /** Paces our requests to py-ipv8's per-node limit. */
  protected readonly pacer: Ipv8RequestPacer;
  /** Store tokens we issue. */
  protected readonly tokens: Ipv8Tokens;
  /** Tokens other nodes gave us, by node id hex: the token and when. */
  protected readonly peerTokens = new Map<string, { token: Uint8Array; at: number }>();
  readonly #proofPings = new Map<string, number>();
  #table: RoutingTable | undefined;
  #nodeId: Uint8Array | undefined;
  readonly #settings: Required<Omit<Ipv8DHTSettings, keyof Ipv8OverlaySettings | 'publicAddress'>> & { publicAddress?: Address };

  /**
   * @param ctx the node's services.
   * @param settings see {@link Ipv8DHTSettings}.
   */
  constructor(@inject(TOKENS.Context) ctx: CommunityContext, @inject(TOKENS.Settings) settings: Ipv8DHTSettings) {
    super(ctx, IPV8_DHT_COMMUNITY_ID, settings ?? {});
    const s = settings ?? {};
    this.#settings = {
      bucketSize: s.bucketSize ?? 8,
      alpha: s.alpha ?? 4,
      targetNodes: s.targetNodes ?? 8,
      findTimeoutMs: s.findTimeoutMs ?? 2_000,
      requestTimeoutMs: s.requestTimeoutMs ?? 5_000,
      publicAddress: s.publicAddress,
    };
    this.storage = new Ipv8ValueStore(ctx.clock);
    this.requests = new Ipv8Requests(ctx.clock, ctx.random);
    this.pacer = new Ipv8RequestPacer(ctx.clock);
    this.tokens = new Ipv8Tokens(ctx.random);
    this.handle(PingRequest, (m) => this.#onPingRequest(m));
    this.handle(PingResponse, (m) => this.#settle('ping', m));
    this.handle(StoreRequest, (m) => this.#onStoreRequest(m));
    this.handle(StoreResponse, (m) => this.#settle('store', m));
    this.handle(FindRequest, (m) => this.#onFindRequest(m));
    this.handle(FindResponse, (m) => this.#settle('find', m));
  }

  /** Our node id as py-ipv8 nodes compute it (set at start). */
  get nodeId(): Uint8Array {
    if (this.#nodeId === undefined) throw new Ipv8DHTError('the node id is known once the community started');
    return this.#nodeId;
  }

  /** The routing table (set at start: it is keyed by our address-bound node id). */
  get routingTable(): RoutingTable {
    if (this.#table === undefined) throw new Ipv8DHTError('the routing table exists once the community started');
    return this.#table;
  }

  /** @inheritDoc */
  protected override async onStart(): Promise<void> {
    this.#nodeId = ipv8NodeId(this.#settings.publicAddress ?? this.ctx.transport.localAddress, this.ctx.key.publicKey.mid);
    this.#table ??= new RoutingTable(this.#nodeId, this.ctx.clock, { bucketSize: this.#settings.bucketSize });
    this.every(IPV8_TOKEN_ROTATE_MS, () => this.tokens.rotate());
    this.every(60_000, () => this.storage.sweep());
  }

  /** @inheritDoc */
  protected override async onStop(): Promise<void> {
    this.requests.clear();
  }

  /** The py-ipv8 node id of `key` seen at `address`. */
  idOf(key: PublicKey, address: Address): Uint8Array {
    return ipv8NodeId(address, key.mid);
  }

  /**
   * Pings an address that has not proved it receives there (the host's amplification budget limits what
   * may go to it), at most once per 30 s: py-ipv8 echoes no token of ours before
   * its first request, so its answer to our ping is the proof that lifts the limit.
   */
  protected ensureProof(address: Address): void {
    const gate = this.amplification;
    if (gate === undefined || gate.allowance(address) === Number.POSITIVE_INFINITY) return;
    const k = addressKey(address);
    const now = this.ctx.clock.now();
    const last = this.#proofPings.get(k);
    if (last !== undefined && now - last < PROOF_PING_INTERVAL_MS) return;
    if (this.#proofPings.size >= MAX_PROOF_PINGS) this.#proofPings.delete(this.#proofPings.keys().next().value!);
    this.#proofPings.set(k, now);
    // Sent at once (not paced: one ping per 30 s stays within py-ipv8's limit), before the answer that
    // caused it spends the address's credit.
    const { identifier, answer } = this.requests.open<unknown>('ping', address, this.#settings.requestTimeoutMs);
    answer.catch(() => undefined);
    this.send(address, PingRequest, { identifier });
  }

  /** Adds a verified node to the routing table; a full bucket pings its oldest entry. */
  protected learn(key: PublicKey, address: Address): Contact | undefined {
    if (this.#table === undefined) return undefined;
    this.ensureProof(address);
    const id = this.idOf(key, address);
    const r = this.#table.add({ id, address, publicKeyBinary: key.toBinary() });
    if (r.status === 'full') {
      const old = r.pingCandidate;
      this.pingAddress(old.address).then(
        () => this.#table?.touch(old.id),
        () => this.#table?.fail(old.id),
      );
    }
    return r.status === 'added' || r.status === 'updated' ? r.contact : undefined;
  }

  /** @inheritDoc */
  protected override onIntroduced(peer: PublicKey, from: Address): void {
    const known = this.#table?.has(this.idOf(peer, from)) === true;
    const c = this.learn(peer, from);
    if (!known && c !== undefined) this.pingAddress(from).catch(() => undefined);
  }

  /**
   * Sends one request when py-ipv8's per-node limit allows and resolves to its answer.
   * @throws the {@link TimeoutError} of the request; {@link AbortError} when stopped.
   */
  protected async request<Req extends { identifier: number }, Res>(kind: string, to: Address, spec: Ipv8MessageSpec<Req>, body: Omit<Req, 'identifier'>, timeoutMs: number): Promise<Ipv8Incoming<Res>> {
    const wait = this.pacer.reserve(to);
    if (wait > 0) await new Promise<void>((resolve) => this.after(wait, resolve));
    if (!this.isRunning) throw new Ipv8DHTError('community stopped');
    const { identifier, answer } = this.requests.open<Ipv8Incoming<Res>>(kind, to, timeoutMs);
    this.send(to, spec, { ...body, identifier } as Req);
    return answer;
  }

  #settle(kind: string, m: Ipv8Incoming<{ identifier: number }>): void {
    if (m.sender === undefined) return;
    if (!this.requests.settle(kind, m.value.identifier, m.from, m)) return;
    // An answer to our request, from where it went, proves the address receives there.
    this.amplification?.prove(m.from);
    this.learn(m.sender, m.from);
  }

  /** Pings the node at `address`; resolves to its key. */
  async pingAddress(address: Address): Promise<PublicKey> {
    const m = await this.request<{ identifier: number }, { identifier: number }>('ping', address, PingRequest, {}, this.#settings.requestTimeoutMs);
    return m.sender!;
  }

  #onPingRequest(m: Ipv8Incoming<{ identifier: number }>): void {
    if (m.sender === undefined) return;
    this.learn(m.sender, m.from);
    this.send(m.from, PingResponse, { identifier: m.value.identifier });
  }

  #onStoreRequest(m: Ipv8Incoming<{ identifier: number; token: Uint8Array; target: Uint8Array; values: Uint8Array[] }>): void {
    if (m.sender === undefined) return;
    const { values, target, token, identifier } = m.value;
    if (values.length > IPV8_MAX_VALUES_IN_STORE) return CommunityStats.bump(this.stats.dropped, 'too-many-values');
    if (!this.tokens.check(m.sender.mid, m.from, token)) return CommunityStats.bump(this.stats.dropped, 'bad-token');
    this.amplification?.prove(m.from);
    this.learn(m.sender, m.from);
    // py-ipv8: the more known nodes are closer to the key than we are, the shorter a value lives.
    const self = this.nodeId;
    const closer = this.routingTable.closest(target, 20).filter((c) => compareDistance(target, c.id, self) < 0).length;
    const maxAgeMs = IPV8_MAX_VALUE_AGE_MS / 2 ** Math.max(0, closer - this.#settings.targetNodes + 1);
    let stored = false;
    for (const v of values) stored = this.storage.put(target, v, maxAgeMs) || stored;
    if (stored) (this as unknown as { emit(name: string, ...values: unknown[]): boolean }).emit('value:stored', target);
    this.send(m.from, StoreResponse, { identifier });
  }

  /** What a find request for `target` gets: values from `offset` (unless `forceNodes`), else the closest nodes. */
  protected findAnswer(target: Uint8Array, offset: number, forceNodes: boolean, requester: Uint8Array): FindAnswer {
    const values = forceNodes ? [] : this.storage.get(target, offset, IPV8_MAX_IN_FIND);
    const nodes = forceNodes || values.length === 0 ? this.routingTable.closest(target, IPV8_MAX_IN_FIND, (c) => !equalBytes(c.id, requester) && c.publicKeyBinary !== undefined) : [];
    return { values, nodes };
  }

  #onFindRequest(m: Ipv8Incoming<{ identifier: number; lanAddress: Address; target: Uint8Array; offset: number; forceNodes: boolean }>): void {
    if (m.sender === undefined) return;
    this.learn(m.sender, m.from);
    const { identifier, lanAddress, target, offset, forceNodes } = m.value;
    const requester = this.idOf(m.sender, m.from);
    const { values, nodes } = this.findAnswer(target, offset, forceNodes, requester);
    const trimmed = fitAllowance(values, nodes, this.amplification?.allowance(m.from) ?? Number.POSITIVE_INFINITY, this.context.key.publicKey.toBinary().length);
    if (trimmed.nodes + trimmed.values > 0) {
      // Counted like a withheld message: the answer went out, but without what the credit could not pay for.
      CommunityStats.bump(this.stats.withheld, 'find-response:trimmed');
      CommunityStats.bump(this.stats.withheld, 'find-response:trimmed-nodes', trimmed.nodes);
      CommunityStats.bump(this.stats.withheld, 'find-response:trimmed-values', trimmed.values);
    }
    // As py-ipv8: the closest node is asked to puncture toward the requester, who may contact it next.
    if (nodes.length > 0) this.sendPunctureRequest(nodes[0]!.address, lanAddress, m.from, identifier);
    this.send(m.from, FindResponse, {
      identifier,
      token: this.tokens.issue(m.sender.mid, m.from),
      values,
      nodes: nodes.map((c) => ({ address: c.address, publicKey: c.publicKeyBinary! })),
    });
  }

  /** Wire nodes as lookup peers (their ids computed from their addresses), skipping unreadable keys. */
  protected toNodes(list: readonly Ipv8WireNode[]): Ipv8Node[] {
    const out: Ipv8Node[] = [];
    for (const n of list) {
      const key = this.ctx.keys.get(n.publicKey);
      if (key === undefined) continue;
      out.push({ id: ipv8NodeId(n.address, key.mid), address: n.address, publicKey: n.publicKey });
    }
    return out;
  }

  /** Sends one find request and returns the node's answer (its token is kept for stores). */
  protected async queryFind(peer: LookupPeer, target: Uint8Array, forceNodes: boolean, offset = 0): Promise<FindReply> {
    const m = await this.request<{ identifier: number; lanAddress: Address; target: Uint8Array; offset: number; forceNodes: boolean }, { identifier: number; token: Uint8Array; values: Uint8Array[]; nodes: Ipv8WireNode[] }>(
      'find', peer.address, FindRequest, { lanAddress: this.ctx.transport.localAddress, target, offset, forceNodes }, this.#settings.findTimeoutMs,
    );
    const id = this.idOf(m.sender!, m.from);
    this.peerTokens.set(toHex(id), { token: m.value.token, at: this.ctx.clock.now() });
    const nodes = this.toNodes(m.value.nodes);
    return m.value.values.length > 0 && !forceNodes ? { nodes, found: m.value.values } : { nodes };
  }

  /** Runs a py-ipv8 style crawl toward `target` on Peerlay's iterative lookup. */
  protected async crawl(target: Uint8Array, forceNodes: boolean): Promise<{ nodes: Ipv8Node[]; values: Uint8Array[]; answered: number }> {
    if (target.length !== 20) throw new InvalidArgumentError(`target must be 20 bytes, got ${target.length}`);
    const seeds = this.routingTable.closest(target, this.#settings.bucketSize);
    if (seeds.length === 0) throw new Ipv8DHTError('no nodes in the routing table');
    const result = await iterativeLookup<Uint8Array[], FindReply>({
      target,
      selfId: this.nodeId,
      k: this.#settings.targetNodes,
      alpha: this.#settings.alpha,
      seeds,
      query: (peer) => this.queryFind(peer, target, forceNodes),
      // A value lookup ends once VALUE_QUORUM holders answered (py-ipv8 keeps crawling to 24 requests):
      // fewer requests toward nodes that drop a requester's 11th request within 5 s.
      isDone: forceNodes ? undefined : (found) => found.length >= VALUE_QUORUM,
      softTimeoutMs: () => this.#settings.findTimeoutMs,
      schedule: (ms, fn) => this.after(ms, fn),
      cancel: (h) => this.ctx.clock.clear(h),
    });
    const byKey = new Map<string, Ipv8Node>();
    for (const a of result.closest) {
      const c = this.routingTable.get(a.peer.id);
      const key = c?.publicKeyBinary ?? (a.peer as Partial<Ipv8Node>).publicKey;
      if (key !== undefined) byKey.set(toHex(a.peer.id), { id: a.peer.id, address: a.peer.address, publicKey: key });
    }
    const values: Uint8Array[] = [];
    const seen = new Set<string>();
    for (const f of result.found) for (const v of f.reply.found ?? []) if (!seen.has(toHex(v))) { seen.add(toHex(v)); values.push(v); }
    return { nodes: [...byKey.values()], values, answered: result.closest.length };
  }

  /** The nodes closest to `target` that answered (py-ipv8's `find_nodes`). */
  async findNodes(target: Uint8Array): Promise<Ipv8Node[]> {
    return (await this.crawl(target, true)).nodes;
  }

  /**
   * The values stored under `key` (py-ipv8's `find_values`): the newest version of each signed publisher
   * (signature checked), then the unsigned values. Values held here count too.
   */
  async findValues(key: Uint8Array): Promise<Ipv8FoundValue[]> {
    const { values } = await this.crawl(key, false);
    return mergeValues([...this.storage.get(key), ...values]);
  }

  /**
   * Stores `data` under the 20-byte `key` on the closest nodes (py-ipv8's `store_value`), signed with this
   * node's key and the current time in seconds as version when `sign` is set.
   * @returns the nodes that confirmed.
   * @throws {@link InvalidArgumentError} when the serialized value exceeds 170 bytes (23 bytes of signed data); {@link Ipv8DHTError} when nobody stored it.
   */
  async storeValue(key: Uint8Array, data: Uint8Array, options: { readonly sign?: boolean } = {}): Promise<Ipv8Node[]> {
    const value = serializeIpv8Value(data, options.sign === true ? { key: this.ctx.key, version: Math.floor(this.ctx.clock.now() / 1000) } : undefined);
    const nodes = (await this.findNodes(key)).slice(0, this.#settings.targetNodes);
    if (nodes.length < this.#settings.targetNodes || nodes.some((n) => compareDistance(key, this.nodeId, n.id) < 0)) this.storage.put(key, value);
    const now = this.ctx.clock.now();
    const stores = nodes.map(async (n) => {
      const t = this.peerTokens.get(toHex(n.id));
      if (t === undefined || now - t.at > IPV8_TOKEN_EXPIRATION_MS) return undefined;
      await this.request('store', n.address, StoreRequest, { token: t.token, target: key, values: [value] }, this.#settings.requestTimeoutMs);
      return n;
    });
    const done = (await Promise.allSettled(stores)).flatMap((r) => (r.status === 'fulfilled' && r.value !== undefined ? [r.value] : []));
    if (done.length === 0) throw new Ipv8DHTError('value was not stored');
    return done;
  }

  /** Contacts by address key (for a subclass). */
  protected contactAt(address: Address): Contact | undefined {
    const k = addressKey(address);
    return this.routingTable.contacts().find((c) => addressKey(c.address) === k);
  }
}

/** Bytes of a find response around its values and nodes: header, key, identifier, token, counts, signature. */
function findResponseBytes(keyBytes: number): number {
  return 23 + 2 + keyBytes + 4 + 20 + 1 + 1 + 64;
}

/**
 * Trims a find response (nodes first, then values, farthest last) to what the host may still send to an
 * address that has not proved itself: py-ipv8 knows nothing of the amplification bound, so the answer
 * shrinks instead of being withheld. A py-ipv8 requester whose first find gets fewer nodes still converges.
 * @returns how many nodes and values were taken out.
 */
function fitAllowance(values: Uint8Array[], nodes: Contact[], allowance: number, keyBytes: number): { nodes: number; values: number } {
  const before = { nodes: nodes.length, values: values.length };
  if (allowance === Number.POSITIVE_INFINITY) return { nodes: 0, values: 0 };
  let size = findResponseBytes(keyBytes);
  for (const v of values) size += 2 + v.length;
  for (const n of nodes) size += (n.address.host.includes(':') ? 19 : 7) + 2 + (n.publicKeyBinary?.length ?? 0);
  while (size > allowance && nodes.length > 0) {
    const n = nodes.pop()!;
    size -= (n.address.host.includes(':') ? 19 : 7) + 2 + (n.publicKeyBinary?.length ?? 0);
  }
  while (size > allowance && values.length > 0) size -= 2 + values.pop()!.length;
  return { nodes: before.nodes - nodes.length, values: before.values - values.length };
}

/** py-ipv8's `post_process_values`: the newest version per signed publisher, then every unsigned value. */
export function mergeValues(values: readonly Uint8Array[]): Ipv8FoundValue[] {
  const signed = new Map<string, Ipv8FoundValue>();
  const unsigned = new Map<string, Ipv8FoundValue>();
  for (const v of values) {
    const p = parseIpv8Value(v);
    if (p === undefined) continue;
    if (p.publicKey === undefined) {
      unsigned.set(toHex(p.data), p);
      continue;
    }
    const k = toHex(p.publicKey);
    const old = signed.get(k);
    if (old === undefined || p.version > old.version) signed.set(k, p);
  }
  return [...signed.values(), ...unsigned.values()];
}
