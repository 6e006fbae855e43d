/**
 * The datagram limit of the immutable community: every packet it sends or accepts is at most 1,280 bytes
 * (the IPv6 minimum MTU less nothing: no IP fragmentation, which real networks often drop), whatever larger
 * datagrams the node's transport allows.
 * @module
 */
import type { CommunityContext, Transport } from '../../framework/index.js';

/** Largest datagram the immutable community sends or accepts, in bytes. */
export const IMMUTABLE_MAX_DATAGRAM_BYTES = 1_280;

/**
 * A view of `transport` that accepts at most `maxBytes` per datagram: the record engine sizes its store
 * batches and find pages to it, and `Community.send` refuses anything larger (`PacketTooLargeError`).
 */
export function limitTransport(transport: Transport, maxBytes: number): Transport {
  return {
    send: (to, data) => transport.send(to, data),
    get maxPacketBytes() {
      return Math.min(maxBytes, transport.maxPacketBytes);
    },
    get localAddress() {
      return transport.localAddress;
    },
  };
}

/** @returns `ctx` with its transport limited to `maxBytes` per datagram (see {@link limitTransport}). */
export function limitDatagrams(ctx: CommunityContext, maxBytes: number): CommunityContext {
  return { ...ctx, transport: limitTransport(ctx.transport, maxBytes) };
}
