/**
 * What a py-ipv8 compatible node holds, as py-ipv8's `Storage` (`ipv8/dht/storage.py`) does: per key a
 * list of serialized values, newest first; a signed value is identified by its publisher (SHA-1 of the
 * key binary) and replaces an older version of the same publisher, an unsigned value by its bytes. A
 * value lives `maxAgeMs` after its last store (py-ipv8's `MAX_ENTRY_AGE`, 3600 s, shortened when many
 * nodes are closer to the key). Unlike py-ipv8, expired values are never served, and every key holds a
 * bounded number of values.
 * @module
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../framework/time/clock.js';
import { equalBytes, toHex } from '../../framework/util/bytes.js';
import { parseIpv8Value } from './values.js';

interface Held {
  readonly id: Uint8Array;
  readonly bytes: Uint8Array;
  readonly version: number;
  readonly expiresAt: number;
}

/** py-ipv8's `MAX_ENTRY_AGE` in ms. */
export const IPV8_MAX_VALUE_AGE_MS = 3_600_000;
/** The most values held under one key. */
const MAX_VALUES_PER_KEY = 64;
/** The most keys held. */
const MAX_KEYS = 65_536;

/** The values one compatible node holds. */
export class Ipv8ValueStore {
  readonly #items = new Map<string, Held[]>();

  /** @param clock for expiry. */
  constructor(private readonly clock: Clock) {}

  /** Number of keys held. */
  get size(): number {
    return this.#items.size;
  }

  /**
   * Stores a serialized value under `key` after checking it (a bad signature or an unknown type is refused).
   * @returns true when it was stored or refreshed.
   */
  put(key: Uint8Array, value: Uint8Array, maxAgeMs = IPV8_MAX_VALUE_AGE_MS): boolean {
    const parsed = parseIpv8Value(value);
    if (parsed === undefined) return false;
    const id = createHash('sha1').update(parsed.publicKey ?? value).digest();
    const hex = toHex(key);
    let list = this.#items.get(hex);
    if (list === undefined) {
      if (this.#items.size >= MAX_KEYS) return false;
      list = [];
      this.#items.set(hex, list);
    }
    const held: Held = { id: new Uint8Array(id), bytes: value.slice(), version: parsed.version, expiresAt: this.clock.now() + maxAgeMs };
    const i = list.findIndex((v) => equalBytes(v.id, held.id));
    if (i >= 0) {
      if (held.version < list[i]!.version) return false;
      list.splice(i, 1);
    } else if (list.length >= MAX_VALUES_PER_KEY) {
      list.pop();
    }
    list.unshift(held);
    return true;
  }

  /** Up to `limit` live values under `key`, newest first, from `offset`. */
  get(key: Uint8Array, offset = 0, limit = Number.MAX_SAFE_INTEGER): Uint8Array[] {
    const list = this.#items.get(toHex(key));
    if (list === undefined) return [];
    const now = this.clock.now();
    return list.filter((v) => v.expiresAt > now).slice(offset, offset + limit).map((v) => v.bytes);
  }

  /** Drops expired values (py-ipv8's `value_maintenance`). */
  sweep(): void {
    const now = this.clock.now();
    for (const [hex, list] of this.#items) {
      const live = list.filter((v) => v.expiresAt > now);
      if (live.length === 0) this.#items.delete(hex);
      else this.#items.set(hex, live);
    }
  }
}
