/**
 * Birthday probing through a NAT that maps ports per destination (symmetric), the side that opens many
 * sockets: an {@link Endpoint} wrapper that can open a batch of extra sockets beside the wrapped one, send a
 * small probe from each toward one target (each opens its own NAT mapping, at a port the target cannot
 * guess), and *pin* the target to the first socket a packet from the target reaches (and send one probe
 * back through it, so the target learns the port at once). From then on every datagram to the target
 * leaves through that socket, so the overlay above keeps talking to the target's
 * address as usual. The other side sprays probes at many ports of our public IP ({@link PortSpray}); one
 * that lands on a mapped port gets through, as Holepunch's hyperdht does with 256 sockets.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { positiveInteger } from '../util/positive.js';
import type { Clock } from '../time/clock.js';
import type { Address } from './address.js';
import { addressKey } from './address.js';
import type { Endpoint, EndpointStats } from './endpoint.js';
import { EndpointWrapper } from './endpoint-wrapper.js';
import { PROBE_BYTES, isProbe, probeTag, taggedProbe } from './probe-packet.js';

/** Default number of sockets a batch opens (hyperdht's choice). */
export const DEFAULT_PROBE_SOCKETS = 256;

/** Options of a {@link ProbingEndpoint}. */
export interface ProbingEndpointOptions {
  /** Makes a new, unopened endpoint beside the wrapped one: same host, any free port. */
  createSocket: () => Endpoint;
  /** Most probe sockets open at once, pinned ones included. @default 1_024 */
  maxSockets?: number;
  /** Most targets pinned at once; a batch that would need another is refused. @default 32 */
  maxPins?: number;
  /**
   * A pinned socket that received nothing from its target for this long is closed (then traffic to the
   * target leaves through the main socket again), in ms; our own sends do not keep it. @default 150_000
   */
  pinIdleMs?: number;
}

/** Receives a probe that reached the main socket: where from, and its tag as hex if it had one. */
export type ProbeListener = (from: Address, tag: string | undefined) => void;

/** Counters of a {@link ProbingEndpoint}; all start at 0. */
export interface ProbingStats {
  /** Batches opened. */
  batches: number;
  /** Batches refused (too many sockets or pins, or the endpoint closed). */
  batchesRefused: number;
  /** Probe sockets opened, ever. */
  socketsOpened: number;
  /** Probe sockets that failed to open. */
  socketErrors: number;
  /** Probe sockets open now. */
  socketsOpen: number;
  /** Probes sent from batch sockets. */
  probesSent: number;
  /** Probes received (on batch sockets or, from a spraying peer, on the main socket). */
  probesReceived: number;
  /** Targets pinned to a socket (a batch hit), ever. */
  pins: number;
  /** Pins closed because they sat idle. */
  pinsExpired: number;
  /** Packets on a batch socket from anyone but its target (dropped). */
  strays: number;
  /** Datagrams sent through a pinned socket. */
  pinnedSent: number;
}

/** A batch of probe sockets aimed at one target; see {@link ProbingEndpoint.openBatch}. */
export interface ProbeBatch {
  /** The address the batch probes. */
  readonly target: Address;
  /** Sockets the batch opened. */
  readonly size: number;
  /** True once a packet from the target reached one of its sockets (the target is then pinned to it). */
  readonly hit: boolean;
  /** Sends one probe from every socket of the batch that is still open to the target. */
  probe(): void;
  /** Closes every socket of the batch but the pinned one. Idempotent. */
  close(): Promise<void>;
}

/** What a {@link ProbingEndpoint} offers the communities above it (the narrow interface they take). */
export interface ProbeSockets {
  /**
   * Opens `count` sockets aimed at `target` and sends one probe from each. `onHit` runs once, when the
   * first packet from `target` reaches one of them (the target is pinned to that socket then).
   * @returns the batch, or `undefined` when it is refused (see {@link ProbingEndpointOptions}).
   */
  openBatch(target: Address, count: number, onHit?: () => void): Promise<ProbeBatch | undefined>;
  /** Sends one probe from the main socket (the spraying side), with `tag` (8 bytes) when given. */
  sendProbe(to: Address, tag?: Uint8Array): void;
  /** True when datagrams to `address` leave through a pinned probe socket. */
  isPinned(address: Address): boolean;
  /**
   * Adds a listener for probes that reach the main socket: a peer's probe socket, or its echo of one of
   * our tagged probes (`tag` as hex then).
   */
  onProbe(listener: ProbeListener): void;
  /** Removes a listener added with {@link ProbeSockets.onProbe}. */
  offProbe(listener: ProbeListener): void;
}

interface Pin {
  readonly socket: Endpoint;
  lastHeard: number;
}

/**
 * The wrapped endpoint plus batches of probe sockets and the pins they make; see the module comment.
 * Probe datagrams ({@link PROBE_BYTES}) never reach the listeners: on a batch socket they pin, on the main
 * socket they go to {@link ProbeSockets.onProbe} listeners.
 *
 * @example
 * ```ts
 * const udp = new UdpEndpoint({ host: '0.0.0.0', port: 8090 });
 * const probing = new ProbingEndpoint(udp, { createSocket: () => new UdpEndpoint({ host: '0.0.0.0', port: 0 }) }, clock);
 * const host = new OverlayHost({ endpoint: probing });
 * ```
 */
export class ProbingEndpoint extends EndpointWrapper implements ProbeSockets {
  /** Live counters. */
  readonly probing: ProbingStats = {
    batches: 0,
    batchesRefused: 0,
    socketsOpened: 0,
    socketErrors: 0,
    socketsOpen: 0,
    probesSent: 0,
    probesReceived: 0,
    pins: 0,
    pinsExpired: 0,
    strays: 0,
    pinnedSent: 0,
  };
  private readonly createSocket: () => Endpoint;
  private readonly maxSockets: number;
  private readonly maxPins: number;
  private readonly pinIdleMs: number;
  private readonly pins = new Map<string, Pin>();
  private readonly sockets = new Set<Endpoint>();
  private probeListeners: readonly ProbeListener[] = [];
  private nextSweepAt = 0;
  /** Sockets of batches still opening. */
  private opening = 0;
  /** Targets of open batches (how many batches each). */
  private readonly targets = new Map<string, number>();
  /** Batch targets whose probe our main socket echoed. */
  private readonly echoed = new Set<string>();
  /** Set by close(): batches that finish opening afterwards close their sockets. */
  private closing = false;
  /** Counters of the probe sockets closed so far. */
  private readonly retired: EndpointStats = { packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0, sendErrors: 0 };

  /**
   * @param inner the main endpoint.
   * @param options see {@link ProbingEndpointOptions}.
   * @param clock for pin idleness.
   * @throws {@link InvalidArgumentError} for a limit that is not a positive integer.
   */
  constructor(inner: Endpoint, options: ProbingEndpointOptions, private readonly clock: Pick<Clock, 'now'>) {
    super(inner);
    this.createSocket = options.createSocket;
    this.maxSockets = positiveInteger(options.maxSockets ?? 4 * DEFAULT_PROBE_SOCKETS, 'ProbingEndpoint maxSockets');
    this.maxPins = positiveInteger(options.maxPins ?? 32, 'ProbingEndpoint maxPins');
    this.pinIdleMs = positiveInteger(options.pinIdleMs ?? 150_000, 'ProbingEndpoint pinIdleMs');
    this.attach();
  }

  /**
   * The counters of every socket: the wrapped endpoint's plus those of the probe sockets, open and closed
   * (probes and pinned traffic included).
   */
  override get stats(): Readonly<EndpointStats> {
    const total = { ...this.retired };
    for (const s of [this.inner, ...this.sockets]) {
      const st = s.stats;
      total.packetsSent += st.packetsSent;
      total.bytesSent += st.bytesSent;
      total.packetsReceived += st.packetsReceived;
      total.bytesReceived += st.bytesReceived;
      total.sendErrors += st.sendErrors;
    }
    return total;
  }

  /** Sends through the target's pinned socket if it has one, else through the main endpoint. */
  override send(to: Address, data: Uint8Array): void {
    const pin = this.pinFor(addressKey(to));
    if (pin === undefined) return this.inner.send(to, data);
    // Only what arrives keeps a pin (see pinIdleMs): a path that died falls back to the main socket.
    this.probing.pinnedSent++;
    pin.socket.send(to, data);
  }

  /** Closes every probe socket, then the main endpoint. */
  override async close(): Promise<void> {
    this.closing = true;
    const sockets = [...this.sockets];
    this.sockets.clear();
    this.pins.clear();
    this.probing.socketsOpen = 0;
    await Promise.all(sockets.map((s) => this.retire(s)));
    await this.inner.close();
  }

  /** @inheritDoc */
  isPinned(address: Address): boolean {
    return this.pinFor(addressKey(address)) !== undefined;
  }

  /** @inheritDoc */
  sendProbe(to: Address, tag?: Uint8Array): void {
    this.probing.probesSent++;
    this.inner.send(to, tag === undefined ? PROBE_BYTES : taggedProbe(tag));
  }

  /** @inheritDoc */
  onProbe(listener: ProbeListener): void {
    this.probeListeners = [...this.probeListeners, listener];
  }

  /** @inheritDoc */
  offProbe(listener: ProbeListener): void {
    this.probeListeners = this.probeListeners.filter((l) => l !== listener);
  }

  /**
   * @inheritDoc
   * @throws {@link InvalidArgumentError} for a `count` that is not a positive integer.
   */
  async openBatch(target: Address, count: number, onHit?: () => void): Promise<ProbeBatch | undefined> {
    positiveInteger(count, 'ProbingEndpoint count');
    this.sweep();
    const targetKey = addressKey(target);
    if (this.closing || !this.isOpen || this.sockets.size + this.opening + count > this.maxSockets || (this.pins.size >= this.maxPins && !this.pins.has(targetKey))) {
      this.probing.batchesRefused++;
      return undefined;
    }
    this.probing.batches++;
    this.opening += count;
    this.targets.set(targetKey, (this.targets.get(targetKey) ?? 0) + 1);
    const untarget = (): void => {
      const n = (this.targets.get(targetKey) ?? 1) - 1;
      if (n <= 0) this.targets.delete(targetKey);
      else this.targets.set(targetKey, n);
      this.echoed.delete(targetKey);
    };
    const sockets: Endpoint[] = [];
    let hit = false;
    let closed = false;
    const onPacket = (socket: Endpoint) => (data: Uint8Array, from: Address): void => {
      if (addressKey(from) !== targetKey) {
        this.probing.strays++;
        return;
      }
      const probe = isProbe(data);
      if (probe) this.probing.probesReceived++;
      if (!this.pins.has(targetKey) && this.sockets.has(socket)) {
        this.pins.set(targetKey, { socket, lastHeard: this.clock.now() });
        this.probing.pins++;
        // Tell the target at once which port got through: a probe back through the pinned socket (the
        // probe that hit, echoed, so a target spraying for several peers knows which spray it was).
        this.probing.probesSent++;
        socket.send(target, probe ? data : PROBE_BYTES);
      }
      const pin = this.pins.get(targetKey);
      if (pin?.socket === socket) pin.lastHeard = this.clock.now();
      // A hit is a pinned path: a packet on a socket still being registered pins nothing, and waits.
      if (!hit && this.pins.has(targetKey)) {
        hit = true;
        onHit?.();
      }
      if (!probe) this.deliver(data, from);
    };
    let opened: Array<Endpoint | undefined>;
    try {
      opened = await Promise.all(
        Array.from({ length: count }, async () => {
          let socket: Endpoint | undefined;
          try {
            socket = this.createSocket();
            await socket.open();
          } catch {
            this.probing.socketErrors++;
            if (socket?.isOpen === true) await socket.close().catch(() => undefined);
            return undefined;
          }
          socket.addListener(onPacket(socket));
          return socket;
        }),
      );
    } finally {
      this.opening -= count;
    }
    for (const socket of opened) {
      if (socket === undefined) continue;
      if (this.closing || !this.isOpen) {
        await socket.close();
        continue;
      }
      sockets.push(socket);
      this.sockets.add(socket);
      this.probing.socketsOpened++;
    }
    this.probing.socketsOpen = this.sockets.size;
    if (this.closing || !this.isOpen) {
      untarget();
      return undefined; // closed while the batch was opening: its sockets are closed above
    }
    const batch: ProbeBatch = {
      target,
      size: sockets.length,
      get hit() {
        return hit;
      },
      probe: () => {
        if (closed) return;
        for (const socket of sockets) {
          if (!this.sockets.has(socket) || this.pins.get(targetKey)?.socket === socket) continue;
          this.probing.probesSent++;
          socket.send(target, PROBE_BYTES);
        }
      },
      close: async () => {
        if (closed) return;
        closed = true;
        untarget();
        const pinned = this.pins.get(targetKey)?.socket;
        const closing = sockets.filter((s) => s !== pinned && this.sockets.delete(s));
        this.probing.socketsOpen = this.sockets.size;
        await Promise.all(closing.map((s) => this.retire(s)));
      },
    };
    batch.probe();
    return batch;
  }

  /** Probes on the main socket go to the probe listeners; everything else to the overlay. */
  protected override receive(data: Uint8Array, from: Address): void {
    if (!isProbe(data)) return this.deliver(data, from);
    this.probing.probesReceived++;
    const tag = probeTag(data);
    // A batch target's spray found our main socket's mapping toward it: echo its probe once, as a pinned
    // socket does, so it knows which of its sprays got through.
    const key = addressKey(from);
    if (tag !== undefined && this.targets.has(key) && !this.echoed.has(key)) {
      this.echoed.add(key);
      this.probing.probesSent++;
      this.inner.send(from, data);
    }
    for (const listener of this.probeListeners) listener(from, tag);
  }

  /** The live pin for a target key; an idle one is closed first. */
  private pinFor(key: string): Pin | undefined {
    if (this.pins.size === 0) return undefined;
    this.sweep();
    return this.pins.get(key);
  }

  /** Closes a probe socket, keeping its counters in {@link ProbingEndpoint.stats}. */
  private async retire(socket: Endpoint): Promise<void> {
    const st = socket.stats;
    this.retired.packetsSent += st.packetsSent;
    this.retired.bytesSent += st.bytesSent;
    this.retired.packetsReceived += st.packetsReceived;
    this.retired.bytesReceived += st.bytesReceived;
    this.retired.sendErrors += st.sendErrors;
    await socket.close();
  }

  /** Closes pins idle for `pinIdleMs`; runs at most once a second. */
  private sweep(): void {
    const now = this.clock.now();
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + 1_000;
    for (const [key, pin] of this.pins) {
      if (now - pin.lastHeard < this.pinIdleMs) continue;
      this.pins.delete(key);
      this.probing.pinsExpired++;
      if (this.sockets.delete(pin.socket)) void this.retire(pin.socket).catch(() => undefined);
    }
    this.probing.socketsOpen = this.sockets.size;
  }
}

