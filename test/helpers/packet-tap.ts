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
}

/** Wraps each host's `endpoint.send`; returns the live list of sent packets and a way to clear it. */
export function tapPackets(hosts: readonly OverlayHost[]): { packets: TappedPacket[]; clear(): void } {
  const packets: TappedPacket[] = [];
  for (const host of hosts) {
    const endpoint = host.endpoint as { send: (to: unknown, data: Uint8Array) => void };
    const original = endpoint.send.bind(endpoint);
    endpoint.send = (to, data) => {
      packets.push({ from: host, communityIdHex: toHex(data.subarray(2, 22)), messageId: data[22]!, size: data.length });
      original(to, data);
    };
  }
  return { packets, clear: () => void packets.splice(0) };
}
