/**
 * The relay server: a public node that volunteers relays datagrams for nodes that cannot be reached
 * directly (both behind symmetric NATs, or a failed hole punch), as TURN does. Off unless a node creates one.
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Address } from '../endpoint/address.js';
import { addressKey } from '../endpoint/address.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import { EndpointWrapper } from '../endpoint/endpoint-wrapper.js';
import type { TimerHandle } from '../time/clock.js';
import { ByteBucket } from './byte-bucket.js';
import { DROP_REASONS, positiveSetting } from './relay-settings.js';
import type { RelayDropReason, RelayServerDeps, RelayServerOptions, RelayServerStats } from './relay-settings.js';
import type { RelayRefusal } from './relay-wire.js';
import {
  RELAY_COOKIE_BYTES,
  decodeRelay,
  encodeAllocated,
  encodeCookieMessage,
  encodeRefused,
  encodeWrapped,
  isRelayDatagram,
  wrapOverhead,
} from './relay-wire.js';

interface Permission {
  lastInbound: number;
  bucket: ByteBucket;
}

interface Allocation {
  client: Address;
  ip: string;
  endpoint: Endpoint | undefined;
  expiry: TimerHandle | undefined;
  permissions: Map<string, Permission>;
  bucket: ByteBucket;
  closed: boolean;
}

const COOKIE_WINDOW_MS = 60_000;

/**
 * An {@link Endpoint} wrapper that serves relay allocations. Relay datagrams from clients are taken out of
 * the stream; every other datagram reaches the listeners unchanged, and sends go to the wrapped endpoint.
 *
 * A client first proves it receives at its address (it echoes a cookie, an HMAC of its address and the
 * minute), then gets a new UDP port R:a of this host. A datagram from a peer X to R:a reaches the client
 * wrapped with X's address; a client's wrapped datagram for X leaves from R:a only while X has a permission
 * (it sent to R:a within `permissionLifetimeMs`), so nobody can use the relay to reach third parties.
 *
 * @example
 * ```ts
 * const udp = new UdpEndpoint({ host: '0.0.0.0', port: 8090, maxPacketBytes: 1_400 + RELAY_OVERHEAD_BYTES });
 * const relay = new RelayServer(udp, { clock, random, createEndpoint: () => new UdpEndpoint({ host: '0.0.0.0', port: 0 }) });
 * const host = new OverlayHost({ endpoint: new RelayClient(relay, { clock }) });
 * ```
 */
export class RelayServer extends EndpointWrapper {
  /** The relay's live counters. */
  readonly relayStats: Readonly<RelayServerStats>;

  private readonly counters: RelayServerStats;
  private readonly maxAllocations: number;
  private readonly maxPerIp: number;
  private readonly lifetimeMs: number;
  private readonly permissionMs: number;
  private readonly maxPeers: number;
  private readonly pairRate: number;
  private readonly allocationRate: number;
  private readonly total: ByteBucket;
  private readonly challengeBudget: ByteBucket;
  private readonly secret: Uint8Array;
  private readonly allocations = new Map<string, Allocation>();
  private readonly perIp = new Map<string, number>();

  /**
   * @param inner the node's endpoint; its `maxPacketBytes` must leave room for {@link RELAY_OVERHEAD_BYTES}
   *   above the packets peers send (relayed datagrams larger than it are dropped as `oversized`).
   * @param deps clock, random and the allocation endpoint factory.
   * @param options limits; see {@link RelayServerOptions}.
   * @throws `InvalidArgumentError` when a limit is not a positive integer.
   */
  constructor(
    inner: Endpoint,
    private readonly deps: RelayServerDeps,
    options: RelayServerOptions = {},
  ) {
    super(inner);
    this.maxAllocations = positiveSetting('relay', 'maxAllocations', options.maxAllocations ?? 64);
    this.maxPerIp = positiveSetting('relay', 'maxAllocationsPerIp', options.maxAllocationsPerIp ?? 2);
    this.lifetimeMs = positiveSetting('relay', 'allocationLifetimeMs', options.allocationLifetimeMs ?? 60_000);
    this.permissionMs = positiveSetting('relay', 'permissionLifetimeMs', options.permissionLifetimeMs ?? 300_000);
    this.maxPeers = positiveSetting('relay', 'maxPeersPerAllocation', options.maxPeersPerAllocation ?? 64);
    this.pairRate = positiveSetting('relay', 'pairBytesPerSecond', options.pairBytesPerSecond ?? 65_536);
    this.allocationRate = positiveSetting('relay', 'allocationBytesPerSecond', options.allocationBytesPerSecond ?? 131_072);
    const totalRate = positiveSetting('relay', 'totalBytesPerSecond', options.totalBytesPerSecond ?? 1_048_576);
    this.total = new ByteBucket(deps.clock, totalRate, totalRate);
    const challengeRate = positiveSetting('relay', 'challengesPerSecond', options.challengesPerSecond ?? 200);
    this.challengeBudget = new ByteBucket(deps.clock, challengeRate, challengeRate);
    this.secret = deps.random.bytes(32);
    const dropped = {} as Record<RelayDropReason, number>;
    for (const r of DROP_REASONS) dropped[r] = 0;
    this.counters = {
      allocations: 0,
      allocationsCreated: 0,
      allocationsExpired: 0,
      allocationsReleased: 0,
      challenges: 0,
      packetsToClient: 0,
      bytesToClient: 0,
      packetsToPeer: 0,
      bytesToPeer: 0,
      dropped,
    };
    this.relayStats = this.counters;
    this.attach();
  }

  /** Closes every allocation and its port, then the wrapped endpoint. Idempotent. */
  override async close(): Promise<void> {
    await Promise.all([...this.allocations.values()].map((allocation) => this.drop(allocation)));
    await this.inner.close();
  }

  /** The relayed address of the allocation held for `client`, if any (for diagnostics and tests). */
  allocationOf(client: Address): Address | undefined {
    const endpoint = this.allocations.get(addressKey(client))?.endpoint;
    return endpoint === undefined ? undefined : endpoint.address;
  }

  /** Serves relay requests from clients and delivers every other datagram unchanged. */
  protected override receive(data: Uint8Array, from: Address): void {
    if (!isRelayDatagram(data)) {
      this.deliver(data, from);
      return;
    }
    const message = decodeRelay(data);
    if (message === undefined) {
      this.counters.dropped.malformed++;
      return;
    }
    switch (message.type) {
      case 'allocate':
        this.onAllocate(from, message.requestId, message.cookie);
        return;
      case 'send':
        this.onSend(from, message.peer, message.payload);
        return;
      case 'release': {
        const allocation = this.allocations.get(addressKey(from));
        if (allocation === undefined || !this.validCookie(from, message.cookie)) {
          this.counters.dropped['no-allocation']++;
          return;
        }
        this.counters.allocationsReleased++;
        void this.drop(allocation);
        return;
      }
      default:
        // Answers meant for this node as a relay client: its RelayClient (a listener) handles them.
        this.deliver(data, from);
    }
  }

  private onAllocate(from: Address, requestId: number, cookie: Uint8Array): void {
    if (!this.validCookie(from, cookie)) {
      if (!this.challengeBudget.fits(1)) {
        this.counters.dropped['challenge-limit']++;
        return;
      }
      this.challengeBudget.take(1);
      this.counters.challenges++;
      this.inner.send(from, encodeCookieMessage('challenge', requestId, this.cookieFor(from, this.window())));
      return;
    }
    const key = addressKey(from);
    const existing = this.allocations.get(key);
    if (existing !== undefined) {
      if (existing.endpoint === undefined) return; // still opening; the client asks again
      this.armExpiry(existing);
      this.inner.send(from, encodeAllocated(requestId, existing.endpoint.address.port, Math.ceil(this.lifetimeMs / 1_000)));
      return;
    }
    const refusal: RelayRefusal | undefined =
      (this.perIp.get(from.host) ?? 0) >= this.maxPerIp ? 'ip-limit' : this.allocations.size >= this.maxAllocations ? 'full' : undefined;
    if (refusal !== undefined) {
      this.counters.dropped[refusal]++;
      this.inner.send(from, encodeRefused(requestId, refusal));
      return;
    }
    const allocation: Allocation = {
      client: from,
      ip: from.host,
      endpoint: undefined,
      expiry: undefined,
      permissions: new Map(),
      bucket: new ByteBucket(this.deps.clock, this.allocationRate, this.allocationRate),
      closed: false,
    };
    this.allocations.set(key, allocation);
    this.perIp.set(from.host, (this.perIp.get(from.host) ?? 0) + 1);
    this.counters.allocations = this.allocations.size;
    void this.openAllocation(allocation, requestId);
  }

  private async openAllocation(allocation: Allocation, requestId: number): Promise<void> {
    let endpoint: Endpoint;
    try {
      endpoint = this.deps.createEndpoint();
      await endpoint.open();
    } catch {
      this.counters.dropped['open-failed']++;
      void this.drop(allocation);
      this.inner.send(allocation.client, encodeRefused(requestId, 'open-failed'));
      return;
    }
    if (allocation.closed || !this.inner.isOpen) {
      void endpoint.close().catch(() => undefined);
      return;
    }
    allocation.endpoint = endpoint;
    endpoint.addListener((data, from) => this.onPeerData(allocation, data, from));
    this.counters.allocationsCreated++;
    this.armExpiry(allocation);
    this.inner.send(allocation.client, encodeAllocated(requestId, endpoint.address.port, Math.ceil(this.lifetimeMs / 1_000)));
  }

  /** A peer sent to an allocation's port: wrap it for the client, within the peer count and byte budgets. */
  private onPeerData(allocation: Allocation, data: Uint8Array, from: Address): void {
    if (allocation.closed) return;
    const now = this.deps.clock.now();
    const key = addressKey(from);
    let permission = allocation.permissions.get(key);
    if (permission === undefined) {
      if (allocation.permissions.size >= this.maxPeers) this.prune(allocation, now);
      if (allocation.permissions.size >= this.maxPeers) {
        this.counters.dropped['too-many-peers']++;
        return;
      }
      permission = { lastInbound: now, bucket: new ByteBucket(this.deps.clock, this.pairRate, this.pairRate) };
      allocation.permissions.set(key, permission);
    }
    permission.lastInbound = now;
    if (data.length + wrapOverhead(from) > this.inner.maxPacketBytes) {
      this.counters.dropped.oversized++;
      return;
    }
    if (!this.charge(allocation, permission, data.length)) return;
    const wrapped = encodeWrapped('data', from, data);
    if (wrapped === undefined) {
      this.counters.dropped.malformed++;
      return;
    }
    this.inner.send(allocation.client, wrapped);
    this.counters.packetsToClient++;
    this.counters.bytesToClient += data.length;
  }

  /** The client asked to send to a peer: only to a peer holding a permission, within the byte budgets. */
  private onSend(from: Address, peer: Address, payload: Uint8Array): void {
    const allocation = this.allocations.get(addressKey(from));
    const endpoint = allocation?.endpoint;
    if (allocation === undefined || endpoint === undefined) {
      this.counters.dropped['no-allocation']++;
      return;
    }
    const permission = allocation.permissions.get(addressKey(peer));
    if (permission === undefined || this.deps.clock.now() - permission.lastInbound > this.permissionMs) {
      this.counters.dropped['no-permission']++;
      return;
    }
    if (payload.length > endpoint.maxPacketBytes) {
      this.counters.dropped.oversized++;
      return;
    }
    if (!this.charge(allocation, permission, payload.length)) return;
    try {
      endpoint.send(peer, payload);
    } catch {
      this.counters.dropped['send-failed']++;
      return;
    }
    this.counters.packetsToPeer++;
    this.counters.bytesToPeer += payload.length;
  }

  /** Takes `bytes` from the pair's, the allocation's and the relay's buckets, or from none and counts the drop. */
  private charge(allocation: Allocation, permission: Permission, bytes: number): boolean {
    const reason: RelayDropReason | undefined = !permission.bucket.fits(bytes)
      ? 'pair-bandwidth'
      : !allocation.bucket.fits(bytes)
        ? 'allocation-bandwidth'
        : !this.total.fits(bytes)
          ? 'total-bandwidth'
          : undefined;
    if (reason !== undefined) {
      this.counters.dropped[reason]++;
      return false;
    }
    permission.bucket.take(bytes);
    allocation.bucket.take(bytes);
    this.total.take(bytes);
    return true;
  }

  private prune(allocation: Allocation, now: number): void {
    for (const [key, p] of allocation.permissions) {
      if (now - p.lastInbound > this.permissionMs) allocation.permissions.delete(key);
    }
  }

  private armExpiry(allocation: Allocation): void {
    this.deps.clock.clear(allocation.expiry);
    allocation.expiry = this.deps.clock.setTimeout(() => {
      this.counters.allocationsExpired++;
      void this.drop(allocation);
    }, this.lifetimeMs);
  }

  /** Forgets an allocation and closes its port. */
  private drop(allocation: Allocation): Promise<void> {
    if (allocation.closed) return Promise.resolve();
    allocation.closed = true;
    this.deps.clock.clear(allocation.expiry);
    allocation.expiry = undefined;
    const key = addressKey(allocation.client);
    if (this.allocations.get(key) === allocation) this.allocations.delete(key);
    const left = (this.perIp.get(allocation.ip) ?? 1) - 1;
    if (left > 0) this.perIp.set(allocation.ip, left);
    else this.perIp.delete(allocation.ip);
    this.counters.allocations = this.allocations.size;
    const endpoint = allocation.endpoint;
    allocation.endpoint = undefined;
    return endpoint === undefined ? Promise.resolve() : endpoint.close().catch(() => undefined);
  }

  private window(): number {
    return Math.floor(this.deps.clock.now() / COOKIE_WINDOW_MS);
  }

  private cookieFor(address: Address, window: number): Uint8Array {
    const mac = createHmac('sha256', this.secret).update(`${addressKey(address)}/${window}`).digest();
    return new Uint8Array(mac.buffer, mac.byteOffset, RELAY_COOKIE_BYTES);
  }

  /** A cookie is valid for the minute it was made in and the next one. */
  private validCookie(address: Address, cookie: Uint8Array): boolean {
    const window = this.window();
    return timingSafeEqual(cookie, this.cookieFor(address, window)) || timingSafeEqual(cookie, this.cookieFor(address, window - 1));
  }
}
