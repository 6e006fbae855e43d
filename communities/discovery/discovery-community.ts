/**
 * DHTDiscoveryCommunity: find and connect to a peer by its mid (SHA-1 of its public key), py-ipv8's
 * `connect_peer`. Every node keeps a record of its address on the k nodes closest to its own mid. A search
 * hellos the peer where our routing table or the DHT lists it (its node id is its mid); when that does not
 * answer, it asks the nodes holding the record, which introduce the requester to the peer (the peer
 * punctures toward the requester). The requester accepts the peer only after a signed packet from it.
 * @module
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { Community, Peer, TOKENS, addressKey, communityIdFromName, toHex } from '../../framework/index.js';
import type { Address, CommunityContext, CommunitySettings, Incoming, PublicKey } from '../../framework/index.js';
import { DHTCommunity, DHTError } from '../dht/index.js';
import type { FindReply, LookupListener, LookupPeer, RecordNetwork } from '../dht/index.js';
import { Announcer } from './announcer.js';
import { Announce, AnnounceRequest, FindPeer, FindPeerRequest, Hello, HelloRequest, HelloResponse, IntroduceRequest, PeerPuncture } from './messages.js';
import { PeerRecords } from './peer-records.js';
import { PeerSearch } from './peer-search.js';
import { onAnnounce, onFindPeer } from './storer.js';

/** Settings of a {@link DHTDiscoveryCommunity}. */
export interface DiscoveryCommunitySettings extends CommunitySettings {
  /** Keepalive to the nodes holding our record, in ms. @default 10_000 */
  keepaliveIntervalMs?: number;
  /** Storers drop a record silent this long, in ms. @default 60_000 */
  recordSilenceMs?: number;
  /** Re-announce to the current k closest this often, in ms. @default 300_000 */
  reannounceIntervalMs?: number;
  /** Re-announce at once when fewer storers than this hold our record. @default 4 */
  minStorers?: number;
  /** Default `connectPeer` timeout, in ms. @default 10_000 */
  connectTimeoutMs?: number;
  /** Per-request timeout, in ms. @default 2_000 */
  requestTimeoutMs?: number;
}

/** Options of {@link DHTDiscoveryCommunity.connectPeer}. */
export interface ConnectOptions {
  /** Cancels the search. */
  signal?: AbortSignal;
  /** Gives up after this many ms. @default the community's `connectTimeoutMs` (10 s) */
  timeoutMs?: number;
  /** Receives the events of the search's lookups (kind `connect`), hop by hop. */
  onEvent?: LookupListener;
  /**
   * Returns at once, without a packet, a peer this community verified within `recordSilenceMs`, even
   * though it may have gone offline since. Off by default: a result then always rests on a signed packet
   * the peer sent during this call.
   * @default false
   */
  cached?: boolean;
}

/** The discovery community's id: SHA-1 of `peerlay/dht-discovery/v1`. */
export const DISCOVERY_COMMUNITY_ID = communityIdFromName('peerlay/dht-discovery/v1');

/**
 * Finds peers by mid. Register it after {@link DHTCommunity}, whose routing table and lookups it uses.
 *
 * @example
 * ```ts
 * host.register(DHTCommunity);
 * const discovery = host.register(DHTDiscoveryCommunity);
 * await host.start();
 * const [peer] = await discovery.connectPeer(fromHex(mid));
 * ```
 */
@injectable()
export class DHTDiscoveryCommunity extends Community {
  /** Uses the node's {@link DHTCommunity}: register that first. */
  static override readonly requires = [DHTCommunity];
  /** Records this node holds for others. */
  readonly records = new PeerRecords();
  /** Resolved settings. */
  readonly settings: Required<Omit<DiscoveryCommunitySettings, 'discovery'>>;
  /** Keeps our own record alive on the nodes closest to our mid. */
  readonly announcer: Announcer;
  /** The DHT's public door (see `DHTCommunity.network`). */
  readonly network: RecordNetwork;
  /** The DHT's contact events (`contact:added`). */
  readonly contacts: DHTCommunity;
  private readonly waiting = new Map<string, Set<(peer: Peer) => void>>();
  /** The search running for each mid (by hex), which a puncture from that peer hints at. */
  private readonly searches = new Map<string, PeerSearch>();
  /** Ends each `connectPeer` in progress with `stopped` (called by `stop()`). */
  private readonly connecting = new Set<() => void>();
  /**
   * When each peer last proved itself at its current address (a puncture or hello answer). Not
   * `Peer.lastSeen`: that is bumped by any signed packet of the peer's key, from whatever address.
   */
  private readonly verifiedAt = new WeakMap<Peer, number>();

  /** One find for nodes through the DHT (its checks included): what a search asks each node of a lookup. */
  queryFind(peer: LookupPeer, target: Uint8Array, values: false): Promise<FindReply> {
    return this.dht.queryFind(peer, target, values);
  }

  /** @param ctx the node's services. @param dht the node's DHT. @param settings see {@link DiscoveryCommunitySettings}. */
  constructor(
    @inject(TOKENS.Context) ctx: CommunityContext,
    @inject(DHTCommunity) private readonly dht: DHTCommunity,
    @inject(TOKENS.Settings) settings: DiscoveryCommunitySettings,
  ) {
    super(ctx, DISCOVERY_COMMUNITY_ID, { discovery: { walk: false, churn: false, ...settings.discovery } });
    this.settings = {
      keepaliveIntervalMs: settings.keepaliveIntervalMs ?? 10_000,
      recordSilenceMs: settings.recordSilenceMs ?? 60_000,
      reannounceIntervalMs: settings.reannounceIntervalMs ?? 300_000,
      minStorers: settings.minStorers ?? 4,
      connectTimeoutMs: settings.connectTimeoutMs ?? 10_000,
      requestTimeoutMs: settings.requestTimeoutMs ?? 2_000,
    };
    this.network = dht.network;
    this.contacts = dht;
    this.announcer = new Announcer(this);
    this.handle(AnnounceRequest, (m) => onAnnounce(this, m));
    this.handle(FindPeerRequest, (m) => onFindPeer(this, m));
    this.handle(IntroduceRequest, (m) => this.onIntroduce(m));
    // A puncture proves the peer at its source only when it answers our own request: it must echo the id
    // of a find-peer request of the search running for that peer (the storer forwarded it to the peer), so
    // a puncture replayed from an earlier search, or to another requester, is dropped.
    this.handle(PeerPuncture, (m) => {
      const search = m.sender === undefined ? undefined : this.searches.get(m.sender.midHex);
      if (search === undefined || !search.asked(m.value.nonce)) return this.drop('unsolicited-puncture', m.from);
      this.onVerified(m);
    });
    this.handle(HelloRequest, (m) => {
      this.reply(m, HelloResponse, { id: m.value.id });
    });
    this.handleResponses(Announce);
    this.handleResponses(FindPeer);
    this.handleResponses(Hello);
  }

  /**
   * Finds the peer(s) holding the key whose SHA-1 is `mid`, verified by a signed packet each sent during
   * this call (a hello answer or a puncture). Hellos the peer directly when the DHT routing table or the
   * peer store holds its mid, else looks it up and hellos it where the DHT lists it; asks the nodes holding
   * its record (which introduce us, for peers behind a NAT) only when no hello answered within the DHT's
   * soft timeout (see `PeerSearch`). With `cached: true`, a peer verified within `recordSilenceMs` is
   * returned at once instead, without a packet.
   * @throws `DHTError` `not-found` as soon as every path was tried and the peer did not answer (every
   *   storer asked, no hello pending), or at the timeout, whichever comes first; `aborted`;
   *   `invalid-key` for a mid that is not 20 bytes; `no-nodes` when the routing table is empty;
   *   `stopped` when the community is not running or stops meanwhile.
   */
  async connectPeer(mid: Uint8Array, options: ConnectOptions = {}): Promise<Peer[]> {
    if (!(mid instanceof Uint8Array) || mid.length !== 20) throw new DHTError('a mid is 20 bytes', 'invalid-key');
    const midHex = toHex(mid);
    const known = options.cached === true ? this.knownPeer(midHex) : undefined;
    if (known !== undefined) return [known];
    if (!this.isRunning) throw new DHTError('the discovery community is not running', 'stopped');
    const timeoutMs = options.timeoutMs ?? this.settings.connectTimeoutMs;
    return new Promise<Peer[]>((resolve, reject) => {
      let done = false;
      const finish = (error: DHTError | undefined, peer?: Peer): void => {
        if (done) return;
        done = true;
        search.cancel();
        if (this.searches.get(midHex) === search) this.searches.delete(midHex);
        this.cancel(timer);
        this.connecting.delete(onStopped);
        options.signal?.removeEventListener('abort', onAbort);
        const set = this.waiting.get(midHex);
        set?.delete(onPeer);
        if (set?.size === 0) this.waiting.delete(midHex);
        if (error !== undefined) reject(error);
        else resolve([peer!]);
      };
      const onPeer = (peer: Peer): void => finish(undefined, peer);
      const onAbort = (): void => finish(new DHTError('connectPeer aborted', 'aborted'));
      const onStopped = (): void => finish(new DHTError('the discovery community stopped', 'stopped'));
      const search = new PeerSearch(this, mid, {
        answered: (m) => this.onVerified(m),
        failed: (error) => finish(error),
        exhausted: () => finish(new DHTError(`peer ${midHex} not found: every node that could know it was asked and no address answered`, 'not-found')),
        onEvent: options.onEvent,
      });
      this.searches.set(midHex, search);
      const timer = this.after(timeoutMs, () => finish(new DHTError(`peer ${midHex} not found within ${timeoutMs} ms`, 'not-found')));
      if (options.signal?.aborted === true) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.connecting.add(onStopped);
      const set = this.waiting.get(midHex) ?? new Set();
      set.add(onPeer);
      this.waiting.set(midHex, set);
      search.start();
    });
  }

  /**
   * Pings the peer with this mid: finds it as {@link connectPeer} does (a proof from the peer during this
   * call), then sends it one DHT ping at the address it answered from.
   * @param mid the peer's mid (20 bytes).
   * @param options as for {@link connectPeer}; `signal` also cancels the ping, whose timeout is the DHT's
   *   (from the peer's measured round-trip time).
   * @returns the peer's public key (its SHA-1 is `mid`), the address it answered from, and the round-trip
   *   time of the ping in ms (the search before it is not counted).
   * @throws `DHTError` as {@link connectPeer} does, and `not-found` when the ping was answered by another
   *   key; the DHT's `TimeoutError` / `AbortError` when the ping is not answered.
   * @example
   * ```ts
   * const { address, rttMs } = await discovery.ping(fromHex(mid));
   * ```
   */
  async ping(mid: Uint8Array, options: ConnectOptions = {}): Promise<{ publicKey: PublicKey; address: Address; rttMs: number }> {
    const [peer] = await this.connectPeer(mid, options);
    const { publicKey, rttMs } = await this.dht.ping({ id: mid, address: peer!.address }, options.signal);
    if (publicKey.midHex !== toHex(mid)) throw new DHTError(`the ping to ${addressKey(peer!.address)} was answered by ${publicKey.midHex}, not ${toHex(mid)}`, 'not-found');
    return { publicKey, address: peer!.address, rttMs };
  }

  /** Requests time out after the community's `requestTimeoutMs` setting. */
  protected override get requestTimeoutMs(): number {
    return this.settings.requestTimeoutMs;
  }

  /** @inheritDoc */
  protected override async onStart(): Promise<void> {
    this.announcer.start();
    this.every(this.settings.keepaliveIntervalMs, () => {
      this.records.sweep(this.context.clock.now() - this.settings.recordSilenceMs);
    });
  }

  /** @inheritDoc */
  protected override async onStop(): Promise<void> {
    this.announcer.stop();
    for (const stopped of [...this.connecting]) stopped();
    this.records.clear();
    this.waiting.clear();
  }

  private onIntroduce(m: Incoming<{ nonce: bigint; requester: Address; requesterMid: Uint8Array }>): void {
    // Only storers we announced to may ask us to reach out, so we cannot be used to spray packets.
    if (m.sender === undefined || !this.announcer.isStorer(m.sender.mid)) {
      this.drop('introduce-from-stranger', m.from);
      return;
    }
    this.send(m.value.requester, PeerPuncture, { nonce: m.value.nonce });
  }

  private onVerified(m: Incoming<unknown>): void {
    if (m.sender === undefined) return;
    const result = this.peers.addVerified(m.sender, m.from, this.context.clock.now());
    if (result.peer !== undefined) this.verifiedAt.set(result.peer, this.context.clock.now());
    const peer = result.peer ?? this.peers.getByMid(m.sender.midHex);
    if (result.added && result.peer !== undefined) this.emitEvent('peer:added', result.peer);
    const waiters = this.waiting.get(m.sender.midHex);
    if (waiters === undefined) return;
    const resolved = peer ?? new Peer(m.sender, m.from, this.context.clock.now());
    for (const w of [...waiters]) w(resolved);
  }

  private knownPeer(midHex: string): Peer | undefined {
    const peer = this.peers.getByMid(midHex);
    const at = peer === undefined ? undefined : this.verifiedAt.get(peer);
    if (at !== undefined && this.context.clock.now() - at < this.settings.recordSilenceMs) return peer;
    return undefined;
  }
}
