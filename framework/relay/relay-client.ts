/**
 * The relay client: an {@link Endpoint} wrapper every node can carry. Until it holds an allocation it only
 * looks at each datagram's first byte; with one, it unwraps what the relay forwards and answers those peers
 * through the relay.
 * @module
 */
import type { Address } from '../endpoint/address.js';
import { addressKey, sameAddress } from '../endpoint/address.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import { EndpointWrapper } from '../endpoint/endpoint-wrapper.js';
import { InvalidArgumentError, PacketTooLargeError } from '../errors.js';
import type { TimerHandle } from '../time/clock.js';
import { RelayError } from './relay-error.js';
import type { RelayAllocation, RelayClientDeps, RelayClientOptions, RelayClientStats } from './relay-client-settings.js';
import { positiveSetting } from './relay-settings.js';
import type { RelayFailure } from './relay-error.js';
import { RELAY_COOKIE_BYTES, RELAY_OVERHEAD_BYTES, decodeRelay, encodeCookieMessage, encodeWrapped, isRelayDatagram } from './relay-wire.js';

interface Pending {
  kind: 'allocate' | 'refresh';
  relay: Address;
  attempts: number;
  challenges: number;
  timer: TimerHandle | undefined;
  resolve: (allocation: RelayAllocation) => void;
  reject: (error: RelayError) => void;
}

interface Held extends RelayAllocation {
  cookie: Uint8Array;
  confirmedAt: number;
  lifetimeMs: number;
  timer: TimerHandle | undefined;
}

const ZERO_COOKIE = new Uint8Array(RELAY_COOKIE_BYTES);
const MAX_CHALLENGES = 2;

/**
 * Wraps a node's endpoint so it can receive through a relay ({@link RelayServer}). Its `maxPacketBytes`
 * is the wrapped one's minus {@link RELAY_OVERHEAD_BYTES}, so what the host sends fits wrapped too: give
 * the wrapped endpoint that much room (`new UdpEndpoint({ maxPacketBytes: 1_400 + RELAY_OVERHEAD_BYTES })`).
 *
 * @example
 * ```ts
 * const client = new RelayClient(new UdpEndpoint({ maxPacketBytes: 1_400 + RELAY_OVERHEAD_BYTES }), { clock, random });
 * const host = new OverlayHost({ endpoint: client, clock, random });
 * await host.start();
 * const { address } = await client.allocate(parseAddress('203.0.113.5:8090')); // advertise `address`
 * ```
 */
export class RelayClient extends EndpointWrapper {
  /** The client's live counters (the wrapped endpoint's are `stats`). */
  readonly relayStats: Readonly<RelayClientStats>;

  private readonly counters: RelayClientStats = {
    allocations: 0,
    losses: 0,
    refreshes: 0,
    packetsRelayedOut: 0,
    bytesRelayedOut: 0,
    packetsRelayedIn: 0,
    bytesRelayedIn: 0,
    unexpected: 0,
  };
  private readonly refreshMs: number;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly peerTimeoutMs: number;
  private readonly maxPeers: number;
  private held: Held | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly cookies = new Map<string, Uint8Array>();
  /** Relayed peers by address key, least recently heard first. */
  private readonly peers = new Map<string, number>();
  private readonly changeListeners = new Set<(allocation: RelayAllocation | undefined) => void>();

  /**
   * @param inner the node's endpoint (or a {@link RelayServer} around it).
   * @param deps clock and random.
   * @param options timings and bounds; see {@link RelayClientOptions}.
   * @throws {@link InvalidArgumentError} when an option is not a positive integer, or `inner.maxPacketBytes`
   *   leaves no room for the relay header.
   */
  constructor(
    inner: Endpoint,
    private readonly deps: RelayClientDeps,
    options: RelayClientOptions = {},
  ) {
    super(inner);
    this.refreshMs = positiveSetting('relay client', 'refreshIntervalMs', options.refreshIntervalMs ?? 25_000);
    this.timeoutMs = positiveSetting('relay client', 'requestTimeoutMs', options.requestTimeoutMs ?? 2_000);
    this.attempts = positiveSetting('relay client', 'requestAttempts', options.requestAttempts ?? 3);
    this.peerTimeoutMs = positiveSetting('relay client', 'relayedPeerTimeoutMs', options.relayedPeerTimeoutMs ?? 270_000);
    this.maxPeers = positiveSetting('relay client', 'maxRelayedPeers', options.maxRelayedPeers ?? 256);
    if (inner.maxPacketBytes <= RELAY_OVERHEAD_BYTES) {
      throw new InvalidArgumentError(`the wrapped endpoint's maxPacketBytes (${inner.maxPacketBytes}) leaves no room for the ${RELAY_OVERHEAD_BYTES}-byte relay header`);
    }
    this.relayStats = this.counters;
    this.attach();
  }

  /** The wrapped endpoint's `maxPacketBytes` minus {@link RELAY_OVERHEAD_BYTES}. */
  override get maxPacketBytes(): number {
    return this.inner.maxPacketBytes - RELAY_OVERHEAD_BYTES;
  }

  /** The allocation held now, if any. */
  get allocation(): RelayAllocation | undefined {
    const held = this.held;
    return held === undefined ? undefined : { relay: held.relay, address: held.address };
  }

  /** Peers answered through the relay now (heard from through it within `relayedPeerTimeoutMs`). */
  get relayedPeers(): number {
    return this.peers.size;
  }

  /** Releases the allocation, cancels pending requests, then closes the wrapped endpoint. Idempotent. */
  override async close(): Promise<void> {
    this.release();
    for (const [id, p] of [...this.pending]) this.fail(id, p, 'closed', 'the endpoint closed');
    await this.inner.close();
  }

  /**
   * Asks `relay` for an allocation (proving our address with the cookie it sends first), and keeps it
   * refreshed until {@link RelayClient.release}, `close`, or its loss (reported to
   * {@link RelayClient.onAllocationChange} listeners). An allocation held on another relay is released.
   * @returns the allocation; peers reach this node at its `address`.
   * @throws {@link RelayError} (rejection) when the relay refuses (`reason` says why), does not answer
   *   `requestAttempts` sends `requestTimeoutMs` apart (`'timeout'`), `signal` aborts, or the endpoint closes.
   */
  allocate(relay: Address, options: { signal?: AbortSignal } = {}): Promise<RelayAllocation> {
    const signal = options.signal;
    if (signal?.aborted === true) return Promise.reject(new RelayError('aborted', `allocation at ${addressKey(relay)} aborted`));
    for (const [id, p] of [...this.pending]) if (p.kind === 'allocate') this.fail(id, p, 'aborted', 'superseded by a new allocate()');
    return new Promise<RelayAllocation>((resolve, reject) => {
      const id = this.newId();
      const onAbort = (): void => {
        const p = this.pending.get(id);
        if (p !== undefined) this.fail(id, p, 'aborted', `allocation at ${addressKey(relay)} aborted`);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        kind: 'allocate',
        relay,
        attempts: 0,
        challenges: 0,
        timer: undefined,
        resolve: (a) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(a);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      this.request(id);
    });
  }

  /** Gives the allocation back to the relay (it closes the port) and stops refreshing it. Idempotent. */
  release(): void {
    const held = this.held;
    if (held === undefined) return;
    if (this.inner.isOpen) this.inner.send(held.relay, encodeCookieMessage('release', 0, held.cookie));
    this.setHeld(undefined);
  }

  /** Calls `listener` whenever the allocation changes: obtained, moved to a new port, released or lost. @returns a function that removes it. */
  onAllocationChange(listener: (allocation: RelayAllocation | undefined) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /**
   * Sends one datagram: through the relay when `to`'s last datagram came through it (within
   * `relayedPeerTimeoutMs`), else directly.
   * @throws {@link PacketTooLargeError} when `data` exceeds {@link RelayClient.maxPacketBytes}.
   */
  override send(to: Address, data: Uint8Array): void {
    if (data.length > this.maxPacketBytes) throw new PacketTooLargeError(data.length, this.maxPacketBytes);
    const held = this.held;
    if (held !== undefined && this.peers.size > 0) {
      const key = addressKey(to);
      const heard = this.peers.get(key);
      if (heard !== undefined) {
        if (this.deps.clock.now() - heard <= this.peerTimeoutMs) {
          const wrapped = encodeWrapped('send', to, data);
          if (wrapped !== undefined) {
            this.counters.packetsRelayedOut++;
            this.counters.bytesRelayedOut += data.length;
            this.inner.send(held.relay, wrapped);
            return;
          }
        }
        this.peers.delete(key);
      }
    }
    this.inner.send(to, data);
  }

  /** Answers the relay's replies, unwraps what it forwards, and delivers every other datagram unchanged. */
  protected override receive(data: Uint8Array, from: Address): void {
    if (!isRelayDatagram(data)) {
      // A peer that reaches us directly is answered directly from now on.
      if (this.peers.size > 0) this.peers.delete(addressKey(from));
      this.deliver(data, from);
      return;
    }
    const message = decodeRelay(data);
    switch (message?.type) {
      case 'data': {
        const held = this.held;
        if (held === undefined || !sameAddress(from, held.relay)) {
          this.counters.unexpected++;
          return;
        }
        this.notePeer(message.peer);
        this.counters.packetsRelayedIn++;
        this.counters.bytesRelayedIn += message.payload.length;
        this.deliver(message.payload, message.peer);
        return;
      }
      case 'challenge':
      case 'allocated':
      case 'refused': {
        const p = this.pending.get(message.requestId);
        if (p === undefined || !sameAddress(from, p.relay)) {
          this.counters.unexpected++;
          return;
        }
        if (message.type === 'challenge') this.onChallenge(message.requestId, p, message.cookie);
        else if (message.type === 'allocated') this.onAllocated(message.requestId, p, message.port, message.lifetimeSeconds);
        else this.fail(message.requestId, p, message.reason, `relay ${addressKey(p.relay)} refused: ${message.reason}`);
        return;
      }
      default:
        // Malformed, or meant for a relay server this node does not run: the host counts it as malformed.
        this.deliver(data, from);
    }
  }

  private notePeer(peer: Address): void {
    const key = addressKey(peer);
    this.peers.delete(key);
    this.peers.set(key, this.deps.clock.now());
    if (this.peers.size > this.maxPeers) {
      const oldest = this.peers.keys().next().value;
      if (oldest !== undefined) this.peers.delete(oldest);
    }
  }

  private newId(): number {
    let id: number;
    do id = this.deps.random.int(0x1_0000_0000);
    while (this.pending.has(id));
    return id;
  }

  /** Sends (or resends) request `id` and arms its timeout. */
  private request(id: number): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.deps.clock.clear(p.timer);
    if (p.kind === 'allocate' && p.attempts >= this.attempts) {
      this.fail(id, p, 'timeout', `relay ${addressKey(p.relay)} did not answer ${this.attempts} requests`);
      return;
    }
    p.attempts++;
    const cookie = this.cookies.get(addressKey(p.relay)) ?? ZERO_COOKIE;
    if (this.inner.isOpen) this.inner.send(p.relay, encodeCookieMessage('allocate', id, cookie));
    p.timer = this.deps.clock.setTimeout(() => (p.kind === 'refresh' ? this.refreshFailed(id) : this.request(id)), this.timeoutMs);
  }

  private onChallenge(id: number, p: Pending, cookie: Uint8Array): void {
    if (++p.challenges > MAX_CHALLENGES) return; // answered by the timeout
    if (this.cookies.size >= 16) this.cookies.clear();
    this.cookies.set(addressKey(p.relay), cookie);
    p.attempts = Math.max(0, p.attempts - 1); // a challenge answered the send: it is no lost attempt
    this.request(id);
  }

  private onAllocated(id: number, p: Pending, port: number, lifetimeSeconds: number): void {
    this.pending.delete(id);
    this.deps.clock.clear(p.timer);
    const address: Address = { host: p.relay.host, port };
    const cookie = this.cookies.get(addressKey(p.relay)) ?? ZERO_COOKIE;
    const now = this.deps.clock.now();
    const current = this.held;
    if (p.kind === 'refresh' && current !== undefined && sameAddress(current.relay, p.relay)) {
      this.counters.refreshes++;
      current.confirmedAt = now;
      current.cookie = cookie;
      current.lifetimeMs = lifetimeSeconds * 1_000;
      if (current.address.port !== port) {
        this.counters.allocations++;
        this.setHeld({ ...current, address, timer: undefined });
      } else this.scheduleRefresh(this.refreshMs);
      return;
    }
    if (p.kind === 'refresh') return;
    if (current !== undefined && !sameAddress(current.relay, p.relay)) this.release();
    this.counters.allocations++;
    this.setHeld({ relay: p.relay, address, cookie, confirmedAt: now, lifetimeMs: lifetimeSeconds * 1_000, timer: undefined });
    p.resolve({ relay: p.relay, address });
  }

  private fail(id: number, p: Pending, reason: RelayFailure, message: string): void {
    this.pending.delete(id);
    this.deps.clock.clear(p.timer);
    if (p.kind === 'refresh') {
      if (reason !== 'closed' && reason !== 'aborted') this.lose();
      return;
    }
    p.reject(new RelayError(reason, message));
  }

  private setHeld(next: Held | undefined): void {
    const previous = this.held;
    if (previous !== undefined) {
      this.deps.clock.clear(previous.timer);
      for (const [id, p] of [...this.pending]) if (p.kind === 'refresh') this.fail(id, p, 'aborted', 'allocation replaced');
    }
    this.held = next;
    this.peers.clear();
    if (next !== undefined) this.scheduleRefresh(Math.min(this.refreshMs, next.lifetimeMs / 2));
    const view = this.allocation;
    for (const listener of [...this.changeListeners]) listener(view);
  }

  private scheduleRefresh(delayMs: number): void {
    const held = this.held;
    if (held === undefined) return;
    this.deps.clock.clear(held.timer);
    held.timer = this.deps.clock.setTimeout(() => {
      held.timer = undefined;
      const id = this.newId();
      this.pending.set(id, { kind: 'refresh', relay: held.relay, attempts: 0, challenges: 0, timer: undefined, resolve: () => undefined, reject: () => undefined });
      this.request(id);
    }, delayMs);
  }

  /** A refresh went unanswered: ask again while the relay may still hold it, else it is lost. */
  private refreshFailed(id: number): void {
    const p = this.pending.get(id);
    const held = this.held;
    if (p === undefined || held === undefined) return;
    if (this.deps.clock.now() - held.confirmedAt + this.timeoutMs >= held.lifetimeMs) {
      this.fail(id, p, 'timeout', 'refresh unanswered');
      return;
    }
    this.request(id);
  }

  private lose(): void {
    if (this.held === undefined) return;
    this.counters.losses++;
    this.setHeld(undefined);
  }
}
