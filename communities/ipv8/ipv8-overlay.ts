/**
 * The base of Peerlay's py-ipv8 compatible communities: py-ipv8's packet envelope and struct bodies
 * instead of Peerlay's msgpack ones, and py-ipv8's `Community` peer discovery (introduction requests and
 * responses, punctures, puncture requests, in the old IPv4 form and the new any-address form). It plugs
 * into an {@link OverlayHost} like any community (it implements {@link OverlayCommunity}), so one node can
 * run compatible communities beside Peerlay's own.
 *
 * What it leaves out of Peerlay's own protocol: pairwise packet tags (py-ipv8 cannot check them: every
 * signed packet here carries an Ed25519 signature), deferred verification, and msgpack bodies.
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { PublicKey } from '../../framework/crypto/keys.js';
import type { Address } from '../../framework/endpoint/address.js';
import { addressFamily, addressKey, sameAddress } from '../../framework/endpoint/address.js';
import { PacketTooLargeError } from '../../framework/errors.js';
import type { CommunityContext } from '../../framework/community/context.js';
import type { CommunityEvents, OverlayCommunity } from '../../framework/community/overlay-community.js';
import { PeerStore } from '../../framework/community/peer-store.js';
import { CommunityStats } from '../../framework/community/stats.js';
import type { TimerHandle } from '../../framework/time/clock.js';
import { toHex } from '../../framework/util/bytes.js';
import { makePrefix } from '../../framework/wire/packet.js';
import type { Signer } from '../../framework/wire/packet.js';
import { decodeIpv8Packet, encodeIpv8Packet } from '../../framework/wire/struct/index.js';
import type { Bits, Ipv8MessageSpec } from '../../framework/wire/struct/index.js';
import { IntroductionRequest, IntroductionResponse, NewIntroductionRequest, NewIntroductionResponse, NewPuncture, NewPunctureRequest, Puncture, PunctureRequest } from './messages.js';

/** One accepted py-ipv8 message, as a handler gets it. */
export interface Ipv8Incoming<T> {
  /** The body. */
  readonly value: T;
  /** Where it came from. */
  readonly from: Address;
  /** The verified sender (signed messages), else `undefined`. */
  readonly sender: PublicKey | undefined;
}

/** What a compatible community uses of the host's amplification budget. */
export interface AmplificationGateLike {
  /** Bytes that may still be sent to `to` (`Infinity` when it proved itself). */
  allowance(to: Address): number;
  /** Records that `address` proved it receives there. */
  prove(address: Address): void;
}

/** Settings of a py-ipv8 compatible community. */
export interface Ipv8OverlaySettings {
  /** Addresses to send introduction requests to while this community knows no peer. @default [] */
  readonly bootstrap?: readonly Address[];
  /** Interval of the introduction walk (py-ipv8's `RandomWalk` ticks every 0.5 s). @default 500 ms */
  readonly walkIntervalMs?: number;
  /** Stop walking once this many peers are known (py-ipv8's `max_peers`, default 30). @default 30 */
  readonly maxPeers?: number;
  /** Forget a peer not heard from for this long. @default 120,000 ms */
  readonly peerTimeoutMs?: number;
}

const DEFAULT_WALK_INTERVAL_MS = 500;
const DEFAULT_MAX_PEERS = 30;
const DEFAULT_PEER_TIMEOUT_MS = 120_000;
/** Introduction requests whose identifiers are remembered. */
const MAX_WALKS = 4_096;
const ZERO_ADDRESS: Address = { host: '0.0.0.0', port: 0 };
/** Flags of our old-style introduction request: supports new style (bit 2) and advice (bit 7). */
const REQUEST_FLAGS: Bits = [false, false, true, false, false, false, false, true];
const NO_FLAGS: Bits = [false, false, false, false, false, false, false, false];

type Handler = (m: Ipv8Incoming<never>) => void | Promise<void>;

/**
 * A py-ipv8 compatible overlay: subclass it, register handlers for {@link Ipv8MessageSpec}s with
 * {@link Ipv8Overlay.handle}, send with {@link Ipv8Overlay.send}. Introductions and punctures are handled here;
 * {@link Ipv8Overlay.onIntroduced} tells a subclass of every peer an introduction verified.
 */
export abstract class Ipv8Overlay<Events extends object = object> extends EventEmitter<Events & CommunityEvents> implements OverlayCommunity {
  /** The 22-byte packet prefix. */
  readonly prefix: Uint8Array;
  /** Hex of the community id. */
  readonly communityIdHex: string;
  /** Peers verified by an introduction. */
  readonly peers: PeerStore;
  /** Message and drop counters. */
  readonly stats = new CommunityStats();
  /** The address peers last told us they see us at (py-ipv8's `my_estimated_wan`), once known. */
  wanAddress: Address | undefined;
  readonly #handlers = new Map<number, { spec: Ipv8MessageSpec<unknown>; handler: Handler }>();
  readonly #timers = new Set<TimerHandle>();
  readonly #signer: Signer;
  readonly #bootstrap: readonly Address[];
  readonly #walkIntervalMs: number;
  readonly #peerTimeoutMs: number;
  /** Peers that speak the new introduction form (by address). */
  readonly #newStyle = new Set<string>();
  /** The identifier of the last introduction request sent to each address. */
  readonly #walks = new Map<string, number>();
  #globalTime = 0n;
  #running = false;

  /**
   * @param ctx the node's services.
   * @param communityId the 20-byte community id (py-ipv8's, for a compatible community).
   * @param settings walk settings.
   */
  constructor(
    protected readonly ctx: CommunityContext,
    communityId: Uint8Array,
    settings: Ipv8OverlaySettings = {},
  ) {
    super();
    this.prefix = makePrefix(communityId);
    this.communityIdHex = toHex(communityId);
    this.peers = new PeerStore({ maxPeers: settings.maxPeers ?? DEFAULT_MAX_PEERS });
    this.#bootstrap = settings.bootstrap ?? [];
    this.#walkIntervalMs = settings.walkIntervalMs ?? DEFAULT_WALK_INTERVAL_MS;
    this.#peerTimeoutMs = settings.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
    const key = ctx.key;
    this.#signer = { publicKeyBinary: key.publicKey.toBinary(), sign: (m) => key.sign(m) };
    this.handle(IntroductionRequest, (m) => this.#onIntroductionRequest(m, false, m.value.flags[2]));
    this.handle(NewIntroductionRequest, (m) => this.#onIntroductionRequest(m, true, true));
    this.handle(IntroductionResponse, (m) => this.#onIntroductionResponse(m, m.value.flags[3]));
    this.handle(NewIntroductionResponse, (m) => this.#onIntroductionResponse(m, true));
    this.handle(Puncture, (m) => this.#onPuncture(m));
    this.handle(NewPuncture, (m) => this.#onPuncture(m));
    this.handle(PunctureRequest, (m) => this.#onPunctureRequest(m, false));
    this.handle(NewPunctureRequest, (m) => this.#onPunctureRequest(m, true));
  }

  /** Display name: the class name. */
  get name(): string {
    return this.constructor.name;
  }

  /** The node's services. */
  get context(): CommunityContext {
    return this.ctx;
  }

  /**
   * The host's amplification gate, when it has one: how many bytes may still go to an address that has
   * not proved it receives there, and where to record a proof. Read structurally, so this community runs
   * on hosts with and without one.
   */
  protected get amplification(): AmplificationGateLike | undefined {
    return (this.ctx as { readonly amplification?: AmplificationGateLike }).amplification;
  }

  /** True between `start()` and `stop()`. */
  get isRunning(): boolean {
    return this.#running;
  }

  /** Our address as peers see it: the one they told us, else the endpoint's. */
  get myAddress(): Address {
    return this.wanAddress ?? this.ctx.transport.localAddress;
  }

  /** Registers the handler of one message; call it in the constructor. */
  protected handle<T>(spec: Ipv8MessageSpec<T>, handler: (m: Ipv8Incoming<T>) => void | Promise<void>): void {
    this.#handlers.set(spec.id, { spec: spec as Ipv8MessageSpec<unknown>, handler: handler as Handler });
  }

  /**
   * Encodes, signs (for a signed spec) and sends one message.
   * @returns false when the transport withheld it (its amplification budget).
   * @throws {@link PacketTooLargeError} over the transport's packet limit; {@link InvalidMessageError} for a body that does not fit.
   */
  send<T>(to: Address, spec: Ipv8MessageSpec<T>, value: T): boolean {
    const packet = encodeIpv8Packet(this.prefix, spec, value, this.#signer, spec.globalTime ? ++this.#globalTime : 0n);
    const max = this.ctx.transport.maxPacketBytes;
    if (packet.length > max) throw new PacketTooLargeError(packet.length, max);
    const sent = (this.ctx.transport.send(to, packet) as unknown) !== false;
    if (!sent) {
      CommunityStats.bump(this.stats.dropped, `withheld:${spec.name}`);
      return false;
    }
    CommunityStats.bump(this.stats.sent, spec.name);
    CommunityStats.bump(this.stats.bytesSent, spec.name, packet.length);
    return true;
  }

  /** Handles one packet whose prefix matched (called by the host). Never throws: failures are counted drops. */
  receive(data: Uint8Array, messageId: number, from: Address): void {
    if (!this.#running) return this.#drop('not-running', from);
    const entry = this.#handlers.get(messageId);
    if (entry === undefined) return this.#drop('unknown-message', from);
    const decoded = decodeIpv8Packet(entry.spec, data, this.ctx.keys.verify);
    if (!decoded.ok) return this.#drop(decoded.reason === 'bad signature' ? 'bad-signature' : 'malformed', from);
    const bin = decoded.value.publicKeyBinary;
    const sender = bin === undefined ? undefined : this.ctx.keys.get(bin);
    if (bin !== undefined && sender === undefined) return this.#drop('bad-public-key', from);
    CommunityStats.bump(this.stats.received, entry.spec.name);
    try {
      const result = entry.handler({ value: decoded.value.value as never, from, sender });
      if (result instanceof Promise) result.catch(() => this.stats.handlerErrors++);
    } catch {
      this.stats.handlerErrors++;
    }
  }

  #drop(reason: string, from: Address): void {
    CommunityStats.bump(this.stats.dropped, reason);
    this.emitBase('packet:dropped', reason, from);
  }

  /** Emits one of the events every community has (the generic event map hides them from `emit`). */
  protected emitBase<K extends keyof CommunityEvents>(event: K, ...args: CommunityEvents[K]): void {
    (this as unknown as { emit(name: string, ...values: unknown[]): boolean }).emit(event, ...args);
  }

  /** Starts (idempotent): runs {@link Ipv8Overlay.onStart}, then the introduction walk. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.onStart();
    if (!this.#running) return;
    this.every(this.#walkIntervalMs, () => this.#walk());
    this.#walk();
  }

  /** Stops (idempotent): clears every timer, then runs {@link Ipv8Overlay.onStop}. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const t of this.#timers) this.ctx.clock.clear(t);
    this.#timers.clear();
    await this.onStop();
  }

  /** Subclass start hook. */
  protected async onStart(): Promise<void> {}
  /** Subclass stop hook (release pending requests here). */
  protected async onStop(): Promise<void> {}
  /** Told of every peer an introduction request or response verified. */
  protected onIntroduced(_peer: PublicKey, _from: Address): void {}

  /** Runs `fn` every `ms` while running. */
  protected every(ms: number, fn: () => void): TimerHandle {
    const h = this.ctx.clock.setInterval(fn, ms);
    this.#timers.add(h);
    return h;
  }

  /** Runs `fn` once after `ms` unless stopped first. */
  protected after(ms: number, fn: () => void): TimerHandle {
    const h = this.ctx.clock.setTimeout(() => {
      this.#timers.delete(h);
      fn();
    }, ms);
    this.#timers.add(h);
    return h;
  }

  /** Sends an introduction request to `to` (py-ipv8's `walk_to`). */
  walkTo(to: Address): void {
    const identifier = this.ctx.random.int(0x1_0000);
    const lan = this.ctx.transport.localAddress;
    // Remembered so that the response, echoing it from `to`, proves the address (amplification budget).
    if (this.#walks.size >= MAX_WALKS) this.#walks.delete(this.#walks.keys().next().value!);
    this.#walks.set(addressKey(to), identifier);
    if (addressFamily(to) === 6 || this.#newStyle.has(addressKey(to))) {
      this.send(to, NewIntroductionRequest, { destinationAddress: to, sourceLanAddress: lan, sourceWanAddress: this.myAddress, identifier, flags: NO_FLAGS, extraBytes: new Uint8Array(0) });
    } else {
      this.send(to, IntroductionRequest, { destinationAddress: to, sourceLanAddress: ipv4Or(lan), sourceWanAddress: ipv4Or(this.myAddress), flags: REQUEST_FLAGS, identifier, extraBytes: new Uint8Array(0) });
    }
  }

  #walk(): void {
    const now = this.ctx.clock.now();
    for (const p of this.peers.peers()) if (now - p.lastSeen > this.#peerTimeoutMs) this.peers.remove(p);
    const known = this.peers.peers();
    if (known.length === 0) {
      for (const b of this.#bootstrap) this.walkTo(b);
      return;
    }
    const walkable = this.peers.takeWalkable(this.ctx.random);
    if (walkable !== undefined && known.length < this.peers.maxPeers) return this.walkTo(walkable);
    const peer = this.peers.randomPeer(this.ctx.random);
    if (peer !== undefined) this.walkTo(peer.address);
  }

  #learn(sender: PublicKey, from: Address): void {
    const { peer, added } = this.peers.addVerified(sender, from, this.ctx.clock.now());
    if (peer !== undefined) peer.lastSeen = this.ctx.clock.now();
    if (added && peer !== undefined) this.emitBase('peer:added', peer);
    this.onIntroduced(sender, from);
  }

  #onIntroductionRequest(m: Ipv8Incoming<{ sourceLanAddress: Address; identifier: number }>, newForm: boolean, supportsNew: boolean): void {
    if (m.sender === undefined) return;
    if (supportsNew) this.#newStyle.add(addressKey(m.from));
    this.#learn(m.sender, m.from);
    const other = this.peers.randomPeer(this.ctx.random, m.from);
    const intro = other === undefined || sameAddress(other.address, m.from) ? undefined : other.address;
    const introNew = intro !== undefined && this.#newStyle.has(addressKey(intro));
    const lan = this.ctx.transport.localAddress;
    const identifier = m.value.identifier;
    if (newForm || supportsNew) {
      this.send(m.from, NewIntroductionResponse, {
        destinationAddress: m.from, sourceLanAddress: lan, sourceWanAddress: this.myAddress,
        lanIntroductionAddress: intro ?? ZERO_ADDRESS, wanIntroductionAddress: intro ?? ZERO_ADDRESS, identifier,
        flags: [introNew, false, false, false, false, false, false, false], extraBytes: new Uint8Array(0),
      });
    } else {
      const introV4 = intro !== undefined && addressFamily(intro) === 4 ? intro : undefined;
      this.send(m.from, IntroductionResponse, {
        destinationAddress: ipv4Or(m.from), sourceLanAddress: ipv4Or(lan), sourceWanAddress: ipv4Or(this.myAddress),
        lanIntroductionAddress: introV4 ?? ZERO_ADDRESS, wanIntroductionAddress: introV4 ?? ZERO_ADDRESS,
        flags: [false, false, false, true, introNew, this.peers.peers().length >= this.peers.maxPeers, false, false], identifier, extraBytes: new Uint8Array(0),
      });
    }
    if (intro !== undefined) this.sendPunctureRequest(intro, m.value.sourceLanAddress, m.from, identifier, introNew);
  }

  /** Asks `via` to puncture toward `lan`/`wan` (unsigned, as py-ipv8's `create_puncture_request`). */
  protected sendPunctureRequest(via: Address, lan: Address, wan: Address, identifier: number, newForm = false): void {
    const id16 = identifier % 0x1_0000;
    if (newForm || addressFamily(lan) === 6 || addressFamily(wan) === 6) {
      this.send(via, NewPunctureRequest, { lanWalkerAddress: lan, wanWalkerAddress: wan, identifier: id16 });
    } else {
      this.send(via, PunctureRequest, { lanWalkerAddress: lan, wanWalkerAddress: wan, identifier: id16 });
    }
  }

  #onIntroductionResponse(m: Ipv8Incoming<{ destinationAddress: Address; wanIntroductionAddress: Address; identifier: number }>, supportsNew: boolean): void {
    if (m.sender === undefined) return;
    const k = addressKey(m.from);
    if (this.#walks.get(k) === m.value.identifier) {
      this.#walks.delete(k);
      this.amplification?.prove(m.from);
    }
    if (supportsNew) this.#newStyle.add(addressKey(m.from));
    if (m.value.destinationAddress.host !== '0.0.0.0') this.wanAddress = m.value.destinationAddress;
    this.#learn(m.sender, m.from);
    const intro = m.value.wanIntroductionAddress;
    if (intro.host !== '0.0.0.0' && intro.port !== 0 && !sameAddress(intro, this.myAddress)) this.peers.addWalkable(intro);
  }

  #onPuncture(m: Ipv8Incoming<{ identifier: number }>): void {
    if (m.sender === undefined) return;
    const known = this.peers.getByMid(m.sender.midHex);
    if (known !== undefined) this.emitBase('peer:punctured', known, BigInt(m.value.identifier));
  }

  #onPunctureRequest(m: Ipv8Incoming<{ lanWalkerAddress: Address; wanWalkerAddress: Address; identifier: number }>, newForm: boolean): void {
    const { lanWalkerAddress, wanWalkerAddress, identifier } = m.value;
    const target = wanWalkerAddress.host === this.myAddress.host ? lanWalkerAddress : wanWalkerAddress;
    if (target.port === 0) return;
    const lan = this.ctx.transport.localAddress;
    if (newForm) this.send(target, NewPuncture, { sourceLanAddress: lan, sourceWanAddress: wanWalkerAddress, identifier });
    else if (addressFamily(wanWalkerAddress) === 4) this.send(target, Puncture, { sourceLanAddress: ipv4Or(lan), sourceWanAddress: wanWalkerAddress, identifier });
  }
}

/** `a` when it is IPv4, else `0.0.0.0:0` (the old messages carry IPv4 only). */
function ipv4Or(a: Address): Address {
  return addressFamily(a) === 4 ? a : ZERO_ADDRESS;
}
