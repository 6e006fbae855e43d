/**
 * Internal bookkeeping of the {@link ValueStore}: its entries, per-key slots and their ordering.
 * Not part of the public API.
 * @module
 */
import { InvalidArgumentError } from '../../../framework/errors.js';
import type { StoredValue, StoreVerdict, ValueOrigin } from './store-types.js';
import type { recordId, ValueRecord } from './value-record.js';
import type { ValueStore } from './value-store.js';

/** Strength of each origin: a stronger one is never downgraded by a weaker one. */
export const ORIGIN_RANK: Readonly<Record<ValueOrigin, number>> = { cache: 0, store: 1, local: 2 };

/** Every {@link StoreVerdict}, to initialise the counters. */
export const VERDICTS: readonly StoreVerdict[] = [
  'stored',
  'updated',
  'refreshed',
  'stale-version',
  'bad-signature',
  'too-large',
  'full',
  'expired',
  'invalid',
  'quota',
];

/** A held record with its mutable bookkeeping. */
export interface Entry {
  /** {@link recordId} of the record: its identity within the key. */
  id: string;
  /** The record (a private copy). */
  record: ValueRecord;
  /** Expiry time in ms since the epoch. */
  expiresAt: number;
  /** When the current version was first stored, in ms since the epoch. */
  storedAt: number;
  /** Why the node holds it. */
  origin: ValueOrigin;
  /** When it was last replicated, in ms since the epoch. */
  lastReplicatedAt: number;
  /** The source it is charged to (see `sourceGroup`), or `undefined` when no source was given (local). */
  source?: string | undefined;
}

/** The entries held under one key. */
export interface Slot {
  /** The 20-byte key. */
  key: Uint8Array;
  /** Signed entries by {@link Entry.id} (one per publisher). */
  signed: Map<string, Entry>;
  /** Unsigned entries by {@link Entry.id} (one per distinct data). */
  unsigned: Map<string, Entry>;
}

/**
 * @param slot a slot.
 * @returns all its entries, signed first (in insertion order, not sorted).
 */
export function slotEntries(slot: Slot): Entry[] {
  return [...slot.signed.values(), ...slot.unsigned.values()];
}

/**
 * @param slot a slot.
 * @param e an entry of it, or to be put in it.
 * @returns the map `e` belongs in.
 */
export function mapFor(slot: Slot, e: Entry): Map<string, Entry> {
  return isSignedEntry(e) ? slot.signed : slot.unsigned;
}

/**
 * Validates an optional limit.
 * @param name the option name, for the error message.
 * @param value the given value.
 * @param fallback the default.
 * @returns `value`, or `fallback` when undefined.
 * @throws `InvalidArgumentError` when `value` is not a positive safe integer.
 */
export function positiveOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value > 0)) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * @param r a record.
 * @returns a deep copy, so later changes to the caller's arrays cannot change the store.
 */
export function copyRecord(r: ValueRecord): ValueRecord {
  const copy = (b: Uint8Array | undefined): Uint8Array | undefined =>
    b === undefined ? undefined : Uint8Array.from(b);
  return {
    key: Uint8Array.from(r.key),
    data: Uint8Array.from(r.data),
    publicKey: copy(r.publicKey),
    version: r.version,
    signature: copy(r.signature),
  };
}

/**
 * @param e an entry.
 * @returns a read-only copy of its fields, for callers.
 */
export function snapshot(e: Entry): StoredValue {
  const { record, expiresAt, storedAt, origin, lastReplicatedAt } = e;
  return { record, expiresAt, storedAt, origin, lastReplicatedAt };
}

/**
 * Orders signed entries by publisher mid, then unsigned ones by `storedAt` (ties by data hash).
 * @param a an entry.
 * @param b another entry.
 * @returns negative, zero or positive as `Array.prototype.sort` expects.
 */
export function compareEntries(a: Entry, b: Entry): number {
  const aSigned = a.id.startsWith('s:');
  if (aSigned !== b.id.startsWith('s:')) return aSigned ? -1 : 1;
  if (!aSigned && a.storedAt !== b.storedAt) return a.storedAt - b.storedAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}


/**
 * @param e an entry.
 * @returns true if it holds a signed record.
 */
export function isSignedEntry(e: Entry): boolean {
  return e.id.startsWith('s:');
}
