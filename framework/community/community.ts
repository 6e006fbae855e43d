/**
 * The base class of every overlay. A community has a 20-byte id (its packets carry it in the prefix),
 * declares its messages with schemas, registers one handler per message, and sends with
 * {@link Community.send}. Every packet is decoded and, when signed, verified before a handler sees it;
 * a bad packet is dropped and counted in {@link Community.stats}.
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { InvalidArgumentError, LifecycleError, PacketTooLargeError } from '../errors.js';
import type { PublicKey } from '../crypto/keys.js';
import type { Address } from '../endpoint/address.js';
import { addressKey, sameAddress } from '../endpoint/address.js';
import type { TimerHandle } from '../time/clock.js';
import { toHex } from '../util/bytes.js';
import type { MessageSpec, Signer } from '../wire/packet.js';
import { decodePacket, encodePacket, makePrefix } from '../wire/packet.js';
import type { CommunityContext } from './context.js';
import { FIRST_RESERVED_MESSAGE_ID } from './messages.js';
import { PeerDiscovery } from './discovery.js';
import type { DiscoverySettings } from './discovery.js';
import type { Peer } from './peer.js';
import { PeerStore } from './peer-store.js';
import type { Handler, Incoming } from './incoming.js';
import { classifyReason, deferredSender, replyKey } from './incoming.js';
import { RequestCache } from './request-cache.js';
import { CommunityStats } from './stats.js';

export type { Handler, Incoming } from './incoming.js';
export { replyKey } from './incoming.js';

/** Events every community emits. */
export interface CommunityEvents {
  /** A verified peer joined this community's peer store. */
  'peer:added': [peer: Peer];
  /** A peer was dropped (silent too long, or removed). */
  'peer:removed': [peer: Peer];
  /** A packet was dropped before reaching a handler. */
  'packet:dropped': [reason: string, from: Address];
  /** A verified peer sent us a puncture packet (it was asked to reach us). */
  'peer:punctured': [peer: Peer, identifier: bigint];
}

/**
 * What the overlay host needs of a community: the non-generic surface of {@link Community}, so hosts can
 * hold communities with different event maps side by side.
 */
export interface OverlayCommunity {
  /** The 22-byte packet prefix. */
  readonly prefix: Uint8Array;
  /** Hex of the 20-byte community id. */
  readonly communityIdHex: string;
  /** Display name. */
  readonly name: string;
  /** True while started. */
  readonly isRunning: boolean;
  /** Verified peers. */
  readonly peers: PeerStore;
  /** Message and drop counters. */
  readonly stats: CommunityStats;
  /** Handles one packet whose prefix matched. */
  receive(data: Uint8Array, messageId: number, from: Address): void;
  /** Starts (idempotent). */
  start(): Promise<void>;
  /** Stops (idempotent). */
  stop(): Promise<void>;
}

/** Settings every community accepts (through the overlay host). */
export interface CommunitySettings {
  /** Peer discovery: bootstrap addresses, walking and churn. */
  discovery?: DiscoverySettings;
}

/**
 * Base class of an overlay. Subclass it, give it a community id, declare messages with
 * {@link defineMessage}, register handlers with {@link Community.handle}, and register the class with an
 * {@link OverlayHost}.
 *
 * @typeParam Events the subclass's own event map (`{ 'value:stored': [key: Uint8Array] }`).
 */
export abstract class Community<Events extends object = object>
  extends EventEmitter<Events & CommunityEvents>
  implements OverlayCommunity
{
  /** The 20-byte community id. */
  readonly communityId: Uint8Array;
  /** The 22-byte packet prefix (`0x00`, version, community id). */
  readonly prefix: Uint8Array;
  /** Lowercase hex of the community id. */
  readonly communityIdHex: string;
  /** Verified peers and walkable addresses. */
  readonly peers: PeerStore;
  /** Outstanding requests. */
  readonly requests: RequestCache;
  /** Message and drop counters. */
  readonly stats = new CommunityStats();
  /** Introduction walks and churn. */
  readonly discovery: PeerDiscovery;
  private readonly handlers = new Map<number, { spec: MessageSpec<unknown>; handler: Handler<unknown> }>();
  private readonly timers = new Set<TimerHandle>();
  private readonly signer: Signer;
  private running = false;

  /**
   * @param ctx the node's services (inject with `@inject(TOKENS.Context)`).
   * @param communityId 20 bytes identifying this overlay on the wire.
   * @param settings common settings (inject with `@inject(TOKENS.Settings)`).
   */
  constructor(
    protected readonly ctx: CommunityContext,
    communityId: Uint8Array,
    settings: CommunitySettings = {},
  ) {
    super();
    this.communityId = communityId;
    this.prefix = makePrefix(communityId);
    this.communityIdHex = toHex(communityId);
    this.peers = new PeerStore({ maxPeers: settings.discovery?.maxPeers });
    this.requests = new RequestCache(ctx.clock, ctx.random);
    const key = ctx.key;
    const publicKeyBinary = key.publicKey.toBinary();
    this.signer = { publicKeyBinary, sign: (m) => key.sign(m) };
    this.discovery = new PeerDiscovery(this as unknown as Community, settings.discovery ?? {});
  }

  /** Timeout of {@link Community.sendRequest} when the call gives none; subclasses return their setting. @default 5,000 ms */
  protected get requestTimeoutMs(): number {
    return 5_000;
  }

  /** A short name for logs and status pages; defaults to the class name. */
  get name(): string {
    return this.constructor.name;
  }

  /** The node's services. */
  get context(): CommunityContext {
    return this.ctx;
  }

  /** True between `start()` and `stop()`. */
  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Registers the handler for one message type. Call it in the subclass constructor.
   * @throws {@link InvalidArgumentError} when the message id is taken, or reserved for the framework (240..255).
   */
  handle<T>(spec: MessageSpec<T>, handler: Handler<T>): void {
    this.registerHandler(spec as MessageSpec<unknown>, handler as Handler<unknown>, false);
  }

  /** Registers a handler for a framework message (ids 240..255); used by the framework itself. */
  registerFrameworkHandler<T>(spec: MessageSpec<T>, handler: Handler<T>): void {
    this.registerHandler(spec as MessageSpec<unknown>, handler as Handler<unknown>, true);
  }

  /**
   * Encodes (and, for signed specs, signs) one message into a packet, without sending it.
   * @param recipient for a signed spec: the key of the only peer the packet is for. The packet is then
   *   tagged for that peer with the node's pairwise key instead of signed (see {@link PairKeys}), when
   *   the node has pairwise keys and shares a secret with `recipient`; it is signed otherwise.
   * @throws {@link InvalidMessageError} when `value` does not fit the schema.
   */
  encode<T>(spec: MessageSpec<T>, value: T, recipient?: PublicKey): Uint8Array {
    if (!spec.signed) return encodePacket(this.prefix, spec, value);
    const mac = recipient === undefined ? undefined : this.ctx.pairs?.macFor(recipient);
    return encodePacket(this.prefix, spec, value, this.signer, mac);
  }

  /**
   * Encodes, signs if the spec says so, and sends one message.
   * @param recipient the key of the peer at `to`, when known: the packet is then tagged for it instead of
   *   signed (see {@link Community.encode}).
   * @returns the packet size in bytes.
   * @throws {@link PacketTooLargeError} when the packet exceeds the transport's limit (nothing is sent).
   * @throws {@link InvalidMessageError} when `value` does not fit the schema.
   */
  send<T>(to: Address, spec: MessageSpec<T>, value: T, recipient?: PublicKey): number {
    const packet = this.encode(spec, value, recipient);
    this.sendPacket(to, spec.name, packet);
    return packet.length;
  }

  /**
   * Sends a request and returns the answer: registers it in {@link Community.requests} (a fresh 64-bit id,
   * a timeout, an optional abort signal, and the destination address as the tag, so only an answer from
   * there settles it) and sends `body` with that id, tagged for `recipient` when given (else signed). The
   * response's handler settles it with `requests.resolve(id, message, addressKey(message.from))`.
   * @param options `timeoutMs` (default {@link Community.requestTimeoutMs}), `signal`, `recipient`.
   * @throws {@link LifecycleError} when the community is stopped; the promise rejects with `TimeoutError`,
   *   `AbortError`, or the send's own error (`PacketTooLargeError`, `InvalidMessageError`: nothing was sent).
   */
  sendRequest<T extends { id: bigint }>(
    to: Address,
    spec: MessageSpec<T>,
    body: Omit<T, 'id'>,
    options: { readonly timeoutMs?: number; readonly signal?: AbortSignal | undefined; readonly recipient?: PublicKey | undefined } = {},
  ): Promise<Incoming<unknown>> {
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const pending = this.requests.register<Incoming<unknown>>({ timeoutMs, signal: options.signal, tag: addressKey(to) });
    try {
      this.send(to, spec, { ...body, id: pending.id } as unknown as T, options.recipient);
    } catch (error) {
      this.requests.fail(pending.id, error as Error); // nothing was sent: settle now, timer cleared
    }
    return pending.promise;
  }

  /**
   * Answers `m` at its source. A tagged `m` gets a tagged answer (for its sender, verified or, for a
   * `deferredVerify` message, claimed: only the key's holder can check the tag); a signed one a signed
   * answer, so a peer that never tags (one that does not know tags, or a stranger that does not know our
   * key yet) never gets a tag, and answering strangers costs no key agreement and no pairwise state.
   * @returns the packet size in bytes.
   * @throws {@link PacketTooLargeError} when the packet exceeds the transport's limit (nothing is sent).
   */
  reply<T>(m: Incoming<unknown>, spec: MessageSpec<T>, value: T): number {
    return this.send(m.from, spec, value, replyKey(m));
  }

  /** Sends an already encoded packet of message `name` (see {@link Community.encode}). */
  sendPacket(to: Address, name: string, packet: Uint8Array): void {
    const max = this.ctx.transport.maxPacketBytes;
    if (packet.length > max) throw new PacketTooLargeError(packet.length, max);
    this.ctx.transport.send(to, packet);
    CommunityStats.bump(this.stats.sent, name);
    CommunityStats.bump(this.stats.bytesSent, name, packet.length);
  }

  /**
   * Entry point for a packet whose prefix matched this community (called by the overlay host).
   * Never throws: every failure is a counted drop.
   */
  receive(data: Uint8Array, messageId: number, from: Address): void {
    if (!this.running) return this.drop('not-running', from);
    const entry = this.handlers.get(messageId);
    if (entry === undefined) return this.drop('unknown-message', from);
    if (!this.admit(from, entry.spec, data.length)) return this.drop('rate-limited', from);
    const decoded = decodePacket(entry.spec, data, this.ctx.keys.verify, this.checkMac);
    if (!decoded.ok) return this.drop(classifyReason(decoded.reason), from);
    const key = decoded.publicKeyBinary === undefined ? undefined : this.ctx.keys.get(decoded.publicKeyBinary);
    const unverified = decoded.unverified;
    if (unverified !== undefined) {
      if (key === undefined) return this.drop('bad-public-key', from);
      // A tag from a peer whose pairwise key is held costs one HMAC: cheaper to check now than to defer.
      const cheap = unverified.mac && this.ctx.pairs !== undefined && this.ctx.pairs.has(key);
      if (!cheap) {
        CommunityStats.bump(this.stats.received, entry.spec.name);
        const tagged = unverified.mac;
        return this.dispatch(entry, { value: decoded.value, from, sender: undefined, size: data.length, tagged, ...deferredSender(key, unverified, this.ctx.pairs, (reason) => this.drop(reason, from)) });
      }
      if (!this.ctx.pairs!.check(key, unverified.signedPart, unverified.signature)) return this.drop('bad-mac', from);
    }
    const sender = key;
    CommunityStats.bump(this.stats.received, entry.spec.name);
    if (sender !== undefined) {
      // Fresh only at the address we know it by: a packet from elsewhere must not make a stale address look alive.
      const known = this.peers.getByMid(sender.midHex);
      if (known !== undefined && sameAddress(known.address, from)) known.lastSeen = this.ctx.clock.now();
    }
    this.dispatch(entry, { value: decoded.value, from, sender, size: data.length, tagged: decoded.tagged === true || unverified?.mac === true });
  }

  private dispatch(entry: { spec: MessageSpec<unknown>; handler: Handler<unknown> }, message: Incoming<unknown>): void {
    try {
      const result = entry.handler(message);
      if (result instanceof Promise) result.catch((error: unknown) => this.handlerFailed(entry.spec.name, error));
    } catch (error) {
      this.handlerFailed(entry.spec.name, error);
    }
  }

  /** Checks a pairwise tag for the codec (no pairwise keys: every tag is refused). */
  private readonly checkMac = (publicKeyBinary: Uint8Array, message: Uint8Array, tag: Uint8Array): boolean => {
    const pairs = this.ctx.pairs;
    if (pairs === undefined) return false;
    const key = this.ctx.keys.get(publicKeyBinary);
    return key !== undefined && pairs.check(key, message, tag);
  };

  /**
   * Starts the community (idempotent): opens the request cache, runs {@link Community.onStart}, starts discovery.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.requests.open();
    await this.onStart();
    if (this.running) this.discovery.start(); // a stop() during onStart wins

  }

  /**
   * Stops the community (idempotent): clears every timer and rejects every pending request, then runs
   * {@link Community.onStop}. A stopped community leaves no timer on the clock.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.discovery.stop();
    for (const t of this.timers) this.ctx.clock.clear(t);
    this.timers.clear();
    this.requests.clear();
    await this.onStop();
  }

  /** Runs `fn` every `ms` while the community runs; the timer is cleared by {@link Community.stop}. */
  every(ms: number, fn: () => void): TimerHandle {
    this.assertRunning('every');
    const handle = this.ctx.clock.setInterval(() => {
      try {
        fn();
      } catch (error) {
        this.handlerFailed('timer', error);
      }
    }, ms);
    this.timers.add(handle);
    return handle;
  }

  /** Runs `fn` once after `ms` while the community runs; cleared by {@link Community.stop}. */
  after(ms: number, fn: () => void): TimerHandle {
    this.assertRunning('after');
    const handle = this.ctx.clock.setTimeout(() => {
      this.timers.delete(handle);
      try {
        fn();
      } catch (error) {
        this.handlerFailed('timer', error);
      }
    }, ms);
    this.timers.add(handle);
    return handle;
  }

  /** Cancels a timer made with {@link Community.every} or {@link Community.after}. */
  cancel(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    this.ctx.clock.clear(handle);
    this.timers.delete(handle);
  }

  /** Emits a community event (typed for the base events). */
  emitEvent<K extends keyof CommunityEvents>(event: K, ...args: CommunityEvents[K]): void {
    (this as unknown as { emit(name: string, ...values: unknown[]): boolean }).emit(event, ...args);
  }

  /** Hook run at start, before discovery begins. Override to start timers. */
  protected async onStart(): Promise<void> {}

  /** Hook run at stop, after timers and requests are cleared. Override to release resources. */
  protected async onStop(): Promise<void> {}

  /**
   * Admission hook consulted before decoding a packet (rate limits live here). Default: admit all.
   * @returns false to drop the packet as `rate-limited`.
   */
  protected admit(_from: Address, _spec: MessageSpec<unknown>, _size: number): boolean {
    return true;
  }

  /** Counts and reports a dropped packet (also used by handlers that reject a well-formed message). */
  drop(reason: string, from: Address): void {
    CommunityStats.bump(this.stats.dropped, reason);
    this.emitEvent('packet:dropped', reason, from);
  }

  private registerHandler(spec: MessageSpec<unknown>, handler: Handler<unknown>, framework: boolean): void {
    if (!framework && spec.id >= FIRST_RESERVED_MESSAGE_ID) {
      throw new InvalidArgumentError(`message id ${spec.id} (${spec.name}) is reserved for the framework (use 0..${FIRST_RESERVED_MESSAGE_ID - 1})`);
    }
    const taken = this.handlers.get(spec.id);
    if (taken !== undefined) {
      throw new InvalidArgumentError(`message id ${spec.id} of ${spec.name} is already used by ${taken.spec.name}`);
    }
    this.handlers.set(spec.id, { spec, handler });
  }

  private handlerFailed(name: string, error: unknown): void {
    this.stats.handlerErrors++;
    this.ctx.logger.warn(`${this.name}: handler for ${name} failed`, { error: String(error) });
  }

  private assertRunning(what: string): void {
    if (!this.running) throw new LifecycleError(`${this.name}.${what}() needs a started community`);
  }
}
