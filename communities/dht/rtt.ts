/**
 * Adaptive request timeouts from measured round-trip times: a smoothed RTT per contact and one for the
 * whole node, so a timeout fits the path instead of a fixed 2 s (py-ipv8's rule).
 * @module
 */
import { sharedKey } from '../../framework/util/shared-key.js';

/** Per-request timeout policy. */
export class RttEstimator {
  private global: number | undefined;
  private readonly perPeer = new Map<string, number>();

  /**
   * @param minMs shortest (hard) timeout. @param maxMs longest timeout. @param maxPeers most per-peer
   * entries kept. @param softMinMs shortest soft timeout.
   */
  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly maxPeers = 4_096,
    private readonly softMinMs = 50,
  ) {}

  /** Records one measured round trip to `peer` (hex id or address key). */
  observe(peer: string, rttMs: number): void {
    const prev = this.perPeer.get(peer);
    const next = prev === undefined ? rttMs : prev * 0.75 + rttMs * 0.25;
    this.perPeer.delete(peer);
    this.perPeer.set(sharedKey(peer), next); // the process's copy of the key, not one string per entry
    if (this.perPeer.size > this.maxPeers) {
      const oldest = this.perPeer.keys().next().value;
      if (oldest !== undefined) this.perPeer.delete(oldest);
    }
    this.global = this.global === undefined ? rttMs : this.global * 0.9 + rttMs * 0.1;
  }

  /** Smoothed RTT to `peer`, else the node-wide one, else undefined. */
  rtt(peer: string): number | undefined {
    return this.perPeer.get(peer) ?? this.global;
  }

  /** Hard timeout for a request to `peer`: 4x its RTT, clamped to [min, max]; max when unknown. */
  timeoutMs(peer: string): number {
    const rtt = this.rtt(peer);
    return rtt === undefined ? this.maxMs : clamp(rtt * 4 + 20, this.minMs, this.maxMs);
  }

  /** After this long a lookup stops waiting on `peer` and queries another node: 2x RTT + 10 ms, at least `softMinMs`. */
  softTimeoutMs(peer: string): number {
    const rtt = this.rtt(peer);
    const hard = this.timeoutMs(peer);
    return rtt === undefined ? this.maxMs / 4 : clamp(rtt * 2 + 10, Math.min(this.softMinMs, hard), hard);
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
