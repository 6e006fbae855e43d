/**
 * A NAT router in the in-memory network, modelled on Linux nftables `masquerade` (cone) and
 * `masquerade random` (symmetric) with conntrack's UDP timeouts. Create one with
 * {@link MemoryNetwork.createNat}, then endpoints behind it with `createEndpoint(address, { behind: nat })`.
 * @module
 */
import { EndpointError, InvalidArgumentError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import type { Random } from '../random/random.js';
import type { Address } from './address.js';
import { addressKey } from './address.js';
import type { MemoryEndpoint } from './memory-endpoint.js';

/**
 * How a NAT picks the public port of an outbound packet (RFC 4787 terms).
 * - `'endpoint-independent'` (cone, Linux `masquerade`): one public port per internal socket for every
 *   destination; the internal port is kept when it is free, else another is drawn.
 * - `'address-and-port-dependent'` (symmetric, Linux `masquerade random`): a new random public port for
 *   every new (internal socket, remote ip:port) pair.
 */
export type NatMapping = 'endpoint-independent' | 'address-and-port-dependent';

/**
 * Which inbound packets a NAT lets through to a live mapping (RFC 4787 terms).
 * - `'address-and-port-dependent'` (Linux conntrack): only from a remote ip:port the mapping has sent to.
 * - `'address-dependent'`: from any port of a remote ip the mapping has sent to.
 * - `'endpoint-independent'` (full cone): from anyone while the mapping is live.
 */
export type NatFiltering = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';

/** Options of {@link MemoryNetwork.createNat}. */
export interface MemoryNatOptions {
  /** The NAT's public IP; no endpoint may use it. @default the next automatic 198.18.x.y address */
  publicHost?: string;
  /** How public ports are chosen. @default 'endpoint-independent' */
  mapping?: NatMapping;
  /** Which inbound packets pass. @default 'address-and-port-dependent' */
  filtering?: NatFiltering;
  /**
   * How a new public port is drawn when the preferred one is taken or there is none (every new mapping
   * of a symmetric NAT): `'random'` (Linux `masquerade random`) or `'sequential'` (the next free port
   * after the last one given, as many home routers do: the ports a peer will get are predictable).
   * @default 'random'
   */
  portAllocation?: 'random' | 'sequential';
  /**
   * Whether a packet from inside to the NAT's own public address is translated and looped back in
   * (then filtered like any inbound packet); when false it is dropped and counted in `hairpinDrops`.
   * @default false
   */
  hairpin?: boolean;
  /** Lifetime of a flow (remote ip:port of a mapping) until a reply was seen, refreshed by each packet, in ms. @default 30_000 */
  udpTimeoutMs?: number;
  /** Lifetime of a flow once traffic went both ways, refreshed by each packet, in ms. @default 120_000 */
  udpStreamTimeoutMs?: number;
}

/** Counters of a {@link MemoryNat}; expiry is checked when they are read, so they are exact at that time. */
export interface MemoryNatStats {
  /** Public ports bound, ever. */
  mappingsCreated: number;
  /** Public ports bound now: created − expired − released. */
  mappingsLive: number;
  /** Mappings whose every flow timed out. */
  mappingsExpired: number;
  /** Mappings freed because their endpoint closed or moved. */
  mappingsReleased: number;
  /** Outbound packets translated (including hairpinned ones). */
  translated: number;
  /** Inbound packets let through to an endpoint behind the NAT. */
  inboundPassed: number;
  /** Inbound packets to a public port with no live mapping (dropped). */
  inboundUnmapped: number;
  /** Inbound packets to a live mapping refused by filtering (dropped). */
  inboundFiltered: number;
  /** Packets from inside to the NAT's public address, dropped because `hairpin` is off. */
  hairpinDrops: number;
  /** Outbound packets dropped because no public port was free. */
  portsExhausted: number;
}

/** @internal What a {@link MemoryNat} needs from its network. */
export interface NatUplink {
  readonly clock: Clock;
  readonly random: Random;
  /** Counts a sent packet and sends it on the internet from `from`. */
  transmit(from: Address, fromKey: string, to: Address, data: Uint8Array): void;
  /** Counts a sent packet and runs `arrive` after one LAN hop (the network's default latency). */
  lanHop(arrive: () => void): void;
  /** Delivers a packet that made its LAN hop, or drops it when `destination` is missing or closed. */
  land(destination: MemoryEndpoint | undefined, data: Uint8Array, from: Address): void;
  /** Counts a packet sent and dropped at once. */
  dropSent(): void;
}

interface Flow {
  expiresAt: number;
  replied: boolean;
}

interface Mapping {
  readonly internalKey: string;
  readonly slot: string;
  readonly address: Address;
  readonly key: string;
  expiresAt: number;
  readonly flows: Map<string, Flow>;
  /** Latest expiry per remote host; kept only for `'address-dependent'` filtering. */
  readonly hosts: Map<string, number>;
  pruneAt: number;
}

const FIRST_DYNAMIC_PORT = 1_024;
const DYNAMIC_PORTS = 65_536 - FIRST_DYNAMIC_PORT;
const RANDOM_PORT_TRIES = 32;
const FIRST_PRUNE = 16;
const DEFAULT_UDP_TIMEOUT_MS = 30_000;
const DEFAULT_UDP_STREAM_TIMEOUT_MS = 120_000;

/**
 * A NAT router between a private LAN and the {@link MemoryNetwork}. Endpoints behind it keep their private
 * address (LAN addresses are scoped per NAT, so two NATs may both have a `10.0.0.2`). From inside, a packet
 * to another endpoint host of the same LAN is delivered on the LAN, one to the NAT's public address is
 * hairpinned or dropped, and any other is translated to `publicHost:mappedPort`. From outside, a packet to
 * `publicHost:port` reaches the endpoint only through a live mapping that its filtering allows.
 * Mappings and flows expire lazily (checked on use and when {@link MemoryNat.stats} is read): no timers.
 *
 * @example
 * ```ts
 * const nat = net.createNat({ mapping: 'endpoint-independent' });
 * const inside = net.createEndpoint({ host: '10.0.0.2', port: 7000 }, { behind: nat });
 * await inside.open();
 * inside.send(server.address, data); // the server sees nat.publicHost:7000
 * ```
 */
export class MemoryNat {
  /** The NAT's public IP. */
  readonly publicHost: string;
  /** How public ports are chosen. */
  readonly mapping: NatMapping;
  /** Which inbound packets pass. */
  readonly filtering: NatFiltering;
  /** Whether packets from inside to the public address loop back in. */
  readonly hairpin: boolean;
  /** How new public ports are drawn. */
  readonly portAllocation: 'random' | 'sequential';
  /** Flow lifetime until a reply was seen, in ms. */
  readonly udpTimeoutMs: number;
  /** Flow lifetime once traffic went both ways, in ms. */
  readonly udpStreamTimeoutMs: number;

  private readonly counters: MemoryNatStats = {
    mappingsCreated: 0,
    mappingsLive: 0,
    mappingsExpired: 0,
    mappingsReleased: 0,
    translated: 0,
    inboundPassed: 0,
    inboundUnmapped: 0,
    inboundFiltered: 0,
    hairpinDrops: 0,
    portsExhausted: 0,
  };
  private readonly lan = new Map<string, MemoryEndpoint>();
  private readonly lanHosts = new Map<string, number>();
  private readonly byPort = new Map<number, Mapping>();
  /** The last port a `'sequential'` NAT gave. */
  private lastPort = 20_000;
  private readonly byInternal = new Map<string, Map<string, Mapping>>();
  private nextLan = 2;

  /** @internal Use {@link MemoryNetwork.createNat}. */
  constructor(
    /** @internal The network this NAT is part of. */
    readonly uplink: NatUplink,
    publicHost: string,
    options: MemoryNatOptions,
  ) {
    this.publicHost = publicHost;
    this.mapping = options.mapping ?? 'endpoint-independent';
    this.filtering = options.filtering ?? 'address-and-port-dependent';
    this.hairpin = options.hairpin ?? false;
    this.portAllocation = options.portAllocation ?? 'random';
    if (this.portAllocation !== 'random' && this.portAllocation !== 'sequential') {
      throw new InvalidArgumentError(`portAllocation must be 'random' or 'sequential', got ${String(this.portAllocation)}`);
    }
    this.udpTimeoutMs = options.udpTimeoutMs ?? DEFAULT_UDP_TIMEOUT_MS;
    this.udpStreamTimeoutMs = options.udpStreamTimeoutMs ?? DEFAULT_UDP_STREAM_TIMEOUT_MS;
    if (this.mapping !== 'endpoint-independent' && this.mapping !== 'address-and-port-dependent') {
      throw new InvalidArgumentError(`mapping must be 'endpoint-independent' or 'address-and-port-dependent', got ${String(this.mapping)}`);
    }
    if (this.filtering !== 'endpoint-independent' && this.filtering !== 'address-dependent' && this.filtering !== 'address-and-port-dependent') {
      throw new InvalidArgumentError(`filtering must be 'endpoint-independent', 'address-dependent' or 'address-and-port-dependent', got ${String(this.filtering)}`);
    }
    for (const [name, value] of [['udpTimeoutMs', this.udpTimeoutMs], ['udpStreamTimeoutMs', this.udpStreamTimeoutMs]] as const) {
      if (!(Number.isFinite(value) && value > 0)) throw new InvalidArgumentError(`${name} must be > 0, got ${value}`);
    }
  }

  /** Live counters, exact at the time of reading (expired mappings are swept first). */
  get stats(): Readonly<MemoryNatStats> {
    const now = this.uplink.clock.now();
    for (const mapping of [...this.byPort.values()]) if (mapping.expiresAt <= now) this.drop(mapping, 'mappingsExpired');
    return { ...this.counters };
  }

  /**
   * The public address `endpoint` is seen from when it sends to `remote`, while a live mapping exists;
   * for a cone NAT `remote` may be left out. `undefined` when no live mapping exists.
   */
  mappedAddress(endpoint: MemoryEndpoint, remote?: Address): Address | undefined {
    const slots = this.byInternal.get(addressKey(endpoint.address));
    const slot = this.mapping === 'endpoint-independent' ? '' : remote === undefined ? undefined : addressKey(remote);
    const mapping = slot === undefined ? undefined : slots?.get(slot);
    if (mapping === undefined || mapping.expiresAt <= this.uplink.clock.now()) return undefined;
    return mapping.address;
  }

  /** @internal Picks the next free LAN address, 10.0.0.2:7000 onwards. */
  allocate(): Address {
    for (;;) {
      const n = this.nextLan++;
      if (n >= 2 ** 24) throw new EndpointError(`the LAN of NAT ${this.publicHost} ran out of addresses`);
      const last = n & 255;
      if (last === 0 || last === 255) continue;
      const address: Address = { host: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${last}`, port: 7_000 };
      if (!this.lan.has(addressKey(address))) return address;
    }
  }

  /** @internal Registers `endpoint` under its LAN `address`. */
  reserve(endpoint: MemoryEndpoint, address: Address): void {
    const key = addressKey(address);
    if (address.host === this.publicHost) throw new EndpointError(`${key} is the public address of its NAT, not a LAN address`);
    const holder = this.lan.get(key);
    if (holder === endpoint) return;
    if (holder !== undefined) throw new EndpointError(`address ${key} is already in use on the LAN of NAT ${this.publicHost}`);
    this.lan.set(key, endpoint);
    this.lanHosts.set(address.host, (this.lanHosts.get(address.host) ?? 0) + 1);
  }

  /** @internal Frees `address` if `endpoint` holds it, with every mapping of that address. */
  release(endpoint: MemoryEndpoint, address: Address): void {
    const key = addressKey(address);
    if (this.lan.get(key) !== endpoint) return;
    this.lan.delete(key);
    const hosts = (this.lanHosts.get(address.host) ?? 1) - 1;
    if (hosts === 0) this.lanHosts.delete(address.host);
    else this.lanHosts.set(address.host, hosts);
    const slots = this.byInternal.get(key);
    if (slots === undefined) return;
    const now = this.uplink.clock.now();
    for (const mapping of [...slots.values()]) this.drop(mapping, mapping.expiresAt <= now ? 'mappingsExpired' : 'mappingsReleased');
  }

  /** @internal Routes a packet sent by `endpoint` (already counted by the endpoint) from inside. */
  send(from: Address, fromKey: string, to: Address, data: Uint8Array): void {
    const uplink = this.uplink;
    const toKey = addressKey(to);
    const neighbour = this.lan.get(toKey);
    if (neighbour !== undefined || this.lanHosts.has(to.host)) {
      const copy = new Uint8Array(data);
      uplink.lanHop(() => uplink.land(this.lan.get(toKey), copy, from));
      return;
    }
    const isHairpin = to.host === this.publicHost;
    if (isHairpin && !this.hairpin) {
      this.counters.hairpinDrops++;
      uplink.dropSent();
      return;
    }
    const mapping = this.outbound(fromKey, from.port, toKey, to.host);
    if (mapping === undefined) {
      this.counters.portsExhausted++;
      uplink.dropSent();
      return;
    }
    this.counters.translated++;
    if (!isHairpin) {
      uplink.transmit(mapping.address, mapping.key, to, data);
      return;
    }
    const copy = new Uint8Array(data);
    uplink.lanHop(() => uplink.land(this.inbound(mapping.address, mapping.key, to.port), copy, mapping.address));
  }

  /**
   * @internal A packet from `from` reached `publicHost:port`: returns the endpoint to deliver it to, or
   * `undefined` (counted) when no live mapping holds the port or filtering refuses it.
   */
  inbound(from: Address, fromKey: string, port: number): MemoryEndpoint | undefined {
    const now = this.uplink.clock.now();
    const mapping = this.byPort.get(port);
    if (mapping === undefined || mapping.expiresAt <= now) {
      if (mapping !== undefined) this.drop(mapping, 'mappingsExpired');
      this.counters.inboundUnmapped++;
      return undefined;
    }
    const flow = mapping.flows.get(fromKey);
    if (flow !== undefined && flow.expiresAt > now) {
      flow.replied = true;
      this.refresh(mapping, flow, from.host, now);
    } else {
      if (flow !== undefined) mapping.flows.delete(fromKey);
      const passes =
        this.filtering === 'endpoint-independent' || (this.filtering === 'address-dependent' && (mapping.hosts.get(from.host) ?? 0) > now);
      if (!passes) {
        this.counters.inboundFiltered++;
        return undefined;
      }
    }
    this.counters.inboundPassed++;
    return this.lan.get(mapping.internalKey);
  }

  /** Finds or creates the mapping of an outbound packet and refreshes its flow; `undefined` when no port is free. */
  private outbound(internalKey: string, internalPort: number, remoteKey: string, remoteHost: string): Mapping | undefined {
    const now = this.uplink.clock.now();
    const slot = this.mapping === 'endpoint-independent' ? '' : remoteKey;
    let slots = this.byInternal.get(internalKey);
    let mapping = slots?.get(slot);
    if (mapping !== undefined && mapping.expiresAt <= now) {
      this.drop(mapping, 'mappingsExpired');
      mapping = undefined;
    }
    if (mapping === undefined) {
      const port = this.freePort(this.mapping === 'endpoint-independent' ? internalPort : undefined, now);
      if (port === undefined) return undefined;
      const address: Address = { host: this.publicHost, port };
      mapping = { internalKey, slot, address, key: addressKey(address), expiresAt: 0, flows: new Map(), hosts: new Map(), pruneAt: FIRST_PRUNE };
      if (slots === undefined) {
        slots = new Map();
        this.byInternal.set(internalKey, slots);
      }
      slots.set(slot, mapping);
      this.byPort.set(port, mapping);
      this.counters.mappingsCreated++;
      this.counters.mappingsLive++;
    }
    let flow = mapping.flows.get(remoteKey);
    const isNew = flow === undefined || flow.expiresAt <= now;
    if (flow === undefined || isNew) {
      flow = { expiresAt: 0, replied: false };
      mapping.flows.set(remoteKey, flow);
    }
    this.refresh(mapping, flow, remoteHost, now);
    if (isNew && mapping.flows.size > mapping.pruneAt) this.prune(mapping, now); // after the refresh: keeps the new flow
    return mapping;
  }

  private refresh(mapping: Mapping, flow: Flow, remoteHost: string, now: number): void {
    flow.expiresAt = now + (flow.replied ? this.udpStreamTimeoutMs : this.udpTimeoutMs);
    if (flow.expiresAt > mapping.expiresAt) mapping.expiresAt = flow.expiresAt;
    if (this.filtering === 'address-dependent' && flow.expiresAt > (mapping.hosts.get(remoteHost) ?? 0)) mapping.hosts.set(remoteHost, flow.expiresAt);
  }

  /** Removes expired flows of a mapping; runs when its flow count doubled since the last prune. */
  private prune(mapping: Mapping, now: number): void {
    for (const [key, flow] of mapping.flows) if (flow.expiresAt <= now) mapping.flows.delete(key);
    for (const [host, expiresAt] of mapping.hosts) if (expiresAt <= now) mapping.hosts.delete(host);
    mapping.pruneAt = Math.max(FIRST_PRUNE, 2 * mapping.flows.size);
  }

  /**
   * The preferred port when it is free, else a free one of 1024..65535 (random, or the next after the last
   * one given with `'sequential'`); `undefined` when all are taken.
   */
  private freePort(preferred: number | undefined, now: number): number | undefined {
    if (preferred !== undefined && this.isFree(preferred, now)) return preferred;
    if (this.portAllocation === 'sequential') {
      for (let i = 1; i <= DYNAMIC_PORTS; i++) {
        const port = FIRST_DYNAMIC_PORT + ((this.lastPort - FIRST_DYNAMIC_PORT + i) % DYNAMIC_PORTS);
        if (this.isFree(port, now)) return (this.lastPort = port);
      }
      return undefined;
    }
    const random = this.uplink.random;
    for (let i = 0; i < RANDOM_PORT_TRIES; i++) {
      const port = FIRST_DYNAMIC_PORT + random.int(DYNAMIC_PORTS);
      if (this.isFree(port, now)) return port;
    }
    const start = random.int(DYNAMIC_PORTS);
    for (let i = 0; i < DYNAMIC_PORTS; i++) {
      const port = FIRST_DYNAMIC_PORT + ((start + i) % DYNAMIC_PORTS);
      if (this.isFree(port, now)) return port;
    }
    return undefined;
  }

  private isFree(port: number, now: number): boolean {
    const holder = this.byPort.get(port);
    if (holder === undefined) return true;
    if (holder.expiresAt > now) return false;
    this.drop(holder, 'mappingsExpired');
    return true;
  }

  private drop(mapping: Mapping, reason: 'mappingsExpired' | 'mappingsReleased'): void {
    if (this.byPort.get(mapping.address.port) !== mapping) return;
    this.byPort.delete(mapping.address.port);
    const slots = this.byInternal.get(mapping.internalKey);
    if (slots !== undefined && slots.get(mapping.slot) === mapping) {
      slots.delete(mapping.slot);
      if (slots.size === 0) this.byInternal.delete(mapping.internalKey);
    }
    this.counters.mappingsLive--;
    this.counters[reason]++;
  }
}

