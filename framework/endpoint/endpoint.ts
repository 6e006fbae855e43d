/**
 * The transport boundary: everything below is bytes on a socket (or a simulated one), everything above
 * is packets. Both {@link UdpEndpoint} and the in-memory network implement {@link Endpoint}.
 * @module
 */
import type { Address } from './address.js';

/** Receives every datagram that arrives at an endpoint. Must not throw; errors are the listener's own. */
export type PacketListener = (data: Uint8Array, from: Address) => void;

/** Counters an endpoint keeps; all start at 0. */
export interface EndpointStats {
  /** Datagrams handed to the transport. */
  packetsSent: number;
  /** Bytes handed to the transport. */
  bytesSent: number;
  /** Datagrams received and passed to listeners. */
  packetsReceived: number;
  /** Bytes received. */
  bytesReceived: number;
  /** Sends refused: too large, closed endpoint, or a socket error. */
  sendErrors: number;
}

/** Default largest datagram an endpoint sends, in bytes. */
export const DEFAULT_MAX_PACKET_BYTES = 1_400;

/** A datagram transport. */
export interface Endpoint {
  /** Binds the socket (or joins the in-memory network). Idempotent. */
  open(): Promise<void>;
  /** Releases the socket. Idempotent; after it, sends are dropped and counted in `sendErrors`. */
  close(): Promise<void>;
  /** True between a successful `open()` and `close()`. */
  readonly isOpen: boolean;
  /** The bound address; throws {@link EndpointError} before `open()`. */
  readonly address: Address;
  /** Largest datagram `send` accepts, in bytes. */
  readonly maxPacketBytes: number;
  /**
   * Sends one datagram, fire and forget.
   * @throws {@link PacketTooLargeError} when `data` is larger than {@link Endpoint.maxPacketBytes}.
   */
  send(to: Address, data: Uint8Array): void;
  /** Adds a listener for incoming datagrams. */
  addListener(listener: PacketListener): void;
  /** Removes a listener added with {@link Endpoint.addListener}. */
  removeListener(listener: PacketListener): void;
  /** Live counters. */
  readonly stats: Readonly<EndpointStats>;
}
