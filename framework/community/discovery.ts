/**
 * Peer discovery inside a community, as py-ipv8 does it: introduction requests and responses (each
 * introduction also asks the introduced peer to puncture toward the requester), a random-walk strategy
 * and a churn strategy that pings quiet peers and drops silent ones, all on one configurable tick.
 *
 * Introductions carry LAN and WAN addresses (py-ipv8's `lan_introduction_address` and
 * `wan_introduction_address`): a request names the sender's own bound address (its LAN address), the
 * responder keeps it with the peer, introduces a peer with both its WAN address (as the responder sees
 * it) and its LAN address, and asks it to puncture toward the requester's LAN address when both came from
 * one public IP (one NAT), else toward its WAN address. The requester walks to the LAN address when the
 * introduced peer's WAN IP is its own external IP. So two peers behind one NAT that does not hairpin meet
 * over their LAN.
 * @module
 */
import type { Address } from '../endpoint/address.js';
import { addressKey, sameAddress } from '../endpoint/address.js';
import { pick } from '../random/random.js';
import { Backoff } from '../time/backoff.js';
import type { BackoffOptions } from '../time/backoff.js';
import type { TimerHandle } from '../time/clock.js';
import { RateLimiter } from '../overlay/rate-limiter.js';
import { encodeBody } from '../wire/codec.js';
import { signedEnvelopeBytes } from '../wire/packet.js';
import type { Community, Incoming } from './community.js';
import { IntroductionRequest, IntroductionResponse, Puncture, PunctureRequest } from './messages.js';
import type { Peer } from './peer.js';

/** Discovery settings of a community. */
export interface DiscoverySettings {
  /** Addresses to introduce ourselves to when we know nobody. @default [] */
  bootstrap?: readonly Address[];
  /** Tick of the walk and churn strategies, in ms. @default 500 */
  intervalMs?: number;
  /** Walk while fewer verified peers than this are known. @default 30 */
  targetPeers?: number;
  /** Most verified peers kept. @default 40 */
  maxPeers?: number;
  /** Run the random-walk strategy. @default true */
  walk?: boolean;
  /** Run the churn strategy. @default true */
  churn?: boolean;
  /** Ping a peer silent for this long, in ms. @default 25_000 */
  pingAfterMs?: number;
  /** Drop a peer silent for this long, in ms. @default 60_000 */
  dropAfterMs?: number;
  /**
   * Most punctures and puncture requests sent to one address per second (burst: twice as many). Anyone
   * verified may ask us to puncture toward any address, and every introduction asks an introduced peer to
   * puncture, so without a cap an attacker could aim our traffic at a victim at its own packet rate and
   * make the victim's rate limiter drop or ban us. @default 10
   */
  punctureRatePerSecond?: number;
}

/** Most destinations whose puncture rate is tracked (LRU). */
const MAX_PUNCTURE_DESTINATIONS = 4_096;

/** One discovery behaviour run on every tick. */
export interface DiscoveryStrategy {
  /** Called once per tick while the community runs. */
  tick(discovery: PeerDiscovery): void;
}

/**
 * Delays between walks to a bootstrap address while no peer is known: 0.5 s, then times 1.5 up to 30 s,
 * ± 20 % (about 13 walks in the first minute, then 2 a minute), so a node alone on a network does not
 * send two introduction requests a second forever.
 */
export const BOOTSTRAP_WALK_BACKOFF: BackoffOptions = { firstDelayMs: 500, factor: 1.5, maxDelayMs: 30_000, jitter: 0.2 };

/** Walks to a random introduced address or known peer while below the target peer count. */
export class RandomWalkStrategy implements DiscoveryStrategy {
  private backoff: Backoff | undefined;
  private nextBootstrapAt = 0;

  /** @param targetPeers walk while fewer verified peers than this are known. */
  constructor(private readonly targetPeers: number) {}

  /** @inheritDoc */
  tick(d: PeerDiscovery): void {
    const peers = d.community.peers;
    if (peers.size >= this.targetPeers) return;
    const random = d.community.context.random;
    if (peers.size === 0 && peers.walkableCount === 0) {
      // Nobody known: retry the bootstrap addresses on BOOTSTRAP_WALK_BACKOFF.
      const now = d.community.context.clock.now();
      if (now < this.nextBootstrapAt) return;
      const boot = pick(random, d.bootstrap);
      if (boot === undefined) return;
      this.backoff ??= new Backoff(random, BOOTSTRAP_WALK_BACKOFF);
      this.nextBootstrapAt = now + this.backoff.next();
      d.walkTo(boot);
      return;
    }
    this.backoff?.reset();
    this.nextBootstrapAt = 0;
    const useWalkable = peers.walkableCount > 0 && (peers.size === 0 || random.float() < 0.5);
    const target = useWalkable ? peers.takeWalkable(random) : peers.randomPeer(random)?.address;
    if (target !== undefined) d.walkTo(target);
  }
}

/** Pings peers that went quiet and drops those silent past the limit. */
export class ChurnStrategy implements DiscoveryStrategy {
  private readonly lastPinged = new WeakMap<Peer, number>();

  /** @param pingAfterMs ping after this much silence. @param dropAfterMs drop after this much silence. */
  constructor(
    private readonly pingAfterMs: number,
    private readonly dropAfterMs: number,
  ) {}

  /** @inheritDoc */
  tick(d: PeerDiscovery): void {
    const now = d.community.context.clock.now();
    for (const peer of d.community.peers.peers()) {
      const silent = now - peer.lastSeen;
      if (silent >= this.dropAfterMs) {
        d.community.peers.remove(peer);
        d.community.emitEvent('peer:removed', peer);
      } else if (silent >= this.pingAfterMs && now - (this.lastPinged.get(peer) ?? 0) >= this.pingAfterMs) {
        this.lastPinged.set(peer, now);
        d.walkTo(peer.address);
      }
    }
  }
}

const MAX_OUTSTANDING_WALKS = 256;

/** Runs introductions and strategies for one community. */
export class PeerDiscovery {
  /** Addresses used when no peer is known. */
  readonly bootstrap: readonly Address[];
  /**
   * Counters of LAN introductions: `walkedLan`, introduced peers we walked to at their LAN address (their
   * WAN IP was ours); `puncturedLan`, punctures we sent to a requester's LAN address.
   */
  readonly lanStats = { walkedLan: 0, puncturedLan: 0 };
  /** Strategies run on every tick. */
  readonly strategies: DiscoveryStrategy[] = [];
  /** Our address as the last responder saw it (learned from introduction responses). */
  externalAddress: Address | undefined;
  private readonly outstanding = new Map<bigint, string>();
  private readonly intervalMs: number;
  private readonly punctures: RateLimiter;
  private timer: TimerHandle | undefined;

  /** @param community the owner. @param settings see {@link DiscoverySettings}. */
  constructor(
    readonly community: Community,
    settings: DiscoverySettings,
  ) {
    this.bootstrap = settings.bootstrap ?? [];
    this.intervalMs = settings.intervalMs ?? 500;
    const rate = settings.punctureRatePerSecond ?? 10;
    // Never ban: a throttled destination just gets fewer punctures.
    this.punctures = new RateLimiter(community.context.clock, { ratePerSecond: rate, burst: 2 * rate, banAfterDrops: Number.MAX_SAFE_INTEGER, maxSources: MAX_PUNCTURE_DESTINATIONS });
    if (settings.walk ?? true) this.strategies.push(new RandomWalkStrategy(settings.targetPeers ?? 30));
    if (settings.churn ?? true) {
      this.strategies.push(new ChurnStrategy(settings.pingAfterMs ?? 25_000, settings.dropAfterMs ?? 60_000));
    }
    community.registerFrameworkHandler(IntroductionRequest, (m) => this.onIntroductionRequest(m));
    community.registerFrameworkHandler(IntroductionResponse, (m) => this.onIntroductionResponse(m));
    community.registerFrameworkHandler(PunctureRequest, (m) => this.onPunctureRequest(m));
    community.registerFrameworkHandler(Puncture, (m) => this.onPuncture(m));
  }

  /** Starts the tick and introduces us to every bootstrap address once. */
  start(): void {
    for (const address of this.bootstrap) this.walkTo(address);
    if (this.strategies.length > 0) this.timer = this.community.every(this.intervalMs, () => this.tick());
  }

  /** Runs every strategy once (the timer calls this; tests may too). */
  tick(): void {
    for (const strategy of this.strategies) strategy.tick(this);
  }

  /** Sends an introduction request to `address`. */
  walkTo(address: Address): void {
    const c = this.community;
    if (sameAddress(address, c.context.transport.localAddress)) return;
    const identifier = this.newIdentifier();
    this.outstanding.set(identifier, addressKey(address));
    if (this.outstanding.size > MAX_OUTSTANDING_WALKS) {
      const oldest = this.outstanding.keys().next().value;
      if (oldest !== undefined) this.outstanding.delete(oldest);
    }
    c.send(address, IntroductionRequest, { identifier, destination: address, sourceLan: c.context.transport.localAddress });
  }

  /**
   * Asks `via` (a verified peer) to send a puncture packet toward `target`, or toward `targetLan` (the
   * target's LAN address, when we saw `via` and the target on one public IP); skipped and counted as
   * `dropped['puncture-throttled']` when `via` already got its share (see `punctureRatePerSecond`).
   */
  requestPuncture(via: Address, target: Address, identifier: bigint, targetLan?: Address): void {
    if (!this.punctures.allow(addressKey(via))) return this.community.drop('puncture-throttled', via);
    this.community.send(via, PunctureRequest, { identifier, target, targetLan });
  }

  /** Stops the tick (the community's `stop()` also clears it). */
  stop(): void {
    this.community.cancel(this.timer);
    this.timer = undefined;
    this.outstanding.clear();
  }

  /**
   * Learns a verified sender at `from`. A peer known at another address moves only on proof: `proven` (an
   * introduction response to our own request, matched by its fresh identifier and address), or else an
   * introduction request sent to `from` whose response will prove it; a replayed request or puncture from
   * elsewhere moves nothing.
   */
  private learn(sender: Incoming<unknown>['sender'], from: Address, proven: boolean): Peer | undefined {
    if (sender === undefined) return undefined;
    const c = this.community;
    const known = c.peers.getByMid(sender.midHex);
    if (!proven && known !== undefined && !sameAddress(known.address, from)) {
      c.drop('unproven-address', from);
      this.walkTo(from);
      return known;
    }
    const result = c.peers.addVerified(sender, from, c.context.clock.now());
    if (result.added) c.emitEvent('peer:added', result.peer);
    return result.peer;
  }

  private onIntroductionRequest(m: Incoming<{ identifier: bigint; destination: Address; sourceLan: Address }>): void {
    const c = this.community;
    const requester = this.learn(m.sender, m.from, false);
    const requesterLan = usableLan(m.value.sourceLan) ? m.value.sourceLan : undefined;
    if (requester !== undefined && sameAddress(requester.address, m.from)) requester.lanAddress = requesterLan;
    const introduced = c.peers.randomPeer(c.context.random, m.from);
    c.reply(m, IntroductionResponse, {
      identifier: m.value.identifier,
      destination: m.from,
      introduced: introduced?.address,
      introducedLan: introduced?.lanAddress,
    });
    if (introduced === undefined) return;
    // One public IP: the requester and the introduced peer are behind one NAT (maybe without hairpinning),
    // so the puncture goes over their LAN.
    const sameNat = requesterLan !== undefined && introduced.address.host === m.from.host && !sameAddress(introduced.address, m.from);
    // The introduced peer's puncture goes to the requester because of this request: it is paid from the
    // requester's amplification credit like our own reply, or not asked for.
    const amplification = c.context.amplification;
    if (amplification !== undefined && !amplification.charge(m.from, this.punctureBytes(introduced.address))) {
      return c.drop('puncture-unproven', m.from);
    }
    this.requestPuncture(introduced.address, m.from, m.value.identifier, sameNat ? requesterLan : undefined);
  }

  /** Bytes of the signed puncture a peer at `source` sends (its key assumed as long as ours). */
  private punctureBytes(source: Address): number {
    const keyBytes = this.community.context.key.publicKey.toBinary().length;
    return signedEnvelopeBytes(keyBytes) + encodeBody(Puncture.schema, { identifier: 0n, source }).length;
  }

  private onIntroductionResponse(m: Incoming<{ identifier: bigint; destination: Address; introduced: Address | undefined; introducedLan: Address | undefined }>): void {
    const expected = this.outstanding.get(m.value.identifier);
    if (expected !== addressKey(m.from)) {
      this.community.drop('unsolicited-response', m.from);
      return;
    }
    this.outstanding.delete(m.value.identifier);
    this.community.context.amplification?.prove(m.from); // it echoed our fresh identifier from there
    this.externalAddress = m.value.destination;
    this.learn(m.sender, m.from, true);
    const wan = m.value.introduced;
    if (wan === undefined) return;
    // Behind our own NAT (its WAN IP is ours as the responder sees us): walk to its LAN address instead.
    const lan = m.value.introducedLan;
    const useLan = lan !== undefined && usableLan(lan) && wan.host === m.value.destination.host;
    const introduced = useLan ? lan : wan;
    const local = this.community.context.transport.localAddress;
    if (!sameAddress(introduced, local) && !sameAddress(introduced, m.value.destination)) {
      if (useLan) this.lanStats.walkedLan++;
      this.community.peers.addWalkable(introduced);
    }
  }

  private onPunctureRequest(m: Incoming<{ identifier: bigint; target: Address; targetLan: Address | undefined }>): void {
    if (m.sender === undefined || this.community.peers.getByMid(m.sender.midHex) === undefined) return;
    // One packet per request: to the LAN address only when the target is on our public IP as far as we know
    // it (the asker saw both of us there), else to the WAN address.
    const { target, targetLan } = m.value;
    const own = this.externalAddress;
    const lan = targetLan !== undefined && usableLan(targetLan) && (own === undefined || own.host === target.host) ? targetLan : undefined;
    const destination = lan ?? target;
    if (!this.punctures.allow(addressKey(destination))) return this.community.drop('puncture-throttled', m.from);
    if (lan !== undefined) this.lanStats.puncturedLan++;
    this.community.send(destination, Puncture, { identifier: m.value.identifier, source: this.community.context.transport.localAddress });
  }

  private onPuncture(m: Incoming<{ identifier: bigint; source: Address }>): void {
    const peer = this.learn(m.sender, m.from, false);
    if (peer !== undefined) this.community.emitEvent('peer:punctured', peer, m.value.identifier);
  }

  private newIdentifier(): bigint {
    const b = this.community.context.random.bytes(8);
    let id = 0n;
    for (const byte of b) id = (id << 8n) | BigInt(byte);
    return id;
  }
}

/** True for a LAN address a peer may be reached at: a port, and a host that is not unspecified or broadcast. */
function usableLan(a: Address): boolean {
  return a.port > 0 && a.host !== '0.0.0.0' && a.host !== '::' && a.host !== '255.255.255.255';
}
