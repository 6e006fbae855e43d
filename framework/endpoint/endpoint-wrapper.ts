/**
 * A base for {@link Endpoint}s that wrap another one: everything is delegated to the wrapped endpoint,
 * and a subclass overrides only what it changes (what it receives, how it sends, its packet limit).
 * @module
 */
import type { Address } from './address.js';
import type { Endpoint, EndpointStats, PacketListener } from './endpoint.js';

/**
 * An {@link Endpoint} that delegates `open`, `close`, `isOpen`, `address`, `maxPacketBytes`, `stats` and
 * `send` to the endpoint it wraps, and keeps its own listeners. Datagrams the wrapped endpoint receives go
 * to {@link EndpointWrapper.receive}, which by default hands them to this wrapper's listeners unchanged; a
 * subclass overrides it to take some out of the stream, and overrides `send` to change how datagrams leave.
 *
 * A subclass calls {@link EndpointWrapper.attach} once at the end of its constructor, after its options
 * are validated, so a constructor that throws leaves the wrapped endpoint without a listener.
 */
export abstract class EndpointWrapper implements Endpoint {
  private listeners: readonly PacketListener[] = [];
  private readonly onInner = (data: Uint8Array, from: Address): void => this.receive(data, from);

  /** @param inner the wrapped endpoint. */
  protected constructor(protected readonly inner: Endpoint) {}

  /** @inheritDoc */
  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  /** @inheritDoc */
  get address(): Address {
    return this.inner.address;
  }

  /** The wrapped endpoint's `maxPacketBytes`, unless a subclass says otherwise. */
  get maxPacketBytes(): number {
    return this.inner.maxPacketBytes;
  }

  /** The wrapped endpoint's counters. */
  get stats(): Readonly<EndpointStats> {
    return this.inner.stats;
  }

  /** Opens the wrapped endpoint. */
  open(): Promise<void> {
    return this.inner.open();
  }

  /** Closes the wrapped endpoint. */
  close(): Promise<void> {
    return this.inner.close();
  }

  /** Sends through the wrapped endpoint, which enforces its own `maxPacketBytes`. */
  send(to: Address, data: Uint8Array): void {
    this.inner.send(to, data);
  }

  /** @inheritDoc */
  addListener(listener: PacketListener): void {
    this.listeners = [...this.listeners, listener];
  }

  /** @inheritDoc */
  removeListener(listener: PacketListener): void {
    this.listeners = this.listeners.filter((l) => l !== listener);
  }

  /** Starts receiving from the wrapped endpoint; call once, at the end of the subclass's constructor. */
  protected attach(): void {
    this.inner.addListener(this.onInner);
  }

  /**
   * Called with every datagram the wrapped endpoint receives; by default passes it to
   * {@link EndpointWrapper.deliver}.
   */
  protected receive(data: Uint8Array, from: Address): void {
    this.deliver(data, from);
  }

  /**
   * Hands a datagram to every listener of this wrapper. A listener that throws does not stop the others;
   * the first error is rethrown afterwards, so the wrapped endpoint counts it.
   */
  protected deliver(data: Uint8Array, from: Address): void {
    let failure: unknown;
    for (const listener of this.listeners) {
      try {
        listener(data, from);
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
  }
}
