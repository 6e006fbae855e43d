/**
 * Records the size of every packet the given hosts send, by community prefix and message id.
 */
import type { OverlayHost } from '../../framework/index.js';
import { toHex } from '../../framework/index.js';

/** One sent packet. */
export interface TappedPacket {
  readonly from: OverlayHost;
  readonly communityIdHex: string;
  readonly messageId: number;
  readonly size: number;
  /** The packet itself. */
  readonly data: Uint8Array;
  /** For a signed message: carries a pairwise tag instead of a signature (top bit of the key length). */
  readonly tagged: boolean;
  /** Where it went. */
  readonly to: unknown;
}

/** Wraps each host's `endpoint.send`; returns the live list of sent packets and a way to clear it. */
export function tapPackets(hosts: readonly OverlayHost[]): { packets: TappedPacket[]; clear(): void } {
  const packets: TappedPacket[] = [];
  for (const host of hosts) {
    const endpoint = host.endpoint as { send: (to: unknown, data: Uint8Array) => void };
    const original = endpoint.send.bind(endpoint);
    endpoint.send = (to, data) => {
      const tagged = data.length > 24 && (data[23]! & 0x80) !== 0;
      packets.push({ from: host, communityIdHex: toHex(data.subarray(2, 22)), messageId: data[22]!, size: data.length, data, tagged, to });
      original(to, data);
    };
  }
  return { packets, clear: () => void packets.splice(0) };
}
