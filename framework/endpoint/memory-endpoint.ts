/**
 * The endpoint half of the in-memory network; create endpoints with {@link MemoryNetwork.createEndpoint}.
 * @module
 */
import { isIP } from 'node:net';
import { EndpointError, InvalidArgumentError, PacketTooLargeError } from '../errors.js';
import type { Address } from './address.js';
import { addressKey, isValidPort } from './address.js';
import type { Endpoint, EndpointStats, PacketListener } from './endpoint.js';
import type { MemoryNat } from './memory-nat.js';
import type { MemoryNetwork } from './memory-network.js';

/** Counters of a {@link MemoryEndpoint}: the {@link EndpointStats} plus thrown listeners. */
export interface MemoryEndpointStats extends EndpointStats {
  /** Listener calls that threw (caught; other listeners still ran). */
  listenerErrors: number;
}

const NO_LISTENERS: readonly PacketListener[] = [];

/**
 * An {@link Endpoint} on a {@link MemoryNetwork}, made by {@link MemoryNetwork.createEndpoint}.
 * Listeners receive the network's private copy of each packet and may keep it.
 */
export class MemoryEndpoint implements Endpoint {
  /** @inheritDoc */
  readonly maxPacketBytes: number;
  /** @inheritDoc */
  readonly stats: Readonly<MemoryEndpointStats>;

  private readonly counters: MemoryEndpointStats = {
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    sendErrors: 0,
    listenerErrors: 0,
  };
  private listeners: readonly PacketListener[] = NO_LISTENERS;
  private current: Address;
  private currentKey: string;
  private opened = false;
  private everOpened = false;
  /** True while this endpoint holds its address in the network: from creation until close, and while open. */
  private reserved = true;

  /** @internal Use {@link MemoryNetwork.createEndpoint}. */
  constructor(
    private readonly network: MemoryNetwork,
    address: Address,
    /** The NAT this endpoint sits behind, or `undefined` for an endpoint on the open network. */
    readonly behind?: MemoryNat,
  ) {
    this.current = address;
    this.currentKey = addressKey(address);
    this.maxPacketBytes = network.maxPacketBytes;
    this.stats = this.counters;
  }

  /** @inheritDoc */
  get isOpen(): boolean {
    return this.opened;
  }

  /**
   * The endpoint's address (behind a NAT, its private LAN address); after `close()` the address it last had.
   * @throws {@link EndpointError} before the first `open()`, like a socket that is not bound yet.
   */
  get address(): Address {
    if (!this.everOpened) throw new EndpointError('MemoryEndpoint.address read before open()');
    return this.current;
  }

  /**
   * Joins the network at the endpoint's address. Idempotent; after `close()` it joins again.
   * @throws {@link EndpointError} (rejection) when another endpoint took the address meanwhile.
   */
  async open(): Promise<void> {
    if (this.opened) return;
    (this.behind ?? this.network).reserve(this, this.current);
    this.reserved = true;
    this.opened = true;
    this.everOpened = true;
    this.network.countOpen(1);
  }

  /** Leaves the network and frees the address; packets arriving later are dropped. Idempotent. */
  async close(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    this.reserved = false;
    (this.behind ?? this.network).release(this, this.current);
    this.network.countOpen(-1);
  }

  /**
   * Moves the endpoint to `address`, as when a node's IP or NAT mapping changes. Packets already in flight
   * to the old address are dropped; later packets carry the new address as their source. Behind a NAT the
   * address is a LAN address, and the NAT's mappings of the old one are freed.
   * @throws {@link EndpointError} when `address` is taken (while closed, `open()` checks instead). @throws {@link InvalidArgumentError} when it is
   * not a literal IP with a port in 1..65535.
   */
  setAddress(address: Address): void {
    const next = checkAddress(address);
    if (addressKey(next) === this.currentKey) return;
    if (this.reserved) {
      const registry = this.behind ?? this.network;
      registry.reserve(this, next);
      registry.release(this, this.current);
    }
    this.current = next;
    this.currentKey = addressKey(next);
  }

  /**
   * Sends one datagram: copies `data`, then delivers it after the link's latency unless it is lost.
   * Behind a NAT, the NAT routes it first (see {@link MemoryNat}).
   * While closed the packet is dropped and counted in `sendErrors`.
   * @throws {@link PacketTooLargeError} when `data` exceeds {@link MemoryEndpoint.maxPacketBytes} (also counted).
   */
  send(to: Address, data: Uint8Array): void {
    const size = data.byteLength;
    if (size > this.maxPacketBytes) {
      this.counters.sendErrors++;
      throw new PacketTooLargeError(size, this.maxPacketBytes);
    }
    if (!this.opened) {
      this.counters.sendErrors++;
      return;
    }
    this.counters.packetsSent++;
    this.counters.bytesSent += size;
    if (this.behind === undefined) this.network.transmit(this.current, this.currentKey, to, data);
    else this.behind.send(this.current, this.currentKey, to, data);
  }

  /** @inheritDoc */
  addListener(listener: PacketListener): void {
    this.listeners = [...this.listeners, listener];
  }

  /** @inheritDoc */
  removeListener(listener: PacketListener): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners = this.listeners.filter((_, j) => j !== i);
  }

  /** @internal Called by {@link MemoryNetwork} when a packet arrives. */
  receive(data: Uint8Array, from: Address): void {
    this.counters.packetsReceived++;
    this.counters.bytesReceived += data.byteLength;
    for (const listener of this.listeners) {
      try {
        listener(data, from);
      } catch (err) {
        this.counters.listenerErrors++;
        this.network.listenerFailed(this, err);
      }
    }
  }
}

/**
 * Validates an in-memory address and returns a private copy.
 * @throws {@link InvalidArgumentError} when `address` is not a literal IP with a port in 1..65535.
 */
export function checkAddress(address: Address): Address {
  const { host, port } = address;
  if (isIP(host) === 0 || port < 1 || !isValidPort(port)) {
    throw new InvalidArgumentError(`address must be a literal IP with a port in 1..65535, got ${JSON.stringify(address)}`);
  }
  return { host, port };
}
