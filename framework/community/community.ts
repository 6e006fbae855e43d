/**
 * The base class of every overlay. A community has a 20-byte id (its packets carry it in the prefix),
 * declares its messages with schemas, registers one handler per message, and sends with
 * {@link Community.send}. Every packet is decoded and, when signed, verified before a handler sees it;
 * a bad packet is dropped and counted in {@link Community.stats}.
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { AmplificationLimitError, InvalidArgumentError, LifecycleError, PacketTooLargeError } from '../errors.js';
import type { PublicKey } from '../crypto/keys.js';
import type { Address } from '../endpoint/address.js';
import { addressKey, sameAddress } from '../endpoint/address.js';
import type { TimerHandle } from '../time/clock.js';
import { toHex } from '../util/bytes.js';
import type { MessageSpec, Signer } from '../wire/packet.js';
import { decodePacket, encodePacket, makePrefix } from '../wire/packet.js';
import type { CommunityContext, SendOptions } from './context.js';
import { FIRST_RESERVED_MESSAGE_ID } from './messages.js';
import { PeerDiscovery } from './discovery.js';
import { PeerStore } from './peer-store.js';
import type { Handler, Incoming } from './incoming.js';
import { classifyReason, deferredSender, replyKey } from './incoming.js';
import type { CommunityClass, CommunityEvents, CommunitySettings, OverlayCommunity } from './overlay-community.js';
import { RequestCache } from './request-cache.js';
import type { RequestBody, RequestOptions, RequestType } from './request-type.js';
import { CommunityStats } from './stats.js';

export type { Handler, Incoming } from './incoming.js';
export { replyKey } from './incoming.js';
export type { CommunityClass, CommunityEvents, CommunitySettings, OverlayCommunity } from './overlay-community.js';

const UNMETERED: SendOptions = { unmetered: true };

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
  /**
   * The communities this one injects (`@inject(DHTCommunity) dht: DHTCommunity`). {@link OverlayHost.register}
   * refuses this class with a {@link MissingDependencyError} unless each is registered on the same host first
   * (so it is the instance injected, and it starts before this one). Declare it on the subclass:
   * `static override readonly requires = [DHTCommunity];`. @default [] (needs no other community)
   */
  static readonly requires: readonly CommunityClass[] = [];
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
  /** The hook given to {@link Community.handleResponses} for each response spec it registered. */
  private readonly responseHooks = new Map<MessageSpec<unknown>, ((m: Incoming<never>) => void) | undefined>();
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
   * Registers the handler of `type`'s response: an answer settles the request whose id it echoes, only if
   * it comes from the address the request went to (a late, duplicate or spoofed answer is ignored). Call
   * it in the constructor, once per {@link RequestType} (types sharing a response message may each call it).
   * @param onSettled runs after an answer settled a request (e.g. to learn the responder as a contact).
   * @throws {@link InvalidArgumentError} when the response's message id is taken by another message, or
   *   its handler was registered with a different `onSettled`.
   */
  handleResponses<Req extends RequestBody, Res extends RequestBody>(type: RequestType<Req, Res>, onSettled?: (m: Incoming<Res>) => void): void {
    const spec = type.response as MessageSpec<unknown>;
    if (this.responseHooks.has(spec)) {
      if (this.responseHooks.get(spec) === onSettled) return;
      throw new InvalidArgumentError(`the responses ${spec.name} are already handled with another onSettled`);
    }
    this.handle(type.response, (m) => {
      if (!this.requests.resolve(m.value.id, m, addressKey(m.from))) return;
      // It echoed a fresh random id sent to this address: whoever answered receives there.
      this.ctx.amplification?.prove(m.from);
      onSettled?.(m);
    });
    this.responseHooks.set(spec, onSettled as ((m: Incoming<never>) => void) | undefined);
  }

  /**
   * Sends a request and resolves with its typed answer: registers it in {@link Community.requests} (a fresh
   * 64-bit id, a timeout, an optional abort signal, and the destination address as the tag, so only an
   * answer from there settles it) and sends `body` with that id, tagged for `options.recipient` when given.
   * With the node's pacing (`CommunityContext.pacing`) a request to a destination that already got its
   * share waits its turn; its timeout starts when it leaves (`options.onSent`). An answer proves the
   * responder's address to the node's amplification budget.
   * @param type the request and its response, from {@link defineRequest}.
   * @param body the request without its `id`.
   * @param options `timeoutMs` (default {@link Community.requestTimeoutMs}), `signal`, `recipient`, `onId`, `onSent`.
   * @returns the decoded response (`Incoming<Res>`), from the address the request went to.
   * @throws {@link LifecycleError} when the community is stopped, or no handler for the response is
   *   registered (call {@link Community.handleResponses}); the promise rejects with `TimeoutError`,
   *   `AbortError`, or the send's own error (`PacketTooLargeError`, `InvalidMessageError`, and
   *   {@link AmplificationLimitError} when the destination has not proved its address and its credit is
   *   spent: nothing was sent).
   * @example
   * ```ts
   * const pong = await this.sendRequest(to, PingRequest, { text: 'hi' }, { timeoutMs: 2_000 });
   * pong.value.text; // string: the response's type, no cast
   * ```
   */
  sendRequest<Req extends RequestBody, Res extends RequestBody>(
    to: Address,
    type: RequestType<Req, Res>,
    body: Omit<Req, 'id'>,
    options?: RequestOptions,
  ): Promise<Incoming<Res>>;
  /**
   * Sends a request message whose response type is not declared; the answer is `Incoming<unknown>`.
   * @deprecated Declare the pair with {@link defineRequest} and pass it instead of the request message:
   *   `sendRequest(to, defineRequest(Req, Res), body)` resolves to `Incoming<Res>` without a cast.
   */
  sendRequest<T extends RequestBody>(to: Address, spec: MessageSpec<T>, body: Omit<T, 'id'>, options?: RequestOptions): Promise<Incoming<unknown>>;
  sendRequest(to: Address, what: RequestType<RequestBody, RequestBody> | MessageSpec<RequestBody>, body: object, options: RequestOptions = {}): Promise<Incoming<unknown>> {
    const typed = 'response' in what ? what : undefined;
    const spec = typed === undefined ? (what as MessageSpec<RequestBody>) : typed.request;
    if (typed !== undefined && this.handlers.get(typed.response.id)?.spec !== typed.response) {
      throw new LifecycleError(`${this.name}: no handler for ${typed.response.name}: call this.handleResponses() for ${spec.name} in the constructor`);
    }
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    // Paced: a request whose destination already got its share waits its turn, its timeout starting when it leaves.
    const pacing = this.ctx.pacing;
    const pending = this.requests.register<Incoming<unknown>>({ timeoutMs, signal: options.signal, tag: addressKey(to), deferTimeout: pacing !== undefined });
    options.onId?.(pending.id);
    let packet: Uint8Array;
    try {
      packet = this.encode(spec, { ...body, id: pending.id }, options.recipient);
    } catch (error) {
      this.requests.fail(pending.id, error as Error); // nothing was sent: settle now, timer cleared
      return pending.promise;
    }
    const go = (): void => {
      if (!this.requests.has(pending.id)) return; // aborted, or the community stopped, while it waited
      try {
        if (!this.sendPacket(to, spec.name, packet, options.unmetered === true ? UNMETERED : undefined)) {
          throw new AmplificationLimitError(`${spec.name} to ${addressKey(to)} withheld: the address has not proved itself and its amplification credit is spent`);
        }
        this.requests.startTimeout(pending.id);
        options.onSent?.();
      } catch (error) {
        this.requests.fail(pending.id, error as Error); // nothing was sent: settle now, timer cleared
      }
    };
    if (pacing === undefined) go();
    else pacing.schedule(to, go);
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

  /**
   * Sends an already encoded packet of message `name` (see {@link Community.encode}).
   * @param options `unmetered` for a first contact of our own (see {@link SendOptions}).
   * @returns false when the node's amplification budget withheld it (counted in `stats.withheld`).
   * @throws {@link PacketTooLargeError} when the packet exceeds the transport's limit (nothing is sent).
   */
  sendPacket(to: Address, name: string, packet: Uint8Array, options?: SendOptions): boolean {
    const max = this.ctx.transport.maxPacketBytes;
    if (packet.length > max) throw new PacketTooLargeError(packet.length, max);
    if (!this.ctx.transport.send(to, packet, options)) {
      CommunityStats.bump(this.stats.withheld, name);
      return false;
    }
    CommunityStats.bump(this.stats.sent, name);
    CommunityStats.bump(this.stats.bytesSent, name, packet.length);
    return true;
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
