/**
 * Per-community counters, readable for a status page.
 * @module
 */

/** Counts of messages by name and of drops by reason. */
export class CommunityStats {
  /** Messages accepted and handed to a handler, by message name. */
  readonly received: Record<string, number> = {};
  /** Messages sent, by message name. */
  readonly sent: Record<string, number> = {};
  /** Bytes sent, by message name. */
  readonly bytesSent: Record<string, number> = {};
  /** Packets dropped before any handler ran, by reason (`bad-signature`, `unknown-message`, ...). */
  readonly dropped: Record<string, number> = {};
  /** Messages not sent because their unproven destination's amplification credit was spent, by message name. */
  readonly withheld: Record<string, number> = {};
  /** Handlers that threw or rejected. */
  handlerErrors = 0;

  /** Adds one to `counter[name]`. */
  static bump(counter: Record<string, number>, name: string, by = 1): void {
    counter[name] = (counter[name] ?? 0) + by;
  }

  /** Total packets dropped, all reasons. */
  get droppedTotal(): number {
    return Object.values(this.dropped).reduce((a, b) => a + b, 0);
  }

  /** A plain JSON-ready copy. */
  toJSON(): { received: Record<string, number>; sent: Record<string, number>; bytesSent: Record<string, number>; dropped: Record<string, number>; withheld: Record<string, number>; handlerErrors: number } {
    return {
      received: { ...this.received },
      sent: { ...this.sent },
      bytesSent: { ...this.bytesSent },
      dropped: { ...this.dropped },
      withheld: { ...this.withheld },
      handlerErrors: this.handlerErrors,
    };
  }
}

/**
 * A JSON-ready copy of a plain counters object: number fields as they are, record fields (counts by
 * name) copied. Statistics classes of communities use it for their `toJSON`.
 */
export function countersToJSON(counters: object): Record<string, number | Record<string, number>> {
  const out: Record<string, number | Record<string, number>> = {};
  for (const [name, value] of Object.entries(counters) as Array<[string, number | Record<string, number>]>) {
    out[name] = typeof value === 'number' ? value : { ...value };
  }
  return out;
}
