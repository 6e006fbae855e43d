/**
 * The overlay host: one node. It owns one key, one endpoint, a clock and a random source, and many
 * communities, demultiplexing incoming packets to them by their 22-byte prefix. Communities are built by
 * tsyringe in a child container per node, so hundreds of nodes can live in one process.
 * @module
 */
import 'reflect-metadata';
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import { container as rootContainer } from 'tsyringe';
import type { CommunityContext, Transport } from '../community/context.js';
import { PublicKeyCache } from '../community/context.js';
import type { CommunityClass, CommunitySettings, OverlayCommunity } from '../community/community.js';
import { PrivateKey } from '../crypto/keys.js';
import { PairKeys } from '../crypto/pair-keys.js';
import type { PairKeysOptions } from '../crypto/pair-keys.js';
import { TOKENS } from '../di/tokens.js';
import type { Address } from '../endpoint/address.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import { LifecycleError, InvalidArgumentError, MissingDependencyError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { Random } from '../random/random.js';
import { CryptoRandom } from '../random/random.js';
import type { Clock } from '../time/clock.js';
import { SystemClock } from '../time/system-clock.js';
import { toHex } from '../util/bytes.js';
import { HEADER_BYTES, MAC_TAG_BYTES, PREFIX_BYTES, readHeader } from '../wire/packet.js';
import { RateLimiter } from './rate-limiter.js';
import type { RateLimitOptions } from './rate-limiter.js';
import { IpRateLimiter } from './ip-rate-limit.js';
import type { IpRateLimitOptions } from './ip-rate-limit.js';
import { VerifyBudget } from './verify-budget.js';
import { AmplificationBudget } from './amplification-budget.js';
import type { AmplificationBudgetOptions } from './amplification-budget.js';
import { SendPacer } from './send-pacer.js';
import type { SendPacingOptions } from './send-pacer.js';
import type { VerifyBudgetOptions } from './verify-budget.js';
import { addressKey, sameAddress } from '../endpoint/address.js';
import { classOf, communityDependencies, unregisteredCommunities } from './dependencies.js';


/** Set in the key length field of a tagged packet (see `wire/packet.ts`). */
const MAC_KEY_LENGTH_FLAG = 0x8000;

/** Most communities whose prefixes a packet is compared with one by one (see `OverlayHost.communityOf`). */
const LINEAR_PREFIX_SEARCH = 16;

/** Options of an {@link OverlayHost}. */
export interface OverlayHostOptions {
  /** The transport (a {@link UdpEndpoint} or an in-memory one). */
  endpoint: Endpoint;
  /** The node's identity. @default a fresh key from `random` */
  key?: PrivateKey;
  /** Time and timers. @default a {@link SystemClock} */
  clock?: Clock;
  /** Randomness. @default a {@link CryptoRandom} */
  random?: Random;
  /** Diagnostics. @default silent */
  logger?: Logger;
  /** Bootstrap addresses given to every community that does not set its own. @default [] */
  bootstrap?: readonly Address[];
  /** Parent DI container. @default tsyringe's root container */
  container?: DependencyContainer;
  /**
   * Per-source (`host:port`) rate limit checked before any packet is parsed; `false` turns it off, and with
   * it the per-IP limit and the verification budget unless those are given explicitly (so `false` admits
   * every packet, as the fuzz harness needs). @default {} (the defaults of {@link RateLimitOptions})
   */
  rateLimit?: RateLimitOptions | false;
  /**
   * The per-source limit of a source whose address proved itself (it echoed our token or answered our
   * request; see `amplification`): a known contact's own bursts get more room than a stranger's, while a
   * stranger's flood meets `rateLimit`. Not used when `rateLimit` is `false` or the amplification budget is off.
   * @default twice `rateLimit`'s defaults: 100 packets/s, burst 400, ban after 800 drops in a row
   */
  provenRateLimit?: RateLimitOptions;
  /**
   * Per-IP aggregate limit (an IPv4 address or IPv6 /64, across its ports), checked before the per-source
   * one; loopback and private sources are exempt by default; `false` turns it off.
   * @default {} (the defaults of {@link IpRateLimitOptions}: 200 packets/s, burst 800, 60 s bans), or `false` when `rateLimit` is `false`
   */
  ipRateLimit?: IpRateLimitOptions | false;
  /**
   * Node-wide budget on packets routed to communities (each may cost a signature check; a packet tagged
   * under a pairwise key the node holds costs none and is not charged); `false` turns it off.
   * @default {} (the defaults of {@link VerifyBudgetOptions}: 10,000 packets/s), or `false` when `rateLimit` is `false`
   */
  verifyBudget?: VerifyBudgetOptions | false;
  /**
   * Pairwise packet keys ({@link PairKeys}): a signed message to a peer whose key is known carries a
   * 16-byte HMAC tag for that peer instead of an Ed25519 signature (an X25519 agreement per peer, cached,
   * then one HMAC per packet on each side). Tags from peers are always accepted; `{ tagOutgoing: false }`
   * signs everything this node sends. @default {} (the defaults of {@link PairKeysOptions})
   */
  packetMacs?: PairKeysOptions;
  /**
   * The amplification budget ({@link AmplificationBudget}): until an address proves it receives there (it
   * echoed a token we issued it, or answered a request of ours), everything sent to it, replies and every
   * follow-up, stays within 3x the bytes received from it; a send beyond is withheld and counted in
   * `stats.amplificationWithheld`. `false` turns it off. @default {} (the defaults of {@link AmplificationBudgetOptions})
   */
  amplification?: AmplificationBudgetOptions | false;
  /**
   * Pacing of this node's own requests per destination ({@link SendPacer}), a little below the per-source
   * limit peers apply by default (50 packets/s, burst 200), so a burst of local work waits its turn
   * instead of being dropped by the peers; `false` turns it off. @default {} (45 packets/s, burst 180)
   */
  pacing?: SendPacingOptions | false;
}

/** Counters of the host's demultiplexer. */
export interface HostStats {
  /** Packets that reached a community. */
  routed: number;
  /** Packets too short or not starting with byte 0. */
  malformed: number;
  /** Packets for a community this node does not run. */
  unknownCommunity: number;
  /** Packets dropped by the rate limits (limited or banned, per source or per IP): the sum of the four below. */
  rateLimited: number;
  /** Of `rateLimited`: dropped because the `host:port` bucket was empty. */
  sourceLimited: number;
  /** Of `rateLimited`: dropped because the `host:port` was banned. */
  sourceBanned: number;
  /** Of `rateLimited`: dropped because the IP's (or /64's) bucket was empty. */
  ipLimited: number;
  /** Of `rateLimited`: dropped because the IP (or /64) was banned. */
  ipBanned: number;
  /** Packets dropped because the node-wide verification budget was spent (`'over-budget'`). */
  overBudget: number;
  /** Packets this node did not send because their address had not proved itself and its amplification credit was spent. */
  amplificationWithheld: number;
}

/**
 * One node: a key, an endpoint and its communities.
 *
 * @example
 * ```ts
 * const host = new OverlayHost({ endpoint: new UdpEndpoint({ port: 0 }), bootstrap: [parseAddress('127.0.0.1:8090')] });
 * const dht = host.register(DHTCommunity, { bucketSize: 8 });
 * await host.start();
 * await dht.storeValue('my key', utf8('my value'), { sign: true });
 * await host.stop();
 * ```
 */
export class OverlayHost {
  /** This node's child container; communities are resolved from it. */
  readonly container: DependencyContainer;
  /** The node's identity. */
  readonly key: PrivateKey;
  /** The node's clock. */
  readonly clock: Clock;
  /** The node's random source. */
  readonly random: Random;
  /** The node's endpoint. */
  readonly endpoint: Endpoint;
  /** The services handed to every community. */
  readonly context: CommunityContext;
  /** Demultiplexer counters. */
  readonly stats: HostStats = {
    routed: 0,
    malformed: 0,
    unknownCommunity: 0,
    rateLimited: 0,
    sourceLimited: 0,
    sourceBanned: 0,
    ipLimited: 0,
    ipBanned: 0,
    overBudget: 0,
    amplificationWithheld: 0,
  };
  /** The per-source (`host:port`) rate limiter, if enabled. */
  readonly rateLimiter: RateLimiter | undefined;
  /** The per-source rate limiter of sources whose address proved itself, if enabled (see `provenRateLimit`). */
  readonly provenRateLimiter: RateLimiter | undefined;
  /** The per-IP aggregate rate limiter, if enabled. */
  readonly ipRateLimiter: IpRateLimiter | undefined;
  /** The node-wide verification budget, if enabled. */
  readonly verifyBudget: VerifyBudget | undefined;
  /** The amplification budget toward unproven addresses, if enabled. */
  readonly amplification: AmplificationBudget | undefined;
  /** The pacing of this node's own requests per destination, if enabled. */
  readonly pacer: SendPacer | undefined;
  private readonly byPrefix = new Map<string, OverlayCommunity>();
  private readonly ordered: OverlayCommunity[] = [];
  private readonly bootstrap: readonly Address[];
  private running = false;
  /** The source of the packet being handled (synchronously) by a community, if any. */
  private handling: Address | undefined;
  private readonly listener = (data: Uint8Array, from: Address): void => this.route(data, from);

  /** @param options see {@link OverlayHostOptions}. */
  constructor(options: OverlayHostOptions) {
    this.endpoint = options.endpoint;
    this.clock = options.clock ?? new SystemClock();
    this.random = options.random ?? new CryptoRandom();
    this.key = options.key ?? PrivateKey.generate(this.random);
    this.bootstrap = options.bootstrap ?? [];
    this.rateLimiter = options.rateLimit === false ? undefined : new RateLimiter(this.clock, options.rateLimit);
    const admitAll = options.rateLimit === false;
    const ipLimit = options.ipRateLimit ?? (admitAll ? false : {});
    this.ipRateLimiter = ipLimit === false ? undefined : new IpRateLimiter(this.clock, ipLimit);
    const budgetOptions = options.verifyBudget ?? (admitAll ? false : {});
    const budget = budgetOptions === false ? undefined : new VerifyBudget(this.clock, budgetOptions);
    this.verifyBudget = budget;
    const amplification = options.amplification === false ? undefined : new AmplificationBudget(options.amplification);
    this.amplification = amplification;
    const pacer = options.pacing === false ? undefined : new SendPacer(this.clock, options.pacing);
    this.pacer = pacer;
    this.provenRateLimiter =
      this.rateLimiter === undefined || amplification === undefined
        ? undefined
        : new RateLimiter(this.clock, { ratePerSecond: 100, burst: 400, banAfterDrops: 800, ...options.provenRateLimit });
    const endpoint = this.endpoint;
    const transport: Transport = {
      send: (to, data, sendOptions) => {
        if (amplification !== undefined && sendOptions?.unmetered !== true && !amplification.charge(to, data.length)) {
          this.stats.amplificationWithheld++;
          return false;
        }
        // A send to the address whose packet is being handled is (almost always) the answer to it: it
        // must not earn that address the budget bypass, or any requester would get one.
        const replying = this.handling !== undefined && sameAddress(this.handling, to);
        if (budget !== undefined && !replying) budget.noteSent(to);
        pacer?.sent(to);
        endpoint.send(to, data);
        return true;
      },
      get maxPacketBytes() {
        return endpoint.maxPacketBytes;
      },
      get localAddress() {
        return endpoint.address;
      },
    };
    this.context = {
      key: this.key,
      clock: this.clock,
      random: this.random,
      transport,
      keys: new PublicKeyCache(),
      pairs: new PairKeys(this.key, options.packetMacs),
      logger: options.logger ?? silentLogger,
      amplification,
      pacing: pacer,
    };
    this.container = (options.container ?? rootContainer).createChildContainer();
    this.container.register(TOKENS.Clock, { useValue: this.clock });
    this.container.register(TOKENS.Random, { useValue: this.random });
    this.container.register(TOKENS.Endpoint, { useValue: this.endpoint });
    this.container.register(TOKENS.PrivateKey, { useValue: this.key });
    this.container.register(TOKENS.Logger, { useValue: this.context.logger });
    this.container.register(TOKENS.Context, { useValue: this.context });
    this.container.register(OverlayHost, { useValue: this });
  }

  /** True between `start()` and `stop()`. */
  get isRunning(): boolean {
    return this.running;
  }

  /** The node's mid (SHA-1 of its public key binary), hex. */
  get midHex(): string {
    return this.key.publicKey.midHex;
  }

  /**
   * Builds a community with the node's container and registers it (pass the settings type explicitly,
   * `host.register<DHTCommunity, DHTSettings>(DHTCommunity, {...})`, to have it checked); later communities can inject it by
   * its class. `settings` is injected as {@link TOKENS.Settings}; `discovery.bootstrap` defaults to the
   * host's bootstrap list. Register before `start()`, or the community is started at once.
   *
   * The communities `cls` needs (its static {@link Community.requires}, and any community class injected
   * into its constructor) must be registered on this host first, so it gets their running instances.
   * @throws {@link MissingDependencyError} when one is not (nothing is registered then).
   * @throws {@link InvalidArgumentError} when a community with the same id is already registered.
   */
  register<C extends OverlayCommunity, S extends object = CommunitySettings>(cls: CommunityClass<C>, settings?: S): C {
    for (const dep of communityDependencies(cls)) {
      if (!this.container.isRegistered(dep as InjectionToken<OverlayCommunity>)) throw new MissingDependencyError(cls.name, dep.name);
    }
    const scope = this.container.createChildContainer();
    const given = (settings ?? {}) as CommunitySettings;
    const merged: CommunitySettings = { ...given, discovery: { bootstrap: this.bootstrap, ...given.discovery } };
    scope.register(TOKENS.Settings, { useValue: merged });
    const community = scope.resolve(cls as InjectionToken<C>);
    // Whatever slipped past the check above (a dependency tsyringe built itself) must not run unnoticed.
    const [orphan] = unregisteredCommunities(community, this.ordered);
    if (orphan !== undefined) throw new MissingDependencyError(cls.name, classOf(orphan).name);
    const key = toHex(community.prefix);
    if (this.byPrefix.has(key)) {
      throw new InvalidArgumentError(`a community with id ${community.communityIdHex} is already registered`);
    }
    this.byPrefix.set(key, community);
    this.ordered.push(community);
    this.container.register(cls as InjectionToken<C>, { useValue: community });
    if (this.running) void community.start();
    return community;
  }

  /**
   * The registered instance of `cls`.
   * @throws {@link LifecycleError} when no such community is registered.
   */
  get<C extends OverlayCommunity>(cls: CommunityClass<C>): C {
    const found = this.ordered.find((c) => c instanceof cls);
    if (found === undefined) throw new LifecycleError(`no ${cls.name} is registered on this node`);
    return found as C;
  }

  /** Every registered community, in registration order. */
  communities(): readonly OverlayCommunity[] {
    return this.ordered;
  }

  /**
   * Opens the endpoint and starts every community in registration order (so each after the communities
   * it requires). Idempotent.
   * @throws {@link MissingDependencyError} when a community's required community is not registered before it.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.ordered.forEach((c, i) => {
      for (const dep of communityDependencies(classOf(c))) {
        const at = this.ordered.findIndex((d) => d.constructor === dep);
        if (at < 0 || at > i) throw new MissingDependencyError(classOf(c).name, dep.name);
      }
    });
    this.running = true;
    await this.endpoint.open();
    this.endpoint.addListener(this.listener);
    for (const c of this.ordered) await c.start();
  }

  /** Stops every community (reverse order) and closes the endpoint. Idempotent. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const c of [...this.ordered].reverse()) await c.stop();
    this.pacer?.clear();
    this.endpoint.removeListener(this.listener);
    await this.endpoint.close();
  }

  private route(data: Uint8Array, from: Address): void {
    if (!this.withinRateLimits(from)) return;
    const header = readHeader(data);
    if (header === undefined) {
      this.stats.malformed++;
      return;
    }
    const community = this.communityOf(data);
    if (community === undefined) {
      this.stats.unknownCommunity++;
      return;
    }
    if (this.verifyBudget !== undefined && !this.taggedByHeldPeer(data) && !this.verifyBudget.admit(from)) {
      this.stats.overBudget++;
      return;
    }
    this.stats.routed++;
    this.amplification?.received(from, data.length);
    this.handling = from;
    try {
      community.receive(data, header.messageId, from);
    } finally {
      this.handling = undefined;
    }
  }

  /**
   * True for a packet tagged for us under a pairwise key this node holds: checking it costs one HMAC and
   * no signature check, so it does not draw on the verification budget. (Checking a tag under a key not
   * held costs a key agreement: such a packet is charged, as is anything that only looks tagged.)
   */
  private taggedByHeldPeer(data: Uint8Array): boolean {
    const pairs = this.context.pairs;
    if (pairs === undefined || data.length < HEADER_BYTES + 2) return false;
    const field = (data[HEADER_BYTES]! << 8) | data[HEADER_BYTES + 1]!;
    if ((field & MAC_KEY_LENGTH_FLAG) === 0) return false;
    const start = HEADER_BYTES + 2;
    const end = start + (field & ~MAC_KEY_LENGTH_FLAG);
    if (end + MAC_TAG_BYTES > data.length) return false;
    const key = this.context.keys.get(data.subarray(start, end));
    return key !== undefined && pairs.has(key);
  }

  /**
   * The community whose prefix `data` starts with: the few communities of a node compared byte by byte
   * (ids differ early), so a packet's prefix is not hex-encoded; many of them through the hex map.
   */
  private communityOf(data: Uint8Array): OverlayCommunity | undefined {
    const ordered = this.ordered;
    if (ordered.length > LINEAR_PREFIX_SEARCH) return this.byPrefix.get(toHex(data.subarray(0, PREFIX_BYTES)));
    for (const community of ordered) {
      const prefix = community.prefix;
      let i = 0;
      while (i < PREFIX_BYTES && prefix[i] === data[i]) i++;
      if (i === PREFIX_BYTES) return community;
    }
    return undefined;
  }

  /** Checks the per-IP limit, then the per-source one (so a banned IP costs no per-port state); counts drops. */
  private withinRateLimits(from: Address): boolean {
    const ip = this.ipRateLimiter?.check(from.host);
    if (ip === 'limited' || ip === 'banned') {
      this.stats.rateLimited++;
      if (ip === 'limited') this.stats.ipLimited++;
      else this.stats.ipBanned++;
      return false;
    }
    const proven = this.provenRateLimiter !== undefined && this.amplification!.isProven(from);
    const source = (proven ? this.provenRateLimiter : this.rateLimiter)?.check(addressKey(from));
    if (source === 'limited' || source === 'banned') {
      this.stats.rateLimited++;
      if (source === 'limited') this.stats.sourceLimited++;
      else this.stats.sourceBanned++;
      return false;
    }
    return true;
  }
}
