/**
 * An in-memory datagram network driven by an injected {@link Clock}: thousands of nodes in one process,
 * with latency, jitter, loss and partitions, replayable from a {@link Random} seed.
 * @module
 */
import { isIP } from 'node:net';
import { EndpointError, InvalidArgumentError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import type { Random } from '../random/random.js';
import type { Address } from './address.js';
import { addressKey } from './address.js';
import { DEFAULT_MAX_PACKET_BYTES } from './endpoint.js';
import { checkAddress, MemoryEndpoint } from './memory-endpoint.js';
import { MemoryNat } from './memory-nat.js';
import type { MemoryNatOptions } from './memory-nat.js';

export { MemoryEndpoint } from './memory-endpoint.js';
export type { MemoryEndpointStats } from './memory-endpoint.js';
export { MemoryNat } from './memory-nat.js';
export type { MemoryNatOptions, MemoryNatStats, NatFiltering, NatMapping } from './memory-nat.js';

/** Options of {@link MemoryNetwork.createEndpoint}. */
export interface MemoryEndpointOptions {
  /**
   * Puts the endpoint on the LAN of this NAT (made by {@link MemoryNetwork.createNat} of the same network):
   * its address is private and scoped to that LAN, default the NAT's next free `10.x.y.z:7000`.
   */
  behind?: MemoryNat;
}

/** Delivery properties of a link; every field falls back to the network-wide value. */
export interface LinkOptions {
  /** One-way delay, in milliseconds. @default 10 */
  latencyMs?: number;
  /** Each packet's delay is drawn uniformly from `latencyMs ± jitterMs` (never below 0). @default 0 */
  jitterMs?: number;
  /** Probability in 0..1 that a packet is lost. @default 0 */
  lossRate?: number;
}

/** Options of {@link MemoryNetwork}: the network-wide {@link LinkOptions} plus global settings. */
export interface MemoryNetworkOptions extends LinkOptions {
  /** Largest datagram an endpoint of this network sends, in bytes. @default DEFAULT_MAX_PACKET_BYTES */
  maxPacketBytes?: number;
  /**
   * Called when a packet listener throws. The exception is caught and counted either way, so one bad
   * handler cannot stop the clock; tests should set this to surface such bugs.
   */
  onError?: (error: EndpointError, endpoint: MemoryEndpoint) => void;
}

/** Network-wide counters of a {@link MemoryNetwork}. */
export interface MemoryNetworkStats {
  /** Packets accepted from open endpoints. */
  sent: number;
  /** Packets handed to an open endpoint. */
  delivered: number;
  /** Packets lost: random loss, partition, or no open endpoint at the destination on arrival. */
  dropped: number;
  /** Bytes delivered. */
  bytes: number;
  /** Packets scheduled but not yet delivered or dropped. */
  inFlight: number;
  /** Listener calls that threw. */
  listenerErrors: number;
}


interface Link {
  latencyMs: number;
  jitterMs: number;
  lossRate: number;
}

interface Partition {
  a: ReadonlySet<string>;
  b: ReadonlySet<string>;
}

const FIRST_AUTO_PORT = 7_000;
/** 198.18.0.0/15 holds 512 /24 subnets; hosts .1–.254 of each are used. */
const AUTO_SUBNETS = 512;
const AUTO_HOSTS_PER_SUBNET = 254;

/**
 * A simulated network. Packets are copied on send and delivered by one `clock.setTimeout` each; the
 * destination is looked up on arrival, so an endpoint that closed or moved meanwhile gets nothing.
 * No other timers or per-endpoint closures exist, so thousands of endpoints are cheap.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const net = new MemoryNetwork(clock, new SeededRandom(1), { latencyMs: 20 });
 * const a = net.createEndpoint();
 * const b = net.createEndpoint();
 * await a.open();
 * await b.open();
 * b.addListener((data, from) => console.log(data, from));
 * a.send(b.address, new Uint8Array([1]));
 * await clock.advance(20); // delivered now
 * ```
 */
export class MemoryNetwork {
  /** Live counters. */
  readonly stats: Readonly<MemoryNetworkStats>;
  /** Largest datagram an endpoint of this network sends, in bytes. */
  readonly maxPacketBytes: number;

  private readonly counters: MemoryNetworkStats = { sent: 0, delivered: 0, dropped: 0, bytes: 0, inFlight: 0, listenerErrors: 0 };
  private readonly onError: ((error: EndpointError, endpoint: MemoryEndpoint) => void) | undefined;

  private readonly defaults: Link;
  private readonly links = new Map<string, Link>();
  /** Extra one-way delay per endpoint address key, on every packet it sends or receives. */
  private readonly access = new Map<string, number>();
  private readonly endpoints = new Map<string, MemoryEndpoint>();
  private readonly nats = new Map<string, MemoryNat>();
  /** Endpoints per host; built when the first NAT is created, so a network without NATs never pays for it. */
  private hostUse: Map<string, number> | undefined;
  private partitions: Partition[] = [];
  private nextAuto = 0;
  private openCount = 0;

  /**
   * @param clock schedules deliveries (use `ManualClock` in tests and simulations).
   * @param random draws jitter and loss; used only when jitter or loss is configured.
   * @param options network-wide defaults; see {@link MemoryNetworkOptions}.
   * @throws {@link InvalidArgumentError} when an option is out of range.
   */
  constructor(
    /** @internal */
    readonly clock: Clock,
    /** @internal */
    readonly random: Random,
    options: MemoryNetworkOptions = {},
  ) {
    this.defaults = checkLink({ latencyMs: options.latencyMs ?? 10, jitterMs: options.jitterMs ?? 0, lossRate: options.lossRate ?? 0 });
    const max = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
    if (!Number.isInteger(max) || max < 1) throw new InvalidArgumentError(`maxPacketBytes must be a positive integer, got ${max}`);
    this.maxPacketBytes = max;
    this.onError = options.onError;
    this.stats = this.counters;
  }

  /** Number of open endpoints. */
  get size(): number {
    return this.openCount;
  }

  /**
   * Creates an endpoint and reserves its address; call `open()` before it sends or receives.
   * Without `address`, assigns the next free one from 198.18.0.0/15 (RFC 2544, never routed), port 7000:
   * consecutive endpoints land in different /24 subnets, and the port grows once all 130,048 hosts are used.
   * With `options.behind`, the endpoint sits on that NAT's LAN instead (see {@link MemoryNat}).
   * @throws {@link EndpointError} when the address is already taken (on the LAN, for an endpoint behind a
   * NAT) or is a NAT's public address. @throws {@link InvalidArgumentError} when `address` is not a literal
   * IP with a port in 1..65535, or the NAT belongs to another network.
   */
  createEndpoint(address?: Address, options: MemoryEndpointOptions = {}): MemoryEndpoint {
    const nat = options.behind;
    if (nat === undefined) {
      const chosen = address === undefined ? this.allocate() : checkAddress(address);
      const endpoint = new MemoryEndpoint(this, chosen);
      this.reserve(endpoint, chosen);
      return endpoint;
    }
    if (nat.uplink !== this) throw new InvalidArgumentError(`NAT ${nat.publicHost} belongs to another MemoryNetwork`);
    const chosen = address === undefined ? nat.allocate() : checkAddress(address);
    const endpoint = new MemoryEndpoint(this, chosen, nat);
    nat.reserve(endpoint, chosen);
    return endpoint;
  }

  /**
   * Adds a NAT router whose public IP is `options.publicHost` (default: the next automatic 198.18.x.y
   * address); put endpoints behind it with `createEndpoint(address, { behind: nat })`.
   * @throws {@link InvalidArgumentError} when an option is out of range or `publicHost` is not a literal IP.
   * @throws {@link EndpointError} when `publicHost` is used by an endpoint or another NAT.
   * @example
   * ```ts
   * const nat = net.createNat({ mapping: 'address-and-port-dependent' }); // symmetric
   * const inside = net.createEndpoint(undefined, { behind: nat }); // 10.0.0.2:7000
   * ```
   */
  createNat(options: MemoryNatOptions = {}): MemoryNat {
    let host = options.publicHost;
    if (host === undefined) {
      do host = this.allocate().host;
      while (this.hostInUse(host));
    } else {
      if (isIP(host) === 0) throw new InvalidArgumentError(`publicHost must be a literal IP, got ${JSON.stringify(host)}`);
      if (this.nats.has(host) || this.hostInUse(host)) throw new EndpointError(`publicHost ${host} is already in use`);
    }
    const nat = new MemoryNat(this, host, options);
    this.nats.set(host, nat);
    return nat;
  }

  /** Sets the probability in 0..1 that a packet is lost, for every link without its own `lossRate`. */
  setLossRate(rate: number): void {
    this.defaults.lossRate = checkLink({ ...this.defaults, lossRate: rate }).lossRate;
  }

  /** Sets the one-way delay (and optionally the jitter) for every link without its own values, in ms. */
  setLatency(latencyMs: number, jitterMs = this.defaults.jitterMs): void {
    const link = checkLink({ ...this.defaults, latencyMs, jitterMs });
    this.defaults.latencyMs = link.latencyMs;
    this.defaults.jitterMs = link.jitterMs;
  }

  /**
   * Overrides delivery on the one-way link `from` → `to` (call twice for both directions); `undefined`
   * restores the defaults. Fields left out use the values current at the time of this call.
   */
  setLinkOptions(from: Address, to: Address, options: LinkOptions | undefined): void {
    const key = `${addressKey(from)}>${addressKey(to)}`;
    if (options === undefined) this.links.delete(key);
    else this.links.set(key, checkLink({ ...this.defaults, ...stripUndefined(options) }));
  }

  /**
   * Gives the endpoint at `address` an access delay: `ms` more one-way delay on every packet sent from or
   * to that address, on top of the link's latency (a node's own last mile, so its RTT to every peer is
   * steady and some peers are faster than others); `undefined` removes it.
   * @throws {@link InvalidArgumentError} when `ms` is negative or not finite.
   */
  setAccessDelay(address: Address, ms: number | undefined): void {
    const key = addressKey(address);
    if (ms === undefined) {
      this.access.delete(key);
      return;
    }
    if (!(Number.isFinite(ms) && ms >= 0)) throw new InvalidArgumentError(`access delay must be >= 0 ms, got ${ms}`);
    this.access.set(key, ms);
  }

  /**
   * Drops every packet between the two groups, in both directions, until {@link MemoryNetwork.heal}.
   * Checked on send and on arrival. Groups are matched by address, so an endpoint that moves escapes.
   */
  partition(groupA: Iterable<Address>, groupB: Iterable<Address>): void {
    const a = new Set<string>();
    for (const address of groupA) a.add(addressKey(address));
    const b = new Set<string>();
    for (const address of groupB) b.add(addressKey(address));
    this.partitions.push({ a, b });
  }

  /** Removes every partition. */
  heal(): void {
    this.partitions = [];
  }

  /** @internal Called by {@link MemoryEndpoint}: registers `endpoint` under `address`. */
  reserve(endpoint: MemoryEndpoint, address: Address): void {
    const key = addressKey(address);
    const holder = this.endpoints.get(key);
    if (holder !== undefined && holder !== endpoint) throw new EndpointError(`address ${key} is already in use`);
    if (this.nats.size > 0 && this.nats.has(address.host)) throw new EndpointError(`address ${key} is the public address of a NAT`);
    this.endpoints.set(key, endpoint);
    if (this.hostUse !== undefined && holder === undefined) this.hostUse.set(address.host, (this.hostUse.get(address.host) ?? 0) + 1);
  }

  /** @internal Called by {@link MemoryEndpoint}: frees `address` if `endpoint` holds it. */
  release(endpoint: MemoryEndpoint, address: Address): void {
    const key = addressKey(address);
    if (this.endpoints.get(key) !== endpoint) return;
    this.endpoints.delete(key);
    if (this.hostUse === undefined) return;
    const left = (this.hostUse.get(address.host) ?? 1) - 1;
    if (left === 0) this.hostUse.delete(address.host);
    else this.hostUse.set(address.host, left);
  }

  /** @internal Called by {@link MemoryEndpoint} when it opens (+1) or closes (−1). */
  countOpen(delta: 1 | -1): void {
    this.openCount += delta;
  }

  /** @internal Called by {@link MemoryEndpoint.send}: applies loss and partitions, then schedules delivery. */
  transmit(from: Address, fromKey: string, to: Address, data: Uint8Array): void {
    this.counters.sent++;
    const toKey = addressKey(to);
    const link = (this.links.size > 0 ? this.links.get(`${fromKey}>${toKey}`) : undefined) ?? this.defaults;
    if ((link.lossRate > 0 && this.random.float() < link.lossRate) || this.isPartitioned(fromKey, toKey)) {
      this.counters.dropped++;
      return;
    }
    let delay = link.latencyMs;
    if (link.jitterMs > 0) delay = Math.max(0, delay + (this.random.float() * 2 - 1) * link.jitterMs);
    if (this.access.size > 0) delay += (this.access.get(fromKey) ?? 0) + (this.access.get(toKey) ?? 0);
    const copy = new Uint8Array(data);
    this.counters.inFlight++;
    this.clock.setTimeout(() => this.deliver(from, fromKey, toKey, copy), delay);
  }

  /** @internal Called by {@link MemoryNat}: counts a sent packet and runs `arrive` after the default latency. */
  lanHop(arrive: () => void): void {
    this.counters.sent++;
    this.counters.inFlight++;
    this.clock.setTimeout(() => {
      this.counters.inFlight--;
      arrive();
    }, this.defaults.latencyMs);
  }

  /** @internal Called by {@link MemoryNat}: delivers a packet at the end of a LAN hop, or drops it. */
  land(destination: MemoryEndpoint | undefined, data: Uint8Array, from: Address): void {
    if (destination === undefined || !destination.isOpen) {
      this.counters.dropped++;
      return;
    }
    this.counters.delivered++;
    this.counters.bytes += data.byteLength;
    destination.receive(data, from);
  }

  /** @internal Called by {@link MemoryNat}: counts a packet sent and dropped at once. */
  dropSent(): void {
    this.counters.sent++;
    this.counters.dropped++;
  }

  /** @internal Called by {@link MemoryEndpoint} when one of its listeners threw. */
  listenerFailed(endpoint: MemoryEndpoint, err: unknown): void {
    this.counters.listenerErrors++;
    if (this.onError === undefined) return;
    const detail = err instanceof Error ? err.message : String(err);
    this.onError(new EndpointError(`packet listener at ${addressKey(endpoint.address)} threw: ${detail}`, { cause: err }), endpoint);
  }

  private deliver(from: Address, fromKey: string, toKey: string, data: Uint8Array): void {
    this.counters.inFlight--;
    let destination = this.endpoints.get(toKey);
    if (destination === undefined && this.nats.size > 0 && !this.isPartitioned(fromKey, toKey)) destination = this.natInbound(from, fromKey, toKey);
    if (destination === undefined || !destination.isOpen || this.isPartitioned(fromKey, toKey)) {
      this.counters.dropped++;
      return;
    }
    this.counters.delivered++;
    this.counters.bytes += data.byteLength;
    destination.receive(data, from);
  }

  /** A packet reached an address no endpoint holds: if a NAT owns its host, the NAT decides. */
  private natInbound(from: Address, fromKey: string, toKey: string): MemoryEndpoint | undefined {
    return this.nats.get(hostOfKey(toKey))?.inbound(from, fromKey, Number(toKey.slice(toKey.lastIndexOf(':') + 1)));
  }

  /** True when an endpoint holds an address on `host`; the first call indexes the endpoints by host. */
  private hostInUse(host: string): boolean {
    if (this.hostUse === undefined) {
      this.hostUse = new Map();
      for (const key of this.endpoints.keys()) {
        const h = hostOfKey(key);
        this.hostUse.set(h, (this.hostUse.get(h) ?? 0) + 1);
      }
    }
    return this.hostUse.has(host);
  }

  private isPartitioned(fromKey: string, toKey: string): boolean {
    for (const { a, b } of this.partitions) {
      if ((a.has(fromKey) && b.has(toKey)) || (b.has(fromKey) && a.has(toKey))) return true;
    }
    return false;
  }

  private allocate(): Address {
    for (;;) {
      const n = this.nextAuto++;
      const perPort = AUTO_SUBNETS * AUTO_HOSTS_PER_SUBNET;
      const port = FIRST_AUTO_PORT + Math.floor(n / perPort);
      if (port > 65_535) throw new EndpointError('MemoryNetwork ran out of automatic addresses');
      const subnet = n % AUTO_SUBNETS;
      const hostByte = 1 + (Math.floor(n / AUTO_SUBNETS) % AUTO_HOSTS_PER_SUBNET);
      const address: Address = { host: `198.${18 + (subnet >> 8)}.${subnet & 255}.${hostByte}`, port };
      if (!this.endpoints.has(addressKey(address)) && !this.nats.has(address.host)) return address;
    }
  }
}

/** The host of an {@link addressKey}: `1.2.3.4:5` → `1.2.3.4`, `[::1]:5` → `::1`. */
function hostOfKey(key: string): string {
  const colon = key.lastIndexOf(':');
  return key.startsWith('[') ? key.slice(1, colon - 1) : key.slice(0, colon);
}

function checkLink(link: Link): Link {
  const { latencyMs, jitterMs, lossRate } = link;
  if (!(Number.isFinite(latencyMs) && latencyMs >= 0)) throw new InvalidArgumentError(`latencyMs must be >= 0, got ${latencyMs}`);
  if (!(Number.isFinite(jitterMs) && jitterMs >= 0)) throw new InvalidArgumentError(`jitterMs must be >= 0, got ${jitterMs}`);
  if (!(lossRate >= 0 && lossRate <= 1)) throw new InvalidArgumentError(`lossRate must be in 0..1, got ${lossRate}`);
  return { latencyMs, jitterMs, lossRate };
}

function stripUndefined(options: LinkOptions): LinkOptions {
  const out: LinkOptions = {};
  if (options.latencyMs !== undefined) out.latencyMs = options.latencyMs;
  if (options.jitterMs !== undefined) out.jitterMs = options.jitterMs;
  if (options.lossRate !== undefined) out.lossRate = options.lossRate;
  return out;
}
