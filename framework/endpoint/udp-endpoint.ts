/**
 * The production transport: one `node:dgram` socket, IPv4 or IPv6.
 * @module
 */
import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { EndpointError, InvalidArgumentError, PacketTooLargeError } from '../errors.js';
import type { Address } from './address.js';
import { isValidPort } from './address.js';
import { DEFAULT_MAX_PACKET_BYTES } from './endpoint.js';
import type { Endpoint, EndpointStats, PacketListener } from './endpoint.js';

/** Default `SO_RCVBUF`/`SO_SNDBUF` request, in bytes: 4 MiB, so bursts from many local nodes are not dropped. */
export const DEFAULT_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/** Largest UDP payload over IPv4 (65,535 − 20 IP − 8 UDP), in bytes. */
export const MAX_UDP4_PAYLOAD_BYTES = 65_507;

/** Largest UDP payload over IPv6 without jumbograms (65,535 − 8 UDP), in bytes. */
export const MAX_UDP6_PAYLOAD_BYTES = 65_527;

/** Options of {@link UdpEndpoint}. */
export interface UdpEndpointOptions {
  /**
   * Literal IP to bind. `'::'` binds dual-stack (IPv4 peers then appear as plain IPv4 addresses).
   * @default '127.0.0.1'
   */
  host?: string;
  /** UDP port to bind; 0 picks an ephemeral port (read it from {@link UdpEndpoint.address}). @default 0 */
  port?: number;
  /** Largest datagram {@link UdpEndpoint.send} accepts, in bytes. @default DEFAULT_MAX_PACKET_BYTES */
  maxPacketBytes?: number;
  /**
   * `SO_RCVBUF` requested after bind, in bytes; 0 keeps the OS default. The kernel may clamp it
   * (Linux: `net.core.rmem_max`); failures are ignored. @default DEFAULT_SOCKET_BUFFER_BYTES
   */
  receiveBufferBytes?: number;
  /** `SO_SNDBUF` requested after bind, in bytes; 0 keeps the OS default. @default DEFAULT_SOCKET_BUFFER_BYTES */
  sendBufferBytes?: number;
  /**
   * Called with an {@link EndpointError} (original error as `cause`) for every socket error, failed send
   * and throwing listener. Never required: the endpoint carries on and counts them either way.
   */
  onError?: (error: EndpointError) => void;
}

/** Counters of a {@link UdpEndpoint}: the {@link EndpointStats} plus transport-specific ones. */
export interface UdpEndpointStats extends EndpointStats {
  /** Listener calls that threw (the exception was caught; delivery to other listeners continued). */
  listenerErrors: number;
  /** `'error'` events emitted by the socket after it was bound. */
  socketErrors: number;
}

/** Socket buffer sizes as reported by the OS (Linux reports double the requested value). */
export interface SocketBufferSizes {
  /** Effective `SO_RCVBUF`, in bytes. */
  readonly receive: number;
  /** Effective `SO_SNDBUF`, in bytes. */
  readonly send: number;
}

/** Most source addresses a `UdpEndpoint` keeps one shared `from` object for (about 100 bytes each). */
export const MAX_SOURCE_ADDRESSES = 4_096;

const NO_LISTENERS: readonly PacketListener[] = [];
const MAPPED_V4_PREFIX = '::ffff:';

/**
 * Resolves only IP literals, so a send never triggers DNS (addresses in Peerlay are literals by contract).
 * Node's dgram passes the family as a number; the callback shape matches `dns.lookup`.
 */
function literalLookup(
  hostname: string,
  _options: unknown,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(hostname);
  if (family === 0) callback(new InvalidArgumentError(`not an IP literal: ${JSON.stringify(hostname)}`), '', 0);
  else callback(null, hostname, family);
}

/**
 * A UDP {@link Endpoint} on `node:dgram`.
 *
 * Received datagrams are passed to listeners as plain `Uint8Array` views over the buffer Node allocated for
 * that datagram (zero-copy, and `slice()` copies as it does for any `Uint8Array`). Listeners may keep them.
 * The source address is a frozen object, the same one for every datagram of a source (up to
 * 4,096 sources, `MAX_SOURCE_ADDRESSES`).
 * `send` copies `data` before it returns, so the caller may reuse its buffer.
 *
 * @example
 * ```ts
 * const endpoint = new UdpEndpoint({ host: '127.0.0.1', port: 0 });
 * endpoint.addListener((data, from) => console.log(data.length, 'bytes from', addressKey(from)));
 * await endpoint.open();
 * endpoint.send({ host: '127.0.0.1', port: 8090 }, new Uint8Array([1, 2, 3]));
 * await endpoint.close();
 * ```
 */
export class UdpEndpoint implements Endpoint {
  /** @inheritDoc */
  readonly maxPacketBytes: number;
  /** @inheritDoc */
  readonly stats: Readonly<UdpEndpointStats>;

  private readonly host: string;
  private readonly port: number;
  private readonly family: 4 | 6;
  private readonly receiveBufferBytes: number;
  private readonly sendBufferBytes: number;
  private readonly onError: ((error: EndpointError) => void) | undefined;
  private readonly counters: UdpEndpointStats = {
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    sendErrors: 0,
    listenerErrors: 0,
    socketErrors: 0,
  };
  private listeners: readonly PacketListener[] = NO_LISTENERS;
  private socket: Socket | undefined;
  private bound: Address | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** Source addresses by host, then port (see `sourceOf`). */
  private readonly sources = new Map<string, Map<number, Address>>();
  private sourceCount = 0;

  /**
   * @param options where to bind and how large packets may be; see {@link UdpEndpointOptions}.
   * @throws {@link InvalidArgumentError} when `host` is not an IP literal, `port` is out of range, or a size
   * is not a positive integer (`maxPacketBytes` at most the UDP payload limit of the host's family).
   */
  constructor(options: UdpEndpointOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    const family = isIP(this.host);
    if (family === 0) throw new InvalidArgumentError(`host must be an IP literal, got ${JSON.stringify(this.host)}`);
    this.family = family === 6 ? 6 : 4;
    this.port = options.port ?? 0;
    if (!isValidPort(this.port)) throw new InvalidArgumentError(`port must be an integer in 0..65535, got ${this.port}`);
    const maxPayload = this.family === 6 ? MAX_UDP6_PAYLOAD_BYTES : MAX_UDP4_PAYLOAD_BYTES;
    this.maxPacketBytes = checkSize('maxPacketBytes', options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES, 1, maxPayload);
    const maxBuffer = 2 ** 31 - 1;
    this.receiveBufferBytes = checkSize('receiveBufferBytes', options.receiveBufferBytes ?? DEFAULT_SOCKET_BUFFER_BYTES, 0, maxBuffer);
    this.sendBufferBytes = checkSize('sendBufferBytes', options.sendBufferBytes ?? DEFAULT_SOCKET_BUFFER_BYTES, 0, maxBuffer);
    this.onError = options.onError;
    this.stats = this.counters;
  }

  /** @inheritDoc */
  get isOpen(): boolean {
    return this.socket !== undefined;
  }

  /**
   * The actually bound address (with the real port when `port` was 0). After `close()` it still returns
   * the address the socket last had.
   * @throws {@link EndpointError} before the first successful `open()`.
   */
  get address(): Address {
    if (this.bound === undefined) throw new EndpointError('UdpEndpoint.address read before open()');
    return this.bound;
  }

  /**
   * Effective socket buffer sizes, or `undefined` while closed.
   * On Linux the kernel doubles the requested value and clamps it to `net.core.rmem_max`/`wmem_max`.
   */
  get bufferSizes(): SocketBufferSizes | undefined {
    const socket = this.socket;
    if (socket === undefined) return undefined;
    return { receive: socket.getRecvBufferSize(), send: socket.getSendBufferSize() };
  }

  /**
   * Binds the socket. Idempotent; calls to `open`/`close` run in call order.
   * @throws {@link EndpointError} (rejection) when binding fails, e.g. the port is in use; `cause` holds
   * the system error.
   */
  open(): Promise<void> {
    return this.enqueue(() => this.doOpen());
  }

  /** Closes the socket and waits until it is released. Idempotent. */
  close(): Promise<void> {
    return this.enqueue(() => this.doClose());
  }

  /**
   * Sends one datagram (fire and forget). Copies `data` first. While closed, or when `to` is not a literal
   * IP with a port in 1..65535, the packet is dropped and counted in `sendErrors` (and reported to
   * `onError`); asynchronous socket failures are counted the same way.
   * @throws {@link PacketTooLargeError} when `data` exceeds {@link UdpEndpoint.maxPacketBytes} (also counted).
   */
  send(to: Address, data: Uint8Array): void {
    const size = data.byteLength;
    if (size > this.maxPacketBytes) {
      this.counters.sendErrors++;
      throw new PacketTooLargeError(size, this.maxPacketBytes);
    }
    const socket = this.socket;
    if (socket === undefined) {
      this.counters.sendErrors++;
      return;
    }
    const family = isIP(to.host);
    if (family === 0 || to.port < 1 || !isValidPort(to.port)) {
      this.failSend(new InvalidArgumentError(`invalid destination ${JSON.stringify(to)}`));
      return;
    }
    // A udp6 socket needs IPv4 destinations in mapped form (works when bound dual-stack to '::').
    const host = family === 4 && this.family === 6 ? MAPPED_V4_PREFIX + to.host : to.host;
    this.counters.packetsSent++;
    this.counters.bytesSent += size;
    // The copy is a Buffer (a slice of Node's pool for a datagram this small, no ArrayBuffer of its own),
    // which dgram sends as it is, where a Uint8Array would be wrapped in a Buffer first.
    const copy = Buffer.allocUnsafe(size);
    copy.set(data);
    try {
      socket.send(copy, to.port, host, this.afterSend);
    } catch (err) {
      this.failSend(err);
    }
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

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.queue.then(op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async doOpen(): Promise<void> {
    if (this.socket !== undefined) return;
    const socket = createSocket({
      type: this.family === 6 ? 'udp6' : 'udp4',
      lookup: literalLookup,
      ...(this.host === '::' ? { ipv6Only: false } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      const onBindError = (err: Error): void => {
        socket.removeListener('listening', onListening);
        socket.close();
        reject(new EndpointError(`cannot bind UDP ${this.host} port ${this.port}: ${err.message}`, { cause: err }));
      };
      const onListening = (): void => {
        socket.removeListener('error', onBindError);
        resolve();
      };
      socket.once('error', onBindError);
      socket.once('listening', onListening);
      socket.bind({ port: this.port, address: this.host, exclusive: true });
    });
    this.tuneBuffers(socket);
    const local = socket.address();
    this.bound = { host: local.address, port: local.port };
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.onMessage(socket, msg, rinfo));
    socket.on('error', (err: Error) => {
      this.counters.socketErrors++;
      this.report('UDP socket error', err);
    });
    this.socket = socket;
  }

  private async doClose(): Promise<void> {
    const socket = this.socket;
    if (socket === undefined) return;
    this.socket = undefined;
    socket.removeAllListeners('message');
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve(); // already closed underneath us
      }
    });
  }

  private tuneBuffers(socket: Socket): void {
    try {
      if (this.receiveBufferBytes > 0) socket.setRecvBufferSize(this.receiveBufferBytes);
    } catch {
      // The OS refused; the default buffer still works, just with more drops under bursts.
    }
    try {
      if (this.sendBufferBytes > 0) socket.setSendBufferSize(this.sendBufferBytes);
    } catch {
      // As above.
    }
  }

  private onMessage(socket: Socket, msg: Buffer, rinfo: RemoteInfo): void {
    if (socket !== this.socket) return;
    const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    const host = rinfo.address.startsWith(MAPPED_V4_PREFIX) && isIP(rinfo.address.slice(7)) === 4
      ? rinfo.address.slice(7)
      : rinfo.address;
    const from = this.sourceOf(host, rinfo.port);
    this.counters.packetsReceived++;
    this.counters.bytesReceived += data.byteLength;
    for (const listener of this.listeners) {
      try {
        listener(data, from);
      } catch (err) {
        this.counters.listenerErrors++;
        this.report('packet listener threw', err);
      }
    }
  }

  /**
   * The frozen address object of a source, the same for each of its datagrams (so what keeps or compares
   * it per object, as the routing table's shared copies do, needs no string key per packet). At most
   * `MAX_SOURCE_ADDRESSES` are remembered; past that the table starts over.
   */
  private sourceOf(host: string, port: number): Address {
    let ports = this.sources.get(host);
    const known = ports?.get(port);
    if (known !== undefined) return known;
    if (this.sourceCount >= MAX_SOURCE_ADDRESSES) {
      this.sources.clear();
      this.sourceCount = 0;
      ports = undefined;
    }
    if (ports === undefined) {
      ports = new Map();
      this.sources.set(host, ports);
    }
    const from: Address = Object.freeze({ host, port });
    ports.set(port, from);
    this.sourceCount++;
    return from;
  }

  /** The callback of every send (one function, not a closure per datagram). */
  private readonly afterSend = (err: Error | null): void => {
    if (err) this.failSend(err);
  };

  private failSend(err: unknown): void {
    this.counters.sendErrors++;
    this.report('UDP send failed', err);
  }

  private report(what: string, err: unknown): void {
    if (this.onError === undefined) return;
    const detail = err instanceof Error ? err.message : String(err);
    try {
      this.onError(new EndpointError(`${what}: ${detail}`, { cause: err }));
    } catch {
      // An error callback that throws must not take the socket down either.
    }
  }
}

function checkSize(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}
