/**
 * DHTDiscoveryCommunity: find and connect to a peer by its mid (SHA-1 of its public key), py-ipv8's
 * `connect_peer`. Every node keeps a record of its address on the k nodes closest to its own mid (with its
 * LAN address and, if it has one, a relay address). A search hellos the peer where our routing table or
 * the DHT lists it (its node id is its mid) and asks the nodes holding the record, which return its
 * candidates and introduce the requester to the peer (the peer punctures toward the requester). The
 * requester accepts the peer only after a signed packet from it, and reports the path that packet took.
 * See docs/nat-traversal.md.
 * @module
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { Community, InvalidArgumentError, Peer, TOKENS, addressKey, communityIdFromName, isValidPort, toHex } from '../../framework/index.js';
import type { Address, CommunityContext, CommunitySettings, Incoming, ProbeSockets, PublicKey, TimerHandle } from '../../framework/index.js';
import { DHTCommunity, DHTError } from '../dht/index.js';
import type { FindReply, LookupListener, LookupPeer, RecordNetwork } from '../dht/index.js';
import { Announcer } from './announcer.js';
import { Announce, AnnounceRequest, FindPeer, FindPeerRequest, Hello, HelloRequest, HelloResponse, IntroduceRequest, NAT_CODES, PeerPuncture } from './messages.js';
import { BIRTHDAY_GRACE_MS, Birthday } from './birthday.js';
import { PeerRecords } from './peer-records.js';
import { PeerSearch } from './peer-search.js';
import { Puncturer } from './puncturer.js';
import { onAnnounce, onFindPeer } from './storer.js';
import type { ConnectPath } from './candidates.js';
import { NOTHING_TRIED, describeTried } from './connect-result.js';
import type { ConnectResult, DiscoveryEvents } from './connect-result.js';

/** Settings of a {@link DHTDiscoveryCommunity}. */
export interface DiscoveryCommunitySettings extends CommunitySettings {
  /**
   * Keepalive to each node holding our record once it answered, in ms (a new storer's first keepalive
   * comes after 20 s, or this if shorter). Linux keeps a UDP flow that saw traffic both ways for 120 s,
   * so the default keeps NAT mappings open with a margin for a lost keepalive's resends.
   * @default 100_000
   */
  keepaliveIntervalMs?: number;
  /**
   * Storers drop a record silent this long, in ms: longer than a keepalive interval plus a missed round
   * and its resends, so one lost keepalive never loses the record.
   * @default 2 * keepaliveIntervalMs + 30_000 (230 s with the default interval)
   */
  recordSilenceMs?: number;
  /** Re-announce to the current k closest this often, in ms. @default 300_000 */
  reannounceIntervalMs?: number;
  /** Re-announce at once when fewer storers than this hold our record. @default 4 */
  minStorers?: number;
  /** Default `connectPeer` timeout, in ms. @default 10_000 */
  connectTimeoutMs?: number;
  /**
   * Timeout of a request sent without a schedule of its own, in ms. Announcements, keepalives, find-peer
   * requests and hellos are resent on their own schedules (see docs/nat-traversal.md) and do not use it.
   * @default 2_000
   */
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
export class DHTDiscoveryCommunity extends Community<DiscoveryEvents> {
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
  /** Punctures toward requesters storers introduce to us. */
  readonly puncturer: Puncturer;
  /** Birthday probing through a symmetric NAT on one side (needs {@link DHTDiscoveryCommunity.setProbing}). */
  readonly birthday: Birthday;
  private readonly waiting = new Map<string, Set<(peer: Peer, path: ConnectPath) => void>>();
  /** The path each peer was last reached by. */
  private readonly paths = new WeakMap<Peer, ConnectPath>();
  /** The search running for each mid (by hex), which a puncture from that peer hints at. */
  private readonly searches = new Map<string, PeerSearch>();
  /** Ends each `connectPeer` in progress with `stopped` (called by `stop()`). */
  private readonly connecting = new Set<() => void>();
  /**
   * When each peer last proved itself at its current address (a puncture or hello answer). Not
   * `Peer.lastSeen`: that is bumped by any signed packet of the peer's key, from whatever address.
   */
  private readonly verifiedAt = new WeakMap<Peer, number>();
  /** Our NAT verdict changed: our record says it, so re-announce. */
  private readonly onNatChanged = (): void => this.announcer.changed();

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
    const keepaliveIntervalMs = settings.keepaliveIntervalMs ?? 100_000;
    this.settings = {
      keepaliveIntervalMs,
      recordSilenceMs: settings.recordSilenceMs ?? 2 * keepaliveIntervalMs + 30_000,
      reannounceIntervalMs: settings.reannounceIntervalMs ?? 300_000,
      minStorers: settings.minStorers ?? 4,
      connectTimeoutMs: settings.connectTimeoutMs ?? 10_000,
      requestTimeoutMs: settings.requestTimeoutMs ?? 2_000,
    };
    this.network = dht.network;
    this.contacts = dht;
    this.announcer = new Announcer(this);
    this.puncturer = new Puncturer(this);
    this.birthday = new Birthday(this);
    this.handle(AnnounceRequest, (m) => onAnnounce(this, m));
    this.handle(FindPeerRequest, (m) => onFindPeer(this, m));
    this.handle(IntroduceRequest, (m) => this.onIntroduce(m));
    // A puncture proves the peer at its source only when it answers our own request: it must echo the id
    // of a find-peer request of the search running for that peer (the storer forwarded it to the peer), so
    // a puncture replayed from an earlier search, or to another requester, is dropped.
    this.handle(PeerPuncture, (m) => {
      const search = m.sender === undefined ? undefined : this.searches.get(m.sender.midHex);
      if (search === undefined || !search.asked(m.value.nonce)) return this.drop('unsolicited-puncture', m.from);
      this.context.logger.debug('puncture', { from: addressKey(m.from), at: this.context.clock.now() });
      this.onVerified(m, search.puncturePath(m.from));
    });
    // A hello from a requester we are puncturing toward ends our punctures (it reached us).
    this.handle(HelloRequest, (m) => {
      const midHex = m.sender?.midHex;
      if (midHex !== undefined) this.puncturer.heard(midHex);
      if (midHex !== undefined) this.birthday.heardFrom(m.from, midHex);
      this.context.logger.debug('hello', { from: addressKey(m.from), at: this.context.clock.now() });
      this.reply(m, HelloResponse, { id: m.value.id, punctured: midHex !== undefined && this.puncturer.punctured(midHex) });
    });
    this.handleResponses(Announce);
    this.handleResponses(FindPeer);
    this.handleResponses(Hello);
  }

  /**
   * Finds the peer(s) holding the key whose SHA-1 is `mid`, verified by a signed packet each sent during
   * this call (a hello answer or a puncture): py-ipv8's `connect_peer`. See {@link connect}, which this
   * calls, for how, and for the path the connection took.
   * @throws `DHTError` as {@link connect} does.
   */
  async connectPeer(mid: Uint8Array, options: ConnectOptions = {}): Promise<Peer[]> {
    const { peer } = await this.connect(mid, options);
    return [peer];
  }

  /**
   * Connects to the peer whose mid is `mid` and says how. Hellos the peer directly when the DHT routing
   * table or the peer store holds its mid (and searches only when that does not answer within the DHT's
   * soft timeout); else looks it up, hellos it where the DHT lists it, and at once asks the nodes holding
   * its record, which return its candidates (the address they saw, its LAN and relay addresses; each
   * hello'd) and introduce us (the peer punctures toward us). Every step is resent at growing intervals
   * while the search runs. With `cached: true`, a peer verified within `recordSilenceMs` is returned at
   * once instead, without a packet. Emits `peer:connected` with the result.
   * @returns the peer, the path (`direct`, `lan`, `punched` or `relayed`), the address it proved itself
   *   from, the virtual ms it took and what was tried.
   * @throws `DHTError` `not-found` as soon as every path was tried and the peer did not answer (every
   *   storer asked, no hello pending), or at the timeout, whichever comes first, its message saying which
   *   paths were tried; `aborted`; `invalid-key` for a mid that is not 20 bytes; `no-nodes` when the
   *   routing table is empty; `stopped` when the community is not running or stops meanwhile.
   * @example
   * ```ts
   * const { peer, path } = await discovery.connect(fromHex(mid));
   * console.log(`${peer.midHex} at ${addressKey(peer.address)} (${path})`);
   * ```
   */
  async connect(mid: Uint8Array, options: ConnectOptions = {}): Promise<ConnectResult> {
    if (!(mid instanceof Uint8Array) || mid.length !== 20) throw new DHTError('a mid is 20 bytes', 'invalid-key');
    const midHex = toHex(mid);
    const known = options.cached === true ? this.knownPeer(midHex) : undefined;
    if (known !== undefined) {
      const result = { peer: known, path: this.paths.get(known) ?? 'direct', address: known.address, elapsedMs: 0, tried: NOTHING_TRIED, cached: true };
      this.emit('peer:connected', result);
      return result;
    }
    if (!this.isRunning) throw new DHTError('the discovery community is not running', 'stopped');
    const timeoutMs = options.timeoutMs ?? this.settings.connectTimeoutMs;
    const begin = this.context.clock.now();
    return new Promise<ConnectResult>((resolve, reject) => {
      let done = false;
      // A relayed answer while birthday probing runs is held for BIRTHDAY_GRACE_MS: a direct path is better.
      let fallback: { peer: Peer; path: ConnectPath } | undefined;
      let fallbackTimer: TimerHandle | undefined;
      const finish = (error: DHTError | undefined, peer?: Peer, path?: ConnectPath): void => {
        if (done) return;
        // The held relayed answer stands in for a search that found nothing better, not for an abort or a stop.
        if (error?.reason === 'not-found' && fallback !== undefined) return finish(undefined, fallback.peer, fallback.path);
        done = true;
        this.cancel(fallbackTimer);
        search.cancel();
        if (this.searches.get(midHex) === search) this.searches.delete(midHex);
        this.cancel(timer);
        this.connecting.delete(onStopped);
        options.signal?.removeEventListener('abort', onAbort);
        const set = this.waiting.get(midHex);
        set?.delete(onPeer);
        if (set?.size === 0) this.waiting.delete(midHex);
        if (error !== undefined) return reject(error);
        const result: ConnectResult = { peer: peer!, path: path!, address: peer!.address, elapsedMs: this.context.clock.now() - begin, tried: search.tried, cached: false };
        this.emit('peer:connected', result);
        resolve(result);
      };
      const onPeer = (peer: Peer, path: ConnectPath): void => {
        if (path === 'relayed' && search.tried.probing !== 'none') {
          if (fallback !== undefined) return;
          fallback = { peer, path };
          fallbackTimer = this.after(BIRTHDAY_GRACE_MS, () => finish(undefined, peer, path));
          return;
        }
        finish(undefined, peer, path);
      };
      const onAbort = (): void => finish(new DHTError('connectPeer aborted', 'aborted'));
      const onStopped = (): void => finish(new DHTError('the discovery community stopped', 'stopped'));
      const search = new PeerSearch(this, mid, {
        answered: (m, path) => this.onVerified(m, path),
        failed: (error) => finish(error),
        exhausted: () => finish(new DHTError(`peer ${midHex} not found: every node that could know it was asked and no address answered (${describeTried(search.tried)})`, 'not-found')),
        onEvent: options.onEvent,
        trace: (step, fields) => this.context.logger.debug(`connect ${midHex.slice(0, 12)}: ${step}`, { ms: this.context.clock.now() - begin, at: this.context.clock.now(), ...fields }),
      });
      this.searches.set(midHex, search);
      const timer = this.after(timeoutMs, () => finish(new DHTError(`peer ${midHex} not found within ${timeoutMs} ms (${describeTried(search.tried)})`, 'not-found')));
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
   * Sets the relay address announced with our record (an address on a relaying node where packets reach
   * us), or clears it with `undefined`; a change re-announces at once. Requesters hello it like any other
   * candidate, and report the path `relayed` when it answers.
   * @throws `InvalidArgumentError` for an address that is not `{ host, port }` with a port in 1..65535.
   */
  setRelayAddress(address: Address | undefined): void {
    if (address !== undefined && (typeof address.host !== 'string' || address.host === '' || !isValidPort(address.port) || address.port === 0)) {
      throw new InvalidArgumentError(`a relay address is { host, port } with a port in 1..65535, got ${JSON.stringify(address)}`);
    }
    this.announcer.setRelay(address === undefined ? undefined : { host: address.host, port: address.port });
  }

  /**
   * Gives the community the node's probe sockets (a `ProbingEndpoint` the node's endpoint stack holds),
   * or takes them away with `undefined`. With them, a connect between a peer behind a symmetric NAT and
   * one behind a cone NAT tries birthday probing (path `birthday`); without them it relies on a relay.
   */
  setProbing(probing: ProbeSockets | undefined): void {
    this.birthday.setProbing(probing);
  }

  /** Logs a step of birthday probing at debug level (a node's `--verbose` log). */
  birthdayLog(message: string, fields: Record<string, unknown>): void {
    this.context.logger.debug(message, { ...fields, at: this.context.clock.now() });
  }

  /** Our NAT as the DHT judges it now, as a `NAT_CODES` value (announced, and sent with find-peer requests). */
  natCode(): number {
    switch (this.dht.nat.status.mapping) {
      case 'none':
        return NAT_CODES.public;
      case 'endpoint-independent':
        return NAT_CODES.cone;
      case 'address-dependent':
        return NAT_CODES.symmetric;
      default:
        return NAT_CODES.unknown;
    }
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
    this.dht.nat.on('nat:changed', this.onNatChanged);
    this.announcer.start();
    const sweepMs = Math.max(1_000, Math.min(this.settings.keepaliveIntervalMs, Math.floor(this.settings.recordSilenceMs / 4)));
    this.every(sweepMs, () => {
      this.records.sweep(this.context.clock.now() - this.settings.recordSilenceMs);
    });
  }

  /** @inheritDoc */
  protected override async onStop(): Promise<void> {
    this.dht.nat.off('nat:changed', this.onNatChanged);
    this.announcer.stop();
    this.puncturer.stop();
    this.birthday.stop();
    for (const stopped of [...this.connecting]) stopped();
    this.records.clear();
    this.waiting.clear();
  }

  private onIntroduce(m: Incoming<{ nonce: bigint; requester: Address; requesterMid: Uint8Array; requesterLan: Address | undefined; proven: boolean; requesterNat?: number | undefined }>): void {
    // Only nodes that hold (or recently held) our record may ask us to reach out, so we cannot be used to
    // spray packets; one we dropped after missed keepalives still holds it for `recordSilenceMs`.
    if (m.sender === undefined || !this.announcer.mayHoldRecord(m.sender.mid)) {
      this.drop('introduce-from-stranger', m.from);
      return;
    }
    const { nonce, requester, requesterLan, proven } = m.value;
    this.context.logger.debug('introduced', { requester: addressKey(requester), by: addressKey(m.from), proven, nat: m.value.requesterNat, at: this.context.clock.now() });
    this.puncturer.introduce({ nonce, requester, requesterMidHex: toHex(m.value.requesterMid), requesterLan, proven }, m.from);
    // Birthday probing only toward a requester whose address a token proved: a spray is 2,000 packets.
    if (proven) {
      this.birthday.attempt(requester, m.value.requesterNat ?? NAT_CODES.unknown, toHex(m.value.requesterMid), m.from, (address) => {
        this.context.logger.debug('birthday-hit', { requester: addressKey(requester), address: addressKey(address), at: this.context.clock.now() });
        this.send(address, PeerPuncture, { nonce });
      });
    }
  }

  private onVerified(m: Incoming<unknown>, path: ConnectPath): void {
    if (m.sender === undefined) return;
    this.birthday.heardFrom(m.from, m.sender.midHex);
    const result = this.peers.addVerified(m.sender, m.from, this.context.clock.now());
    if (result.peer !== undefined) this.verifiedAt.set(result.peer, this.context.clock.now());
    const peer = result.peer ?? this.peers.getByMid(m.sender.midHex);
    if (result.added && result.peer !== undefined) this.emitEvent('peer:added', result.peer);
    const waiters = this.waiting.get(m.sender.midHex);
    if (waiters === undefined) return;
    const resolved = peer ?? new Peer(m.sender, m.from, this.context.clock.now());
    this.paths.set(resolved, path);
    for (const w of [...waiters]) w(resolved, path);
  }

  private knownPeer(midHex: string): Peer | undefined {
    const peer = this.peers.getByMid(midHex);
    const at = peer === undefined ? undefined : this.verifiedAt.get(peer);
    if (at !== undefined && this.context.clock.now() - at < this.settings.recordSilenceMs) return peer;
    return undefined;
  }
}
